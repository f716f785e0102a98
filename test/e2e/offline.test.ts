/**
 * The service worker end to end: offline use after one online visit, the integrity checks before
 * caching, the storage panel, and updates that replace the old version's cache entries.
 *
 * Needs a production build in dist/ (`npx vite build`). The tests serve copies of it from a
 * temporary folder, some with a file changed, and the update test builds a second version there.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { build, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, scoreFile } from './app-page';
import { launchBrowser, watchErrors, type Served } from './harness';

const backend = 'wasm';
const scratch = mkdtempSync(join(tmpdir(), 'tandem-offline-'));

interface ServedDirectory extends Served {
  port: number;
}

/** Serves a build folder with `vite preview`, on `port` when given, else on a free one. */
async function serveDirectory(outDir: string, port = 0): Promise<ServedDirectory> {
  const server = await preview({
    build: { outDir },
    preview: { port, strictPort: port !== 0, host: '127.0.0.1' },
    logLevel: 'silent',
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error(`vite preview of ${outDir} did not report a local URL`);
  // Tests close a server early to take it offline, and again in `finally`.
  let closed: Promise<void> | null = null;
  return { url, port: Number(new URL(url).port), close: () => (closed ??= server.close()) };
}

/** The build under test: a copy of dist/ taken before the first test, so a rebuild meanwhile does not change it. */
let built = '';

/** Copies the build under test to a new temporary folder and returns its path. */
function copyBuild(name: string): string {
  const copy = join(scratch, name);
  cpSync(built, copy, { recursive: true });
  return copy;
}

/**
 * Waits until a service worker controls the page. It activates, and takes control, only after
 * precaching finished. A failed install shows its reason in the page's cache-problem banner.
 */
async function waitForOfflineCopy(page: Page): Promise<void> {
  const controlled = () => page.evaluate(() => navigator.serviceWorker.controller !== null);
  const problem = () => page.locator('[data-testid=cache-problem]').textContent({ timeout: 100 }).catch(() => 'none');
  await expect.poll(async () => ((await controlled()) ? 'controlled' : `not controlled; cache problem: ${await problem()}`), { timeout: 90_000 }).toBe('controlled');
}

/** Returns the URL of every entry in the page's Cache Storage, with its query (the precache revision). */
function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
  });
}

async function cachedPaths(page: Page): Promise<string[]> {
  return (await cachedUrls(page)).map((url) => new URL(url).pathname);
}

/** Returns the file name of a runtime .wasm: `jsep` is the WebGPU build, `wasm` the plain WASM build. */
function runtimeFile(build: 'wasm' | 'jsep'): string {
  const pattern = build === 'jsep' ? /^ort-wasm-simd-threaded\.jsep-[\w-]+\.wasm$/ : /^ort-wasm-simd-threaded-[\w-]+\.wasm$/;
  const file = readdirSync(join(built, 'assets')).find((name) => pattern.test(name));
  if (!file) throw new Error(`dist/assets has no ${build} runtime .wasm; run npx vite build`);
  return file;
}

/** Returns the file name of the runtime .wasm the app loads on the WASM backend, which these tests use. */
function mainRuntime(): string {
  return runtimeFile('wasm');
}

async function readProbability(page: Page): Promise<number> {
  return Number(await page.locator('[data-testid=probability]').getAttribute('data-value'));
}

/** Writes the header and the first `rows` customers of the shipped churn file. */
function writeSmallCsv(rows: number): string {
  const lines = readFileSync('public/data/churn.csv', 'utf8').split('\n');
  const path = join(scratch, `churn-${rows}.csv`);
  writeFileSync(path, `${lines.slice(0, rows + 1).join('\n')}\n`);
  return path;
}

beforeAll(() => {
  built = join(scratch, 'dist');
  cpSync('dist', built, { recursive: true });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('offline and installable', () => {
  it('works offline after one online visit', async () => {
    // The build plus a model that is not in its precache list, as a `?model=` URL would load.
    const withOtherModel = copyBuild('other-model');
    cpSync(join(built, 'models/churn'), join(withOtherModel, 'models/other'), { recursive: true });
    const otherModelPage = `?model=models/other/manifest.json&backend=${backend}`;

    const served = await serveDirectory(withOtherModel);
    const launched = await launchBrowser();
    try {
      const page = await launched.context.newPage();
      const errors = watchErrors(page);
      await openApp(page, served.url, backend);
      await waitForOfflineCopy(page);

      // The app shell, every built script and runtime file (the inference worker's script and the
      // onnxruntime-web .mjs and .wasm of both builds among them), the models and the sample data
      // are cached.
      const paths = await cachedPaths(page);
      const workerScript = new URL(page.workers()[0]!.url()).pathname;
      const builtAssets = readdirSync(join(built, 'assets')).filter((file) => !file.endsWith('.map'));
      expect(builtAssets.filter((file) => file.endsWith('.wasm')).sort()).toEqual([runtimeFile('wasm'), runtimeFile('jsep')].sort());
      expect(paths).toContain(workerScript);
      for (const file of builtAssets) expect(paths).toContain(`/assets/${file}`);
      for (const file of ['/index.html', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png', '/data/churn.csv']) {
        expect(paths).toContain(file);
      }
      for (const model of ['churn', 'product-photo']) {
        expect(paths).toContain(`/models/${model}/manifest.json`);
        expect(paths).toContain(`/models/${model}/model.onnx`);
      }
      expect(paths).not.toContain('/sw.js');

      // Chromium finds nothing that stops installation, and the icons have their stated sizes.
      const cdp = await launched.context.newCDPSession(page);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      expect(installabilityErrors).toEqual([]);
      const webManifest = JSON.parse(readFileSync(join(built, 'manifest.webmanifest'), 'utf8'));
      expect(webManifest).toMatchObject({ name: 'Tandem', start_url: './', display: 'standalone' });
      for (const size of [192, 512]) {
        const icon = webManifest.icons.find((entry: { sizes: string; purpose: string }) => entry.sizes === `${size}x${size}` && entry.purpose === 'any');
        const png = PNG.sync.read(readFileSync(join(built, icon.src)));
        expect([png.width, png.height]).toEqual([size, size]);
      }

      await page.locator('[data-testid=sample-file]').click();
      const sampleJob = page.locator('[data-testid=job]').first();
      await expect.poll(() => sampleJob.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');
      const sampleJobId = await sampleJob.getAttribute('data-job-id');

      // The model outside the precache goes to the model cache when it loads.
      await page.goto(`${served.url}${otherModelPage}`);
      await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe(backend);
      const otherModelFiles = ['/models/other/manifest.json', '/models/other/model.onnx'];
      await expect.poll(async () => (await cachedPaths(page)).filter((path) => path.startsWith('/models/other/')).sort()).toEqual(otherModelFiles);

      // Offline, with the server stopped too, so that only the caches can respond.
      await launched.context.setOffline(true);
      await served.close();
      await page.reload();
      await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe(backend);
      await page.goto(`${served.url}?backend=${backend}`);
      await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe(backend);

      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 30_000 });
      const before = await readProbability(page);
      await page.locator('[data-feature="contract"]').first().selectOption('Month-to-month');
      await page.locator('[data-feature="tenure"]').first().fill('1');
      await expect.poll(() => readProbability(page), { timeout: 20_000 }).not.toBe(before);

      const smallJobId = await scoreFile(page, writeSmallCsv(50));
      await expect(page.locator(`[data-testid=job][data-job-id="${smallJobId}"] [data-testid=rows]`).getAttribute('data-value')).resolves.toBe('50');
      await expect(page.locator(`[data-testid=job][data-job-id="${sampleJobId}"]`).getAttribute('data-status')).resolves.toBe('completed');
      expect(errors).toEqual([]);

      // The network is really off: a file outside the caches cannot be fetched.
      await expect(page.evaluate(() => fetch('models/churn/golden.json').then(() => 'fetched', () => 'failed'))).resolves.toBe('failed');
    } finally {
      await launched.close();
      await served.close();
    }
  });

  it('storage panel deletes cached models and results', async () => {
    const served = await serveDirectory(built);
    const launched = await launchBrowser();
    try {
      const page = await launched.context.newPage();
      await openApp(page, served.url, backend);
      await waitForOfflineCopy(page);
      await scoreFile(page, writeSmallCsv(20));

      // The 30 MB runtime alone puts usage above 25 MB.
      await openApp(page, served.url, backend);
      const usage = page.locator('[data-testid=storage-usage]');
      await expect.poll(async () => Number(await usage.getAttribute('data-usage')), { timeout: 10_000 }).toBeGreaterThan(25_000_000);
      expect(Number(await usage.getAttribute('data-quota'))).toBeGreaterThan(Number(await usage.getAttribute('data-usage')));
      await expect(page.locator('[data-testid=offline-status]').getAttribute('data-value')).resolves.toBe('true');

      // Each shipped model is two files: its manifest and its model.
      const modelFiles = 2 * readdirSync(join(built, 'models')).length;
      await page.locator('[data-testid=delete-models]').click();
      await expect.poll(() => page.locator('[data-testid=storage-notice]').textContent(), { timeout: 10_000 }).toContain(`Deleted ${modelFiles} cached model files`);
      const afterDelete = await cachedPaths(page);
      expect(afterDelete.filter((path) => path.startsWith('/models/'))).toEqual([]);
      expect(afterDelete).toContain('/index.html');
      expect(afterDelete.some((path) => path.endsWith('.wasm'))).toBe(true);

      // Loading the model online caches it again, after the service worker checks it.
      await openApp(page, served.url, backend);
      await expect.poll(() => cachedPaths(page), { timeout: 10_000 }).toContain('/models/churn/model.onnx');

      expect(await page.locator('[data-testid=job]').count()).toBe(1);
      page.once('dialog', (dialog) => void dialog.accept());
      const reloaded = page.waitForEvent('load');
      await page.locator('[data-testid=delete-results]').click();
      await reloaded;
      await openApp(page, served.url, backend);
      await page.locator('[data-testid=no-jobs]').waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-testid=job]').count()).toBe(0);
    } finally {
      await launched.close();
      await served.close();
    }
  });

  it('rejects a tampered model before caching it', async () => {
    const tampered = copyBuild('tampered');
    const modelPath = join(tampered, 'models/churn/model.onnx');
    const bytes = readFileSync(modelPath);
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(modelPath, bytes);

    const served = await serveDirectory(tampered);
    const launched = await launchBrowser();
    try {
      const page = await launched.context.newPage();
      await page.goto(`${served.url}?backend=${backend}`);

      // The inference worker refuses to use it, and the service worker refuses to cache it.
      const error = page.locator('[data-testid=error-message]');
      await expect.poll(() => error.textContent(), { timeout: 60_000 }).toContain('SHA-256');
      await expect(error.textContent()).resolves.toContain('models/churn/model.onnx');
      const problem = page.locator('[data-testid=cache-problem]');
      await expect.poll(() => problem.textContent(), { timeout: 60_000 }).toContain('could not be stored for offline use');
      await expect(problem.textContent()).resolves.toMatch(/models\/churn\/model\.onnx does not match its manifest: its SHA-256 is [0-9a-f]{64}/);
      expect(await cachedPaths(page)).not.toContain('/models/churn/model.onnx');
    } finally {
      await launched.close();
      await served.close();
    }
  });

  it('rejects a tampered model when caching it again', async () => {
    const tampered = copyBuild('tampered-later');
    const modelPath = join(tampered, 'models/churn/model.onnx');
    const bytes = readFileSync(modelPath);
    writeFileSync(modelPath, bytes.subarray(0, bytes.length - 100));

    // A good version first, then the same build with a truncated model at the same address.
    const good = await serveDirectory(built);
    const launched = await launchBrowser();
    let served: Served = good;
    try {
      const page = await launched.context.newPage();
      await openApp(page, good.url, backend);
      await waitForOfflineCopy(page);
      await good.close();
      served = await serveDirectory(tampered, good.port);

      await page.locator('[data-testid=delete-models]').click();
      await expect.poll(() => page.locator('[data-testid=storage-notice]').textContent(), { timeout: 10_000 }).toContain('Deleted');
      await page.reload();

      const error = page.locator('[data-testid=error-message]');
      await expect.poll(() => error.textContent(), { timeout: 60_000 }).toContain('SHA-256');
      const problem = page.locator('[data-testid=cache-problem]');
      await expect.poll(() => problem.textContent(), { timeout: 30_000 }).toContain('It was not stored for offline use');
      await expect(problem.textContent()).resolves.toContain('models/churn/model.onnx');
      expect(await cachedPaths(page)).not.toContain('/models/churn/model.onnx');
    } finally {
      await launched.close();
      await served.close();
    }
  });

  it('rejects an HTML page in place of the runtime', async () => {
    const broken = copyBuild('no-wasm');
    const wasmFile = mainRuntime();
    rmSync(join(broken, 'assets', wasmFile));

    // vite preview responds to a request for a missing file with index.html, as many static hosts do.
    const served = await serveDirectory(broken);
    const launched = await launchBrowser();
    try {
      const page = await launched.context.newPage();
      await page.goto(`${served.url}?backend=${backend}`);
      const problem = page.locator('[data-testid=cache-problem]');
      await expect.poll(() => problem.textContent(), { timeout: 60_000 }).toContain('HTML page');
      await expect(problem.textContent()).resolves.toContain(`/assets/${wasmFile}, where a WebAssembly file was expected`);
      expect(await cachedPaths(page)).not.toContain(`/assets/${wasmFile}`);
    } finally {
      await launched.close();
      await served.close();
    }
  });

  it('reports a full storage quota', async () => {
    const served = await serveDirectory(built);
    const launched = await launchBrowser();
    try {
      const page = await launched.context.newPage();
      // 5 MB: room for the results database, but not for the 30 MB runtime.
      const cdp = await launched.context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(served.url).origin, quotaSize: 5_000_000 });
      await openApp(page, served.url, backend);

      const problem = page.locator('[data-testid=cache-problem]');
      await expect.poll(() => problem.textContent(), { timeout: 60_000 }).toContain("The browser's storage for this site is full");
      await expect(page.evaluate(() => navigator.serviceWorker.controller)).resolves.toBeNull();

      // The app keeps working online, with the model in memory.
      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 30_000 });
      const before = await readProbability(page);
      await page.locator('[data-feature="contract"]').first().selectOption('Month-to-month');
      await page.locator('[data-feature="tenure"]').first().fill('1');
      await expect.poll(() => readProbability(page), { timeout: 20_000 }).not.toBe(before);
      const jobId = await scoreFile(page, writeSmallCsv(20));
      await expect(page.locator(`[data-testid=job][data-job-id="${jobId}"] [data-testid=rows]`).getAttribute('data-value')).resolves.toBe('20');
    } finally {
      await launched.close();
      await served.close();
    }
  });

  it('replaces the old version on update', async () => {
    // Version 2: the same app with a changed churn manifest, built into a temporary folder.
    const publicCopy = join(scratch, 'public-v2');
    cpSync('public', publicCopy, { recursive: true });
    const manifestPath = join(publicCopy, 'models/churn/manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const newVersion = `${manifest.version}-update-test`;
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, version: newVersion }, null, 2));
    const distV2 = join(scratch, 'dist-v2');
    await build({ publicDir: publicCopy, build: { outDir: distV2, emptyOutDir: true }, logLevel: 'silent' });

    const v1 = await serveDirectory(built);
    const launched = await launchBrowser();
    let served: Served = v1;
    try {
      const page = await launched.context.newPage();
      await openApp(page, v1.url, backend);
      await waitForOfflineCopy(page);
      await expect(page.locator('[data-testid=model-version]').textContent()).resolves.toBe(`v${manifest.version}`);
      const isChurnManifest = (url: string) => new URL(url).pathname === '/models/churn/manifest.json';
      const oldEntries = (await cachedUrls(page)).filter(isChurnManifest);
      expect(oldEntries).toHaveLength(1);

      await v1.close();
      served = await serveDirectory(distV2, v1.port);
      await page.reload();
      const update = page.locator('[data-testid=update-ready]');
      await update.waitFor({ timeout: 60_000 });
      await expect(update.textContent()).resolves.toContain('An update is ready');

      const reloaded = page.waitForEvent('load');
      await update.locator('[data-testid=update-reload]').click();
      await reloaded;
      await expect.poll(() => page.locator('[data-testid=model-version]').textContent(), { timeout: 60_000 }).toBe(`v${newVersion}`);
      expect(await update.count()).toBe(0);

      const newEntries = (await cachedUrls(page)).filter(isChurnManifest);
      expect(newEntries).toHaveLength(1);
      expect(newEntries).not.toContain(oldEntries[0]);
      expect((await cachedPaths(page)).filter((path) => path === '/models/churn/model.onnx')).toHaveLength(1);
    } finally {
      await launched.close();
      await served.close();
    }
  });
});
