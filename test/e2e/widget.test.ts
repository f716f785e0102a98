/**
 * `<tandem-widget>` embedded the way a storefront embeds it: the host pages come from one
 * localhost origin (a `node:http` server) and load `dist/widget/tandem-widget.js` from another
 * (`vite preview` of the build, sending Access-Control-Allow-Origin).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { churnManifest, modeldataRows } from './churn-data';
import type { TandemWidget } from '../../src/widget/tandem-widget';
import { launchBrowser, watchErrors, type LaunchedBrowser } from './harness';

/** The widget and the app run the same model on the same WASM kernels, so they agree to float rounding. */
const parityTolerance = 1e-6;

const sampleRecord: Record<string, string | number> = churnManifest.sample;
const catalogue: { file: string; label: string }[] = JSON.parse(readFileSync('public/catalogue/catalogue.json', 'utf8'));

interface HostServer {
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves the host pages from memory on 127.0.0.1. Paths under `/isolated/` are sent with
 * COOP and COEP headers, which make the page cross-origin isolated.
 */
async function serveHostPages(pages: Record<string, string>): Promise<HostServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const body = pages[path.replace(/^\/isolated/, '')];
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`No test page at ${path}`);
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    if (path.startsWith('/isolated/')) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    response.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Serves `dist/` with CORS on, as a host that lets other origins embed the widget must. */
async function serveBuildWithCors(): Promise<{ url: string; close(): Promise<void> }> {
  const server: PreviewServer = await preview({ preview: { port: 0, strictPort: false, host: '127.0.0.1', cors: true }, logLevel: 'silent' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a local URL');
  return { url, close: () => server.close() };
}

/** Returns a host page: the widget's script tag from the build's origin, then `body`. */
function hostPage(widgetScript: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Widget host</title>
    <link rel="icon" href="data:," />
    ${head}
    <script type="module" src="${widgetScript}"></script>
  </head>
  <body>
    ${body}
  </body>
</html>`;
}

/** Waits until the widget with `selector` has loaded and returns its model info. */
async function waitReady(page: Page, selector: string): Promise<{ name: string; version: string; backend: string; inputs: string[]; outputs: string[]; features: string[]; manifestUrl: string }> {
  return page.evaluate(async (selector) => {
    await customElements.whenDefined('tandem-widget');
    const { manifest: _manifest, ...info } = await document.querySelector<TandemWidget>(selector)!.ready;
    return info;
  }, selector);
}

/**
 * Calls `predict()` on the widget and returns the rejection's name and message, or null when it
 * resolves. `makeInput` is a JavaScript expression evaluated in the page, because Blobs and
 * bitmaps cannot be passed from Node.
 */
async function predictError(page: Page, selector: string, makeInput: string): Promise<{ name: string; code?: string; message: string } | null> {
  return page.evaluate(
    async ({ selector, makeInput }) => {
      await customElements.whenDefined('tandem-widget');
      const widget = document.querySelector<TandemWidget>(selector)!;
      const input = await (0, eval)(`(async () => (${makeInput}))()`);
      try {
        await widget.predict(input);
        return null;
      } catch (error) {
        return { name: (error as Error).name, code: (error as Error & { code?: string }).code, message: (error as Error).message };
      }
    },
    { selector, makeInput },
  );
}

describe('tandem-widget embedded from another origin', () => {
  let build: { url: string; close(): Promise<void> };
  let host: HostServer;
  let launched: LaunchedBrowser;
  let widgetScript: string;
  let buildOrigin: string;

  beforeAll(async () => {
    build = await serveBuildWithCors();
    buildOrigin = new URL(build.url).origin;
    widgetScript = new URL('widget/tandem-widget.js', build.url).href;
    const churnModel = new URL('models/churn/manifest.json', build.url).href;
    const photoModel = new URL('models/product-photo/manifest.json', build.url).href;

    host = await serveHostPages({
      '/two-widgets.html': hostPage(widgetScript, '<tandem-widget id="first" view="none" backend="wasm"></tandem-widget><tandem-widget id="second" view="form" backend="wasm"></tandem-widget>'),
      '/form.html': hostPage(widgetScript, '<main><h1>Support</h1><tandem-widget id="widget" view="form" backend="wasm"></tandem-widget></main>'),
      '/script-only.html': hostPage(widgetScript, `<tandem-widget id="widget" view="none" backend="wasm" model="${churnModel}"></tandem-widget>`),
      '/photos.html': hostPage(widgetScript, `<tandem-widget id="photo" view="image" backend="wasm" model="${photoModel}"></tandem-widget>`),
      '/bad-attributes.html': hostPage(widgetScript, '<tandem-widget id="widget" view="form" backend="gpu"></tandem-widget><tandem-widget id="grid" view="grid"></tandem-widget>'),
      '/no-webassembly.html': hostPage(widgetScript, '<tandem-widget id="widget" view="none"></tandem-widget>', '<script>delete globalThis.WebAssembly;</script>'),
    });
    launched = await launchBrowser();
  });

  afterAll(async () => {
    await launched?.close();
    await host?.close();
    await build?.close();
  });

  // First in the file, so no earlier test has put the model in the browser's HTTP cache.
  it('fetches the model once for two widgets', async () => {
    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    const modelFetches: string[] = [];
    const manifestFetches: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/models/churn/model.onnx')) modelFetches.push(request.url());
      if (request.url().endsWith('/models/churn/manifest.json')) manifestFetches.push(request.url());
    });

    await page.goto(`${host.origin}/two-widgets.html`);
    const first = await waitReady(page, '#first');
    const second = await waitReady(page, '#second');
    // A widget added after the model has loaded reuses the session too.
    const third = await page.evaluate(async () => {
      const widget = document.createElement('tandem-widget');
      widget.setAttribute('view', 'none');
      widget.setAttribute('backend', 'wasm');
      document.body.append(widget);
      return (await widget.ready).manifestUrl;
    });

    expect(first.manifestUrl).toBe(`${buildOrigin}/models/churn/manifest.json`);
    expect(second.manifestUrl).toBe(first.manifestUrl);
    expect(third).toBe(first.manifestUrl);
    expect(modelFetches).toEqual([`${buildOrigin}/models/churn/model.onnx`]);
    expect(manifestFetches).toHaveLength(1);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('predicts what the app predicts for the sample record', async () => {
    const appPage = await launched.context.newPage();
    await appPage.goto(`${build.url}?backend=wasm`);
    const probability = appPage.locator('[data-testid=probability][data-value]');
    await probability.waitFor({ timeout: 60_000 });
    const appProbability = Number(await probability.getAttribute('data-value'));
    await appPage.close();

    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${host.origin}/script-only.html`);
    const info = await waitReady(page, '#widget');
    const prediction = await page.evaluate(async (record) => document.querySelector('tandem-widget')!.predict(record), sampleRecord);

    expect(info.name).toBe(churnManifest.name);
    expect(info.version).toBe(churnManifest.version);
    expect(info.backend).toBe('wasm');
    expect(info.inputs).toEqual([churnManifest.tabular.input]);
    expect(info.outputs).toContain(churnManifest.output.name);
    expect(info.features).toEqual(churnManifest.tabular.features.map((feature: { name: string }) => feature.name));
    expect(prediction.kind).toBe('record');
    expect(Math.abs(prediction.probability - appProbability)).toBeLessThanOrEqual(parityTolerance);
    expect(prediction.label).toBe(appProbability >= churnManifest.output.threshold ? 'Yes' : 'No');
    expect(prediction.rangeWarnings).toEqual([]);

    // A number outside the manifest's range is scored and reported; an invalid one names the field.
    const extrapolated = await page.evaluate(async (record) => document.querySelector('tandem-widget')!.predict({ ...record, tenure: 95 }), sampleRecord);
    expect(extrapolated.rangeWarnings).toEqual([{ feature: 'tenure', column: 'tenure', value: 95, min: 0, max: 80 }]);
    const invalid = await predictError(page, '#widget', `({ ...${JSON.stringify(sampleRecord)}, tenure: 'soon' })`);
    expect(invalid?.message).toContain('Field "tenure" has "soon"');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fires tandem-prediction from its form', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/form.html`);
    await waitReady(page, '#widget');
    const shownProbability = page.locator('tandem-widget [part=probability][data-value]');
    await shownProbability.waitFor({ timeout: 30_000 });
    const before = Number(await shownProbability.getAttribute('data-value'));

    const event = page.evaluate(
      () =>
        new Promise<{ probability: number; tenure: unknown; source: string; composed: boolean }>((resolve) =>
          document.addEventListener('tandem-prediction', (event) => resolve({ probability: (event.prediction as { probability: number }).probability, tenure: (event.input as Record<string, unknown>).tenure, source: event.source, composed: event.composed }), { once: true }),
        ),
    );
    await page.locator('tandem-widget input[name=tenure]').fill('2');
    const fired = await event;

    expect(fired.source).toBe('form');
    expect(fired.tenure).toBe(2);
    expect(fired.composed).toBe(true);
    await expect.poll(async () => Number(await shownProbability.getAttribute('data-value'))).toBeCloseTo(fired.probability, 12);
    expect(fired.probability).not.toBe(before);
    await page.close();
  });

  it('rejects bad records with the feature named', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/script-only.html`);
    await waitReady(page, '#widget');
    const { tenure: _tenure, ...withoutTenure } = sampleRecord;

    const missing = await predictError(page, '#widget', JSON.stringify(withoutTenure));
    const notNumber = await predictError(page, '#widget', JSON.stringify({ ...sampleRecord, tenure: 'abc' }));
    const notRecord = await predictError(page, '#widget', '[1, 2, 3]');
    const nested = await predictError(page, '#widget', JSON.stringify({ ...sampleRecord, contract: { kind: 'monthly' } }));

    expect(missing?.name).toBe('TandemError');
    expect(missing?.message).toContain('missing the feature "tenure"');
    expect(notNumber?.message).toContain('"abc"');
    expect(notNumber?.message).toContain('must be a number');
    expect(notRecord?.message).toContain('an array of 3 items');
    expect(nested?.message).toContain('"contract"');

    // Values that only the worker's checks catch get the same documented error.
    const notANumber = await predictError(page, '#widget', `({ ...${JSON.stringify(sampleRecord)}, tenure: NaN })`);
    const unknownCategory = await predictError(page, '#widget', JSON.stringify({ ...sampleRecord, contract: 'weekly' }));
    expect(notANumber).toMatchObject({ name: 'TandemError', code: 'invalid-input' });
    expect(notANumber?.message).toContain('"NaN"');
    expect(notANumber?.message).toContain('must be a number');
    expect(unknownCategory).toMatchObject({ name: 'TandemError', code: 'invalid-input' });
    expect(unknownCategory?.message).toContain('"weekly"');
    expect(unknownCategory?.message).toContain('Month-to-month');
    await page.close();
  });

  it('rejects non-image input to an image model', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/photos.html`);
    await waitReady(page, '#photo');

    const textBlob = await predictError(page, '#photo', `new Blob(['hello'], { type: 'text/plain' })`);
    const untypedBlob = await predictError(page, '#photo', `new Blob(['not an image at all'])`);
    const record = await predictError(page, '#photo', JSON.stringify(sampleRecord));
    const missingUrl = await predictError(page, '#photo', JSON.stringify(new URL('catalogue/no-such-photo.png', build.url).href));

    expect(textBlob?.message).toContain('type "text/plain"');
    expect(textBlob?.message).toContain('is not an image');
    expect(untypedBlob?.message).toContain('is not an image');
    expect(record?.message).toContain('classifies images');
    // vite preview serves the app's index.html for a missing file.
    expect(missingUrl?.message).toContain('returned an HTML page');
    await page.close();
  });

  it('rejects unknown attribute values', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/bad-attributes.html`);
    const outcome = await page.evaluate(async () => {
      await customElements.whenDefined('tandem-widget');
      const widget = document.querySelector('tandem-widget')!;
      try {
        await widget.ready;
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    });

    expect(outcome).toContain('"gpu"');
    expect(outcome).toContain('auto, webgpu, wasm');
    await expect.poll(() => page.locator('#widget [part=error]').textContent()).toContain('"gpu"');
    await expect.poll(() => page.locator('#grid [part=error]').textContent()).toContain('Use one of: form, image, none');
    await page.close();
  });

  it('rejects bad scoreFile and exportResults calls', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/script-only.html`);
    await waitReady(page, '#widget');
    const messages = await page.evaluate(async () => {
      const widget = document.querySelector('tandem-widget')!;
      const notFile = await widget.scoreFile('rows.csv' as unknown as File).done.then(() => null, (error: Error) => error.message);
      const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'photo.png', { type: 'image/png' });
      const wrongKind = await widget.scoreFile(image).done.then(() => null, (error: Error) => error.message);
      const noId = await widget.exportResults('').then(() => null, (error: Error) => error.message);
      return { notFile, wrongKind, noId };
    });

    expect(messages.notFile).toContain('needs a File');
    expect(messages.notFile).toContain('"rows.csv"');
    expect(messages.wrongKind).toContain('"photo.png" is an image');
    expect(messages.noId).toContain('needs a job id');
    await page.close();
  });

  it('scores a CSV file and exports it', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/script-only.html`);
    await waitReady(page, '#widget');
    const header = Object.keys(modeldataRows[0]!);
    const rows = modeldataRows.slice(0, 300);
    const csv = [header.join(','), ...rows.map((row) => header.map((column) => JSON.stringify(row[column] ?? '')).join(','))].join('\n');

    const outcome = await page.evaluate(async (csv) => {
      const widget = document.querySelector('tandem-widget')!;
      let jobEvents = 0;
      let elementEvents = 0;
      widget.addEventListener('tandem-progress', () => (elementEvents += 1));
      const job = widget.scoreFile(new File([csv], 'customers.csv', { type: 'text/csv' }));
      job.addEventListener('progress', () => (jobEvents += 1));
      const summary = await job.done;
      const exported = await (await widget.exportResults(job.id!)).text();
      return { status: summary.status, rowsDone: summary.rowsDone, jobId: job.id, summaryId: summary.id, exported, jobEvents, elementEvents };
    }, csv);

    const lines = outcome.exported.trim().split('\n');
    expect(outcome.status).toBe('completed');
    expect(outcome.rowsDone).toBe(300);
    expect(outcome.jobId).toBe(outcome.summaryId);
    expect(lines).toHaveLength(301);
    expect(lines[0]).toContain('probability');
    expect(outcome.jobEvents).toBeGreaterThan(0);
    expect(outcome.elementEvents).toBe(outcome.jobEvents);
    await page.close();
  });

  it('classifies catalogue photos from URLs, Blobs and bitmaps', async () => {
    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${host.origin}/photos.html`);
    await waitReady(page, '#photo');
    const photos = catalogue.slice(0, 6).map((entry) => ({ ...entry, url: new URL(`catalogue/${entry.file}`, build.url).href }));

    const results = await page.evaluate(async (photos) => {
      const widget = document.querySelector('tandem-widget')!;
      const out = [];
      for (const photo of photos) {
        const fromUrl = await widget.predict(photo.url);
        const blob = await (await fetch(photo.url)).blob();
        const fromBlob = await widget.predict(blob);
        const fromBitmap = await widget.predict(await createImageBitmap(blob));
        out.push({ label: photo.label, url: fromUrl.top[0]!, blob: fromBlob.top[0]!, bitmap: fromBitmap.top[0]! });
      }
      return out;
    }, photos);

    for (const result of results) {
      expect(result.blob.label).toBe(result.url.label);
      expect(Math.abs(result.blob.probability - result.url.probability)).toBeLessThanOrEqual(parityTolerance);
      // The bitmap goes through a PNG re-encode of decoded pixels, so it matches to a looser tolerance.
      expect(result.bitmap.label).toBe(result.url.label);
      expect(Math.abs(result.bitmap.probability - result.url.probability)).toBeLessThanOrEqual(1e-3);
    }
    const correct = results.filter((result) => result.url.label === result.label).length;
    expect(correct).toBeGreaterThanOrEqual(5);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps its styles under hostile page CSS', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/form.html`);
    await waitReady(page, '#widget');
    await page.locator('tandem-widget [part=probability][data-value]').waitFor({ timeout: 30_000 });

    const readStyles = () =>
      page.evaluate(() => {
        const root = document.querySelector('tandem-widget')!.shadowRoot!;
        const properties = ['color', 'font-size', 'font-family', 'font-weight', 'line-height', 'letter-spacing', 'text-transform', 'padding-top', 'background-color'];
        const selectors = ['.root', '[part=probability]', '[part=label]', 'input[name=tenure]', 'select[name=contract]', '[part=meter-fill]'];
        return Object.fromEntries(
          selectors.map((selector) => {
            const style = getComputedStyle(root.querySelector(selector)!);
            return [selector, Object.fromEntries(properties.map((property) => [property, style.getPropertyValue(property)]))];
          }),
        );
      });

    const before = await readStyles();
    await page.addStyleTag({
      content: `* { color: red !important; font-size: 40px; font-family: fantasy !important; line-height: 3; letter-spacing: 4px; text-transform: uppercase; padding: 9px; background-color: yellow }
                html { font-size: 40px }`,
    });
    const after = await readStyles();
    expect(after).toEqual(before);

    // Theming goes through the custom properties and ::part().
    await page.addStyleTag({ content: 'tandem-widget { --tandem-accent: rgb(0, 128, 0) } tandem-widget::part(probability) { color: rgb(0, 0, 255) }' });
    const themed = await readStyles();
    expect(themed['[part=meter-fill]']!['background-color']).toBe('rgb(0, 128, 0)');
    expect(themed['[part=probability]']!['color']).toBe('rgb(0, 0, 255)');
    await page.close();
  });

  it('works at 320 px with keyboard and labels', async () => {
    const page = await launched.context.newPage();
    await page.setViewportSize({ width: 320, height: 800 });
    await page.goto(`${host.origin}/form.html`);
    await waitReady(page, '#widget');
    const shownProbability = page.locator('tandem-widget [part=probability][data-value]');
    await shownProbability.waitFor({ timeout: 30_000 });
    const before = await shownProbability.getAttribute('data-value');

    const layout = await page.evaluate(() => {
      const root = document.querySelector('tandem-widget')!.shadowRoot!;
      const controls = [...root.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')];
      return {
        pageWidth: document.documentElement.scrollWidth,
        widgetRight: document.querySelector('tandem-widget')!.getBoundingClientRect().right,
        controls: controls.length,
        unlabelled: controls.filter((control) => (control.labels?.length ?? 0) === 0).map((control) => control.name),
        liveRegions: root.querySelectorAll('[aria-live=polite]').length,
      };
    });
    expect(layout.pageWidth).toBeLessThanOrEqual(320);
    expect(layout.widgetRight).toBeLessThanOrEqual(320);
    expect(layout.controls).toBe(churnManifest.tabular.features.length);
    expect(layout.unlabelled).toEqual([]);
    expect(layout.liveRegions).toBe(1);

    // Tab into the form and change the first control, a select of Yes and No, with the arrow keys.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.querySelector('tandem-widget')!.shadowRoot!.activeElement?.getAttribute('name'));
    expect(focused).toBe(churnManifest.tabular.features[0].name);
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => shownProbability.getAttribute('data-value')).not.toBe(before);
    await page.close();
  });

  // NOTE: onnxruntime-web 1.31 picks ceil(cores / 2) threads, at most 4, so on a machine with two cores
  // or fewer this page still runs one thread and the threaded path is not exercised.
  it('predicts on a cross-origin isolated page', async () => {
    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${host.origin}/isolated/script-only.html`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await waitReady(page, '#widget');
    const isolated = await page.evaluate(async (record) => document.querySelector('tandem-widget')!.predict(record), sampleRecord);

    const plainPage = await launched.context.newPage();
    await plainPage.goto(`${host.origin}/script-only.html`);
    await waitReady(plainPage, '#widget');
    const plain = await plainPage.evaluate(async (record) => document.querySelector('tandem-widget')!.predict(record), sampleRecord);

    expect(Math.abs(isolated.probability - plain.probability)).toBeLessThanOrEqual(parityTolerance);
    expect(errors).toEqual([]);
    await plainPage.close();
    await page.close();
  });

  it('says so where WebAssembly is missing', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${host.origin}/no-webassembly.html`);
    const message = await page.evaluate(async () => {
      await customElements.whenDefined('tandem-widget');
      return document.querySelector('tandem-widget')!.ready.then(
        () => null,
        (error: Error) => error.message,
      );
    });

    expect(message).toContain('no WebAssembly');
    await expect.poll(() => page.locator('tandem-widget [part=error]').textContent()).toContain('no WebAssembly');
    await page.close();
  });
});

describe('tandem-widget on WebGPU', () => {
  let build: { url: string; close(): Promise<void> };
  let host: HostServer;
  let launched: LaunchedBrowser;

  beforeAll(async () => {
    build = await serveBuildWithCors();
    const widgetScript = new URL('widget/tandem-widget.js', build.url).href;
    host = await serveHostPages({
      '/backends.html': hostPage(widgetScript, '<tandem-widget id="gpu" view="none" backend="webgpu"></tandem-widget><tandem-widget id="cpu" view="none" backend="wasm"></tandem-widget>'),
    });
    // --enable-unsafe-webgpu gives a software (SwiftShader) adapter where there is no GPU.
    launched = await launchBrowser({ webgpu: true });
  });

  afterAll(async () => {
    await launched?.close();
    await host?.close();
    await build?.close();
  });

  // The widget runs onnxruntime-web's WebGPU build, not the app's, so its WebGPU path is checked on its own.
  it('predicts on WebGPU as on WASM', async () => {
    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${host.origin}/backends.html`);
    const gpu = await waitReady(page, '#gpu');
    const cpu = await waitReady(page, '#cpu');
    const [onGpu, onCpu] = await page.evaluate(
      async (record) => Promise.all(['#gpu', '#cpu'].map((selector) => document.querySelector<TandemWidget>(selector)!.predict(record))),
      sampleRecord,
    );

    expect(gpu.backend).toBe('webgpu');
    expect(cpu.backend).toBe('wasm');
    expect(onGpu.backend).toBe('webgpu');
    // Float32 on the GPU rounds differently; the app's WebGPU parity tests use the same 1e-5.
    expect(Math.abs(onGpu.probability - onCpu.probability)).toBeLessThanOrEqual(1e-5);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('storefront demo pages', () => {
  let build: { url: string; close(): Promise<void> };
  let launched: LaunchedBrowser;

  beforeAll(async () => {
    build = await serveBuildWithCors();
    launched = await launchBrowser();
  });

  afterAll(async () => {
    await launched?.close();
    await build?.close();
  });

  it('shows a predicted category on hover', async () => {
    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    await page.goto(new URL('storefront/index.html', build.url).href);
    const first = catalogue[0]!;
    const card = page.locator(`.product[data-file="${first.file}"]`);
    await card.hover();

    await expect.poll(() => card.getAttribute('data-predicted'), { timeout: 60_000 }).toBe(first.label);
    expect(await page.locator('.prediction').first().textContent()).toContain(`Predicted category: ${first.label}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('suggests an offer above the threshold', async () => {
    const page = await launched.context.newPage();
    const errors = watchErrors(page);
    await page.goto(new URL('storefront/support.html', build.url).href);
    const offer = page.locator('#offer');
    await expect.poll(() => offer.getAttribute('data-level'), { timeout: 60_000 }).toBe('low');

    // A new month-to-month fibre customer is the riskiest profile in the churn data.
    await page.locator('tandem-widget select[name=contract]').selectOption('Month-to-month');
    await page.locator('tandem-widget input[name=tenure]').fill('1');
    await expect.poll(() => offer.getAttribute('data-level'), { timeout: 20_000 }).toBe('high');
    expect(await page.locator('#offer-text').textContent()).toContain('one-year contract');
    expect(errors).toEqual([]);
    await page.close();
  });
});
