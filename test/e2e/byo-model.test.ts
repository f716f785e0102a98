/**
 * Opening the user's own ONNX models: the small models that training/test-models/build.py writes
 * (with numpy reference outputs) are opened by file, scored in real time and in batches of CSV,
 * JSON Lines and images, and compared with the references. Each bad file gets its message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJob, openApp, scoreFile, waitForJobList } from './app-page';
import { parseCsv } from './churn-data';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

/**
 * Parity tolerance with the numpy references. Both compute in float32, but the summation order
 * of a matrix product differs between numpy and onnxruntime, so the last bits can differ.
 */
const tolerance = 1e-4;
const fixtures = 'test/fixtures/generated/byo';

/** Builds the test models and references when they are missing or older than the script. */
function ensureFixtures(): void {
  const stamp = join(fixtures, 'references.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync('training/test-models/build.py').mtimeMs) return;
  execFileSync('/usr/bin/python3', ['training/test-models/build.py'], { stdio: 'inherit' });
}

ensureFixtures();
const references = JSON.parse(readFileSync(join(fixtures, 'references.json'), 'utf8'));
const fixture = (name: string) => join(fixtures, name);

/** Opens a model file with the picker and waits until the page has loaded it. */
async function openModelFile(page: Page, paths: string[], backend = 'wasm'): Promise<void> {
  const previous = page.url();
  await page.locator('[data-testid=open-model-file]').setInputFiles(paths);
  await page.waitForURL((url) => url.href !== previous && url.search.includes('model=stored'), { timeout: 60_000 });
  await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 120_000 }).toBe(backend);
}

/** Opens a file that must be rejected and returns the message the page shows. */
async function openRejected(page: Page, path: string): Promise<string> {
  await page.locator('[data-testid=open-model-file]').setInputFiles(path);
  const message = page.locator('[data-testid=open-model-error]');
  await expect.poll(() => message.count(), { timeout: 30_000 }).toBe(1);
  return (await message.textContent()) ?? '';
}

function maxDifference(actual: number[], expected: number[]): number {
  expect(actual).toHaveLength(expected.length);
  return Math.max(...actual.map((value, i) => Math.abs(value - expected[i]!)));
}

/** Returns each image's logits and preview from the worker's real-time path. */
async function predictImages(page: Page, paths: string[]): Promise<{ logits: number[]; preview: number[] }[]> {
  const images = paths.map((path) => [...readFileSync(path)]);
  return page.evaluate(async (files) => {
    const { client, model } = window.tandem!;
    const results: { logits: number[]; preview: number[] }[] = [];
    for (const bytes of files) {
      const result = await client.predictImage(model.id, new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
      results.push({ logits: result.logits, preview: Array.from(result.preview) });
    }
    return results;
  }, images);
}

describe('bring your own model on wasm', () => {
  let served: Served;
  let launched: LaunchedBrowser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    served = await serveBuild();
    launched = await launchBrowser();
    page = await launched.context.newPage();
    errors = watchErrors(page);
  });

  afterAll(async () => {
    await launched?.close();
    await served?.close();
  });

  it('opens a regressor and matches its references', async () => {
    await openApp(page, served.url, 'wasm');
    await openModelFile(page, [fixture('regressor.onnx')]);

    // The info panel shows the file's own header fields and operators.
    expect(await page.locator('[data-testid=info-opset]').textContent()).toContain('ai.onnx 17');
    expect(await page.locator('[data-testid=info-ir]').textContent()).toBe('8');
    expect(await page.locator('[data-testid=info-producer]').textContent()).toBe('tandem-test-models 1.0');
    expect(await page.locator('[data-testid=info-manifest-source]').textContent()).toBe('derived from the model file');
    expect(await page.locator('[data-testid=info-operators] li').evaluateAll((items) => items.map((item) => item.getAttribute('data-op')))).toEqual(['MatMul', 'Add']);
    expect(await page.locator('[data-testid=model-title]').textContent()).toBe('house_price');

    // Real time: the form has the features named in metadata_props.
    const input = parseCsv(readFileSync(fixture('regressor.csv'), 'utf8'));
    for (const name of references.regressor.names) await page.locator(`[data-feature=${name}]`).fill(input[0]![name]!);
    const shown = page.locator('[data-testid=predicted-value]');
    await expect.poll(async () => Math.abs(Number(await shown.getAttribute('data-value')) - references.regressor.outputs[0]), { timeout: 10_000 }).toBeLessThanOrEqual(tolerance);

    // Batch: every row's value, in input order, with no probability.
    const jobId = await scoreFile(page, fixture('regressor.csv'));
    const exported = parseCsv(await exportJob(page, jobId));
    expect(exported.map((row) => row.id)).toEqual(input.map((row) => row.id));
    expect(maxDifference(exported.map((row) => Number(row.prediction)), references.regressor.outputs)).toBeLessThanOrEqual(tolerance);
    expect(exported.every((row) => row.probability === '' && row.error === '')).toBe(true);
  });

  it('scores JSON Lines with row errors', async () => {
    const jobId = await scoreFile(page, fixture('regressor.jsonl'));
    const job = page.locator(`[data-testid=job][data-job-id="${jobId}"]`);
    expect(await job.textContent()).toContain('completed with 3 row errors');
    expect(await job.textContent()).toContain('JSON Lines');
    expect(await job.textContent()).toContain('Row 13: key "rooms" is missing; give every line the keys of the first line (distance_km, age, rooms, sqft, id)');

    // The export is CSV: the JSON keys as columns, then the results. Lines 6, 10 and 13 are the bad ones.
    const exported = parseCsv(await exportJob(page, jobId));
    expect(exported).toHaveLength(43);
    expect(Object.keys(exported[0]!).slice(0, 5)).toEqual(['distance_km', 'age', 'rooms', 'sqft', 'id']);
    expect(exported[5]!.error).toBe('column sqft is "big": "sqft" must be a number such as 42 or 18.5');
    expect(exported[9]!.error).toContain('the line is not valid JSON');
    expect(exported[12]!.error).toBe('key "rooms" is missing; give every line the keys of the first line (distance_km, age, rooms, sqft, id)');
    const good = exported.filter((row) => row.error === '');
    expect(good).toHaveLength(40);
    expect(maxDifference(good.map((row) => Number(row.prediction)), references.regressor.outputs)).toBeLessThanOrEqual(tolerance);
  });

  it('keeps an opened model after a reload', async () => {
    await page.reload();
    await expect.poll(() => page.locator('[data-testid=model-title]').textContent(), { timeout: 60_000 }).toBe('house_price');
    await expect.poll(() => page.locator('[data-testid=job]').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  });

  it('maps a classifier by position and shows classes', async () => {
    await openModelFile(page, [fixture('classifier.onnx')]);
    const notes = (await page.locator('[data-testid=info-notes]').textContent()) ?? '';
    expect(notes).toContain('"probabilities" [N, 3] is read as class probabilities');
    expect(notes).toContain('The output "label" (tensor of int64) is not shown');

    // Real time: every class gets a bar, from the all-zero sample record.
    await expect.poll(() => page.locator('tandem-class-bars [data-testid=top-class]').count(), { timeout: 10_000 }).toBe(3);

    const jobId = await scoreFile(page, fixture('classifier.csv'));
    expect(await page.locator(`[data-testid=job][data-job-id="${jobId}"]`).textContent()).toContain('feed the features by position (m1 → x0');
    const exported = parseCsv(await exportJob(page, jobId));
    const expected: number[][] = references.classifier.probabilities;
    const labels: string[] = references.classifier.labels;
    expect(exported.map((row) => row.prediction)).toEqual(expected.map((row) => labels[row.indexOf(Math.max(...row))]));
    expect(maxDifference(exported.map((row) => Number(row.probability)), expected.map((row) => Math.max(...row)))).toBeLessThanOrEqual(tolerance);

    // A file with the wrong number of columns gets the number the model takes.
    await page.locator('[data-testid=file-input]').setInputFiles(fixture('classifier-4-columns.csv'));
    const problem = page.locator('[data-testid=batch-error]');
    await expect.poll(() => problem.count(), { timeout: 30_000 }).toBe(1);
    expect(await problem.textContent()).toContain('The model expects 5 columns (its input "input" [N, 5]), but the file has 4');

    // A file with no header row is rejected rather than losing its first row.
    await page.locator('[data-testid=file-input]').setInputFiles(fixture('classifier-no-header.csv'));
    await expect.poll(() => problem.textContent(), { timeout: 30_000 }).toContain('holds only numbers, so it is a row of data, not a header');
    expect(await problem.textContent()).toContain('Add a header row above it with the feature names (x0, x1, x2, x3, x4), then score the file again.');
  });

  it('applies a changed mapping and downloads the manifest', async () => {
    const fields = page.locator('[data-testid=mapping-feature]');
    for (let i = 0; i < 5; i++) await fields.nth(i).fill(`m${i + 1}`);
    await page.locator('[data-testid=mapping-apply]').click();
    await expect.poll(() => page.locator('[data-feature=m1]').count(), { timeout: 60_000 }).toBe(1);

    // The columns now match by name, so no position warning.
    const jobId = await scoreFile(page, fixture('classifier.csv'));
    expect(await page.locator(`[data-testid=job][data-job-id="${jobId}"]`).textContent()).not.toContain('by position');

    const download = page.waitForEvent('download');
    await page.locator('[data-testid=download-manifest]').click();
    const manifestPath = (await (await download).path())!;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.manifest_version).toBe(1);
    expect(manifest.model.file).toBe('classifier.onnx');
    expect(manifest.tabular.features.map((feature: { name: string }) => feature.name)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(manifest.output).toMatchObject({ name: 'probabilities', kind: 'probabilities', labels: ['red', 'green', 'blue'] });

    // The downloaded manifest opens with the model.
    const copy = join(fixtures, 'manifest.json');
    writeFileSync(copy, readFileSync(manifestPath));
    await page.locator('[data-testid=open-model-file]').setInputFiles([fixture('classifier.onnx'), copy]);
    await expect.poll(() => page.locator('[data-testid=info-manifest-source]').textContent(), { timeout: 60_000 }).toBe('given with the model');
  });

  it('runs a fixed-batch model that outputs logits', async () => {
    await openModelFile(page, [fixture('fixed-batch.onnx')]);
    expect(await page.locator('[data-testid=info-notes]').textContent()).toContain('read as logits, so softmax gives the class probabilities');
    const jobId = await scoreFile(page, fixture('fixed-batch.csv'));
    const exported = parseCsv(await exportJob(page, jobId));
    const expected: number[][] = references.fixed_batch.probabilities;
    expect(exported).toHaveLength(12);
    expect(exported.map((row) => row.prediction)).toEqual(expected.map((row) => String(row.indexOf(Math.max(...row)))));
    expect(maxDifference(exported.map((row) => Number(row.probability)), expected.map((row) => Math.max(...row)))).toBeLessThanOrEqual(tolerance);
  });

  it('feeds a model with two inputs', async () => {
    await openModelFile(page, [fixture('two-inputs.onnx')]);
    const jobId = await scoreFile(page, fixture('two-inputs.csv'));
    const exported = parseCsv(await exportJob(page, jobId));
    expect(maxDifference(exported.map((row) => Number(row.prediction)), references.two_inputs.outputs)).toBeLessThanOrEqual(tolerance);
  });

  it('reads a ZipMap model through its tensor', async () => {
    await openModelFile(page, [fixture('zipmap.onnx')]);
    const notes = (await page.locator('[data-testid=info-notes]').textContent()) ?? '';
    expect(notes).toContain('The output "output_probability" is a ZipMap');
    expect(notes).toContain('Tandem reads the tensor "probabilities"');
    const jobId = await scoreFile(page, fixture('zipmap.csv'));
    const exported = parseCsv(await exportJob(page, jobId));
    const expected: number[][] = references.zipmap.probabilities;
    const labels: string[] = references.zipmap.labels;
    expect(exported.map((row) => row.prediction)).toEqual(expected.map((row) => labels[row.indexOf(Math.max(...row))]));
    expect(maxDifference(exported.map((row) => Number(row.probability)), expected.map((row) => Math.max(...row)))).toBeLessThanOrEqual(tolerance);
  });

  it('classifies images with an NHWC model', async () => {
    await openModelFile(page, [fixture('image-nhwc.onnx')]);
    await expect.poll(() => page.locator('tandem-image-panel').count()).toBe(1);
    const names = Object.keys(references.image_nhwc.images);
    const images = names.map((name) => [...readFileSync(fixture(name))]);
    const logits: number[][] = await page.evaluate(async (files) => {
      const { client, model } = window.tandem!;
      const results: number[][] = [];
      for (const bytes of files) results.push((await client.predictImage(model.id, new Blob([new Uint8Array(bytes)], { type: 'image/png' }))).logits);
      return results;
    }, images);
    names.forEach((name, i) => expect(maxDifference(logits[i]!, references.image_nhwc.images[name].logits)).toBeLessThanOrEqual(tolerance));
  });

  for (const layout of ['NCHW', 'NHWC'] as const) {
    it(`classifies colour images with an ${layout} model`, async () => {
      const reference = references[`image_rgb_${layout.toLowerCase()}`];
      const names = Object.keys(reference.images);
      const size: number = reference.size;
      await openModelFile(page, [fixture(`image-rgb-${layout.toLowerCase()}.onnx`)]);
      await expect.poll(() => page.locator('tandem-image-panel').count()).toBe(1);
      const notes = (await page.locator('[data-testid=info-notes]').textContent()) ?? '';
      expect(notes).toContain(`is read as ${layout} RGB (red, green, blue channels in that order`);
      expect(notes).toContain(
        layout === 'NCHW' ? 'normalized with image_mean [0.485, 0.456, 0.406] and image_std [0.229, 0.224, 0.225]' : 'scaled to 0-1 with no normalization',
      );

      // Real time: the logits match numpy's, and the preview is the PNG's own RGB pixels, since
      // the image is already the model's size.
      const results = await predictImages(page, names.map(fixture));
      names.forEach((name, i) => {
        expect(maxDifference(results[i]!.logits, reference.images[name].logits), name).toBeLessThanOrEqual(tolerance);
        expect(results[i]!.preview, name).toEqual(reference.images[name].pixels);
      });

      // The page draws that preview in colour.
      await page.locator('[data-testid=image-input]').setInputFiles(fixture(names[0]!));
      const view = page.locator('[data-testid=model-view]');
      await expect.poll(() => view.getAttribute('aria-label'), { timeout: 30_000 }).toBe('The colour image the model classified');
      const drawn: number[] = await view.evaluate((canvas: HTMLCanvasElement) => {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        return Array.from(data).filter((_, i) => i % 4 !== 3);
      });
      expect(drawn).toEqual(reference.images[names[0]!].pixels);
      expect(await page.locator('figcaption', { hasText: 'What the model sees' }).textContent()).toContain(`${size} × ${size} colour pixels`);

      // Batch: the five images and a file that is not an image, which gets a row error alone.
      await waitForJobList(page);
      const before = await page.locator('[data-testid=job]').count();
      await page.locator('[data-testid=images-input]').setInputFiles([...names.map(fixture), fixture('regressor.csv')]);
      await expect.poll(() => page.locator('[data-testid=job]').count(), { timeout: 120_000 }).toBe(before + 1);
      const job = page.locator('[data-testid=job]').first();
      expect(await job.getAttribute('data-status')).toBe('completed');
      const exported = parseCsv(await exportJob(page, (await job.getAttribute('data-job-id'))!));
      expect(exported.map((row) => row.file)).toEqual([...names, 'regressor.csv']);
      expect(exported[5]!.error).toContain('it is not an image');
      const labels: string[] = reference.labels;
      const expected: number[][] = names.map((name) => reference.images[name].probabilities);
      const good = exported.slice(0, 5);
      expect(good.map((row) => row.error)).toEqual(['', '', '', '', '']);
      expect(good.map((row) => row.prediction)).toEqual(expected.map((row) => labels[row.indexOf(Math.max(...row))]));
      expect(maxDifference(good.map((row) => Number(row.probability)), expected.map((row) => Math.max(...row)))).toBeLessThanOrEqual(tolerance);
    });
  }

  it('applies an edited image_mean and image_std', async () => {
    const reference = references.image_rgb_nhwc;
    const names = Object.keys(reference.images);
    // The NHWC colour model is still open from the test before.
    await page.locator('[data-testid=mapping-image-mean]').fill('0.5, 0.4');
    await page.locator('[data-testid=mapping-image-std]').fill('0.25, 0.2, 0.5');
    await page.locator('[data-testid=mapping-apply]').click();
    expect(await page.locator('[data-testid=mapping-error]').textContent()).toBe(
      'The image_mean "0.5, 0.4" has 2 values, but the model takes 3 channels. Give 1 or 3 values.',
    );

    await page.locator('[data-testid=mapping-image-mean]').fill(reference.edited.image_mean.join(', '));
    await page.locator('[data-testid=mapping-apply]').click();
    // The page loads the model again with the edited manifest.
    await expect
      .poll(() => page.evaluate(() => (window.tandem?.model.manifest.image as { image_mean?: number[] } | undefined)?.image_mean), { timeout: 60_000 })
      .toEqual(reference.edited.image_mean);
    expect(await page.evaluate(() => window.tandem!.model.manifest.image!.do_normalize)).toBe(true);
    const results = await predictImages(page, names.map(fixture));
    names.forEach((name, i) => expect(maxDifference(results[i]!.logits, reference.images[name].edited_logits), name).toBeLessThanOrEqual(tolerance));
  });

  it('marks an operator WebGPU lacks', async () => {
    await openModelFile(page, [fixture('rounding.onnx')]);
    expect(await page.locator('[data-testid=info-operators] li[data-op=Round]').getAttribute('data-webgpu')).toBe('false');
    expect(await page.locator('[data-testid=info-operators] li[data-op=MatMul]').getAttribute('data-webgpu')).toBe('true');
    expect(await page.locator('[data-testid=info-notes]').textContent()).toContain('WebGPU does not implement Round: on WebGPU it would run on WASM (the CPU)');
    const jobId = await scoreFile(page, fixture('rounding.csv'));
    const exported = parseCsv(await exportJob(page, jobId));
    expect(maxDifference(exported.map((row) => Number(row.prediction)), references.rounding.outputs)).toBeLessThanOrEqual(tolerance);
  });

  it('names the problem of each bad file', async () => {
    expect(await openRejected(page, fixture('not-onnx.onnx'))).toMatch(/^The file "not-onnx\.onnx" is not an ONNX model \(.+\)\. Choose a \.onnx file/);
    expect(await openRejected(page, fixture('truncated.onnx'))).toMatch(/^The file "truncated\.onnx" is a truncated ONNX model: a field of \d+ bytes runs past the end of the file/);
    expect(await openRejected(page, fixture('opset-99.onnx'))).toContain('uses ONNX opset 99, but ONNX Runtime Web 1.31 runs opsets 7 to 26');
    expect(await openRejected(page, fixture('unknown-operator.onnx'))).toContain('uses the operator FancyScaler (domain com.example), which ONNX Runtime Web does not implement');
    // An operator only compiling finds: the page keeps its model, and the file is not stored.
    const pageBefore = page.url();
    const modelBefore = await page.evaluate(() => window.tandem!.model.id);
    expect(await openRejected(page, fixture('unknown-standard-operator.onnx'))).toBe(
      'The model "unknown-standard-operator.onnx" uses the operator FrobnicateXYZ (domain ai.onnx, opset 17), which ONNX Runtime Web does not implement, ' +
        'so neither WebGPU nor WASM can run it. Export the model with operators ONNX Runtime supports (check the operator name and the opset), then open it again.',
    );
    expect(page.url()).toBe(pageBefore);
    expect(await page.evaluate(() => window.tandem!.model.id)).toBe(modelBefore);
    const storedNames = await page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const request = indexedDB.open('tandem');
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const all = request.result.transaction('models').objectStore('models').getAll();
            all.onsuccess = () => resolve((all.result as { fileName: string }[]).map((record) => record.fileName));
            all.onerror = () => reject(all.error);
          };
        }),
    );
    expect(storedNames.length).toBeGreaterThan(0);
    expect(storedNames).not.toContain('unknown-standard-operator.onnx');
    expect(await openRejected(page, fixture('regressor.csv'))).toBe('"regressor.csv" is not a .onnx model file. Choose a file whose name ends in .onnx.');

    // A manifest whose image settings the preprocessing lacks is rejected when the model opens.
    await page.locator('[data-testid=open-model-file]').setInputFiles([fixture('image-rgb-nhwc.onnx'), fixture('bad-image-manifest/manifest.json')]);
    const manifestProblem = page.locator('[data-testid=open-model-error]');
    await expect.poll(() => manifestProblem.textContent(), { timeout: 30_000 }).toContain(
      'The manifest of the model "image-rgb-nhwc.onnx" has image settings Tandem does not implement: image_mean [0.5,0.5] (give 1 or 3 numbers).',
    );

    // A size limit below the file's size (here from the page address) rejects it before reading.
    await page.goto(`${served.url}?backend=wasm&max_model_mb=0.0001`);
    await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe('wasm');
    expect(await openRejected(page, fixture('regressor.onnx'))).toBe(
      'The model "regressor.onnx" is 301 bytes, more than the 100 bytes this device can load (the limit that max_model_mb in the page address sets). ' +
        'Use a smaller or quantized model (for example with onnxruntime.quantization), or open it on a device with more memory.',
    );
    expect(errors.filter((error) => !error.includes('Failed to load resource'))).toEqual([]);
  });
});

describe('bring your own model on webgpu', () => {
  let served: Served;
  let launched: LaunchedBrowser;

  beforeAll(async () => {
    served = await serveBuild();
    launched = await launchBrowser({ webgpu: true });
  });

  afterAll(async () => {
    await launched?.close();
    await served?.close();
  });

  it('runs a WebGPU-lacking operator on WASM', async () => {
    const page = await launched.context.newPage();
    await openApp(page, served.url, 'webgpu');
    await openModelFile(page, [fixture('rounding.onnx')], 'webgpu');
    expect(await page.locator('[data-testid=info-backend]').textContent()).toBe('webgpu: WebGPU was chosen in the settings');
    expect(await page.locator('[data-testid=info-notes]').textContent()).toContain(
      'WebGPU does not implement Round, so onnxruntime-web runs that operator on WASM (the CPU) inside the WebGPU session',
    );
    const jobId = await scoreFile(page, fixture('rounding.csv'));
    const exported = parseCsv(await exportJob(page, jobId));
    expect(maxDifference(exported.map((row) => Number(row.prediction)), references.rounding.outputs)).toBeLessThanOrEqual(tolerance);
    await page.close();
  });

  it('classifies colour images on WebGPU', async () => {
    const page = await launched.context.newPage();
    await openApp(page, served.url, 'webgpu');
    await openModelFile(page, [fixture('image-rgb-nchw.onnx')], 'webgpu');
    const reference = references.image_rgb_nchw;
    const names = Object.keys(reference.images);
    const results = await predictImages(page, names.map(fixture));
    names.forEach((name, i) => expect(maxDifference(results[i]!.logits, reference.images[name].logits), name).toBeLessThanOrEqual(tolerance));
    await page.close();
  });
});
