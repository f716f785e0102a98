import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJob, waitForJobList } from './app-page';
import { parseCsv } from './churn-data';
import { ensurePngZip, labelNames, labelOfFile, photoGolden, photoManifest, readTestSet } from './fashion-data';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

/** Logit parity tolerance with the onnxruntime-node golden values. */
const logitTolerance = 1e-4;
/** The recorded held-out accuracy is reproduced within 0.1 percentage point. */
const accuracyTolerance = 0.001;
const scratch = mkdtempSync(join(tmpdir(), 'tandem-photos-'));

async function openPhotoApp(page: Page, url: string, backend: string): Promise<void> {
  await page.goto(`${url}?model=models/product-photo/manifest.json&backend=${backend}`);
  await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe(backend);
}

/**
 * Scores files through the image batch panel and returns the exported CSV rows. The panel lists a
 * job once it stops running (the running job shows in the progress box), so the wait for the new
 * row covers the whole run: 10,000 images take about 12 minutes on SwiftShader's WebGPU.
 */
async function scoreImages(page: Page, paths: string[], timeoutMs = 1_100_000): Promise<Record<string, string>[]> {
  await waitForJobList(page);
  const before = await page.locator('[data-testid=job]').count();
  await page.locator('[data-testid=images-input]').setInputFiles(paths);
  await expect.poll(() => page.locator('[data-testid=job]').count(), { timeout: timeoutMs, interval: 1000 }).toBe(before + 1);
  const job = page.locator('[data-testid=job]').first();
  expect(await job.getAttribute('data-status')).toBe('completed');
  return parseCsv(await exportJob(page, (await job.getAttribute('data-job-id'))!));
}

function accuracyOf(rows: Record<string, string>[]): { accuracy: number; scored: number } {
  let correct = 0;
  let scored = 0;
  for (const row of rows) {
    const label = labelOfFile(row.file!);
    if (label === null) continue;
    scored += 1;
    if (row.prediction === labelNames[label]) correct += 1;
  }
  return { accuracy: correct / scored, scored };
}

/**
 * Renders test images as catalogue photos in the browser: a dark, tinted product on a light
 * background, 300x400, encoded as JPEG or WebP. Returns a zip of them named `<index>_<label>.<ext>`.
 */
async function makeColourZip(page: Page, format: 'jpeg' | 'webp', images: Uint8Array[], labels: number[]): Promise<string> {
  const entries: Record<string, Uint8Array> = {};
  const batch = 500;
  for (let start = 0; start < images.length; start += batch) {
    const pixels = images.slice(start, start + batch).map((image) => Buffer.from(image).toString('base64'));
    const encoded: string[] = await page.evaluate(
      async ({ pixels, format, start }) => {
        const tints = [
          [20, 30, 90],
          [110, 20, 20],
          [20, 70, 30],
          [50, 50, 50],
          [90, 50, 20],
        ];
        const encodeOne = async (i: number): Promise<string> => {
          const gray = Uint8Array.from(atob(pixels[i]!), (c) => c.charCodeAt(0));
          const tint = tints[(start + i) % tints.length]!;
          const small = new ImageData(28, 28);
          for (let p = 0; p < 784; p++) {
            const amount = gray[p]! / 255;
            for (let c = 0; c < 3; c++) small.data[p * 4 + c] = Math.round(246 * (1 - amount) + tint[c]! * amount);
            small.data[p * 4 + 3] = 255;
          }
          const source = new OffscreenCanvas(28, 28);
          source.getContext('2d')!.putImageData(small, 0, 0);
          const photo = new OffscreenCanvas(300, 400);
          const context = photo.getContext('2d')!;
          context.fillStyle = 'rgb(246, 246, 246)';
          context.fillRect(0, 0, 300, 400);
          context.imageSmoothingQuality = 'high';
          context.drawImage(source, 10, 60, 280, 280);
          const blob = await photo.convertToBlob({ type: `image/${format}`, quality: 0.9 });
          const bytes = new Uint8Array(await blob.arrayBuffer());
          let binary = '';
          for (let b = 0; b < bytes.length; b += 0x8000) binary += String.fromCharCode(...bytes.subarray(b, b + 0x8000));
          return btoa(binary);
        };
        // Encoding runs off the main thread, so the images of a batch are encoded concurrently.
        return Promise.all(pixels.map((_, i) => encodeOne(i)));
      },
      { pixels, format, start },
    );
    encoded.forEach((data, i) => {
      const index = start + i;
      entries[`${String(index).padStart(5, '0')}_${labels[index]}.${format === 'jpeg' ? 'jpg' : 'webp'}`] = Buffer.from(data, 'base64');
    });
  }
  const path = join(scratch, `fashion-test-${format}.zip`);
  writeFileSync(path, zipSync(entries, { level: 0 }));
  return path;
}

for (const backend of ['wasm', 'webgpu'] as const) {
  describe(`product photos on ${backend}`, () => {
    let served: Served;
    let launched: LaunchedBrowser;
    let zipPath: string;

    beforeAll(async () => {
      zipPath = ensurePngZip();
      served = await serveBuild();
      launched = await launchBrowser({ webgpu: backend === 'webgpu' });
    });

    afterAll(async () => {
      await launched?.close();
      await served?.close();
    });

    it('reproduces the golden logits', async () => {
      const page = await launched.context.newPage();
      await openPhotoApp(page, served.url, backend);
      const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
      const names = Object.keys(files);
      const images = photoGolden.images.map((entry) => Buffer.from(files[names.find((name) => name.startsWith(String(entry.index).padStart(5, '0')))!]!).toString('base64'));
      const logits: number[][] = await page.evaluate(async (images) => {
        const { client, model } = window.tandem!;
        const results: number[][] = [];
        for (const data of images) {
          const blob = new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], { type: 'image/png' });
          results.push((await client.predictImage(model.id, blob)).logits);
        }
        return results;
      }, images);

      let worst = 0;
      photoGolden.images.forEach((entry, i) => entry.logits.forEach((value, k) => (worst = Math.max(worst, Math.abs(value - logits[i]![k]!)))));
      expect(worst).toBeLessThanOrEqual(logitTolerance);
      await page.close();
    });

    // SwiftShader's WebGPU scores about 14 images a second on 2 cores, so the WebGPU run gets a
    // long limit; WASM takes about 30 seconds.
    it('tags the test images from a zip', { timeout: 2_700_000 }, async () => {
      const started = performance.now();
      const page = await launched.context.newPage();
      const errors = watchErrors(page);
      await openPhotoApp(page, served.url, backend);
      const rows = await scoreImages(page, [zipPath], 2_600_000);

      // The 10,000 images plus labels.csv, which is not an image and gets a row error.
      expect(rows).toHaveLength(10_001);
      const failed = rows.filter((row) => row.error);
      expect(failed.map((row) => row.file)).toEqual(['labels.csv']);
      const { accuracy, scored } = accuracyOf(rows);
      expect(scored).toBe(10_000);
      expect(Math.abs(accuracy - photoManifest.metrics.accuracy)).toBeLessThanOrEqual(accuracyTolerance);
      expect(rows[0]!.top3.split('|')).toHaveLength(3);
      expect(errors).toEqual([]);
      console.info(`${backend}: tagged 10,000 images in ${Math.round(performance.now() - started)} ms, accuracy ${accuracy}`);
      await page.close();
    });

    // A fresh profile has an empty image result cache, so the job runs long enough to be watched
    // from a second tab. WASM only: the same path on SwiftShader's WebGPU would take minutes more.
    it.runIf(backend === 'wasm')('second tab follows a photo job running elsewhere', { timeout: 900_000 }, async () => {
      const fresh = await launchBrowser();
      try {
        const first = await fresh.context.newPage();
        await openPhotoApp(first, served.url, backend);
        await waitForJobList(first);
        await first.locator('[data-testid=images-input]').setInputFiles(zipPath);
        await expect.poll(() => first.locator('[data-testid=progress]').textContent(), { timeout: 60_000 }).toMatch(/^[1-9][\d,]* /);
        await first.reload();
        await openPhotoApp(first, served.url, backend);
        const firstJob = first.locator('[data-testid=job]').first();
        await expect.poll(() => firstJob.getAttribute('data-status'), { timeout: 30_000 }).toBe('interrupted');
        const jobId = (await firstJob.getAttribute('data-job-id'))!;

        const second = await fresh.context.newPage();
        const secondErrors = watchErrors(second);
        await openPhotoApp(second, served.url, backend);
        const secondJob = second.locator(`[data-testid=job][data-job-id="${jobId}"]`);
        await expect.poll(() => secondJob.getAttribute('data-status'), { timeout: 30_000 }).toBe('interrupted');

        // Both tabs press Resume; the first tab takes the job's lock and the second follows it.
        await firstJob.locator('[data-testid=resume]').click();
        await expect.poll(() => first.locator('[data-testid=progress]').textContent(), { timeout: 60_000 }).toMatch(/^[1-9][\d,]* /);
        await secondJob.locator('[data-testid=resume]').click();
        await expect.poll(() => second.locator('[data-testid=batch-notice]').textContent(), { timeout: 30_000 }).toContain('is already running in another tab');
        expect(await second.locator('[data-testid=batch-error]').count()).toBe(0);

        await expect.poll(() => secondJob.getAttribute('data-status'), { timeout: 600_000, interval: 2000 }).toBe('completed');
        // The 10,000 images and labels.csv, each counted once.
        expect(Number(await secondJob.locator('[data-testid=rows]').getAttribute('data-value'))).toBe(10_001);
        expect(await second.locator('[data-testid=batch-error]').count()).toBe(0);
        expect(secondErrors).toEqual([]);
      } finally {
        await fresh.close();
      }
    });

    it('keeps scoring past corrupt and non-image files', async () => {
      const page = await launched.context.newPage();
      await openPhotoApp(page, served.url, backend);
      const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
      const good = Object.keys(files).filter((name) => name.endsWith('.png')).slice(0, 3);
      const paths = good.map((name) => {
        const path = join(scratch, name);
        writeFileSync(path, files[name]!);
        return path;
      });
      const corrupt = join(scratch, 'corrupt.png');
      writeFileSync(corrupt, Buffer.from(files[good[0]!]!).subarray(0, 40));
      const text = join(scratch, 'notes.txt');
      writeFileSync(text, 'not an image');
      const empty = join(scratch, 'empty.jpg');
      writeFileSync(empty, '');

      const rows = await scoreImages(page, [paths[0]!, corrupt, paths[1]!, text, empty, paths[2]!]);
      expect(rows.map((row) => row.file)).toEqual([good[0], 'corrupt.png', good[1], 'notes.txt', 'empty.jpg', good[2]]);
      expect(rows.map((row) => Boolean(row.error))).toEqual([false, true, false, true, true, false]);
      expect(rows[1]!.error).toContain('could not be decoded');
      expect(rows[3]!.error).toContain('not an image');
      expect(rows[4]!.error).toContain('empty');
      await page.close();
    });

    it('gives blank images an error instead of a label', async () => {
      const page = await launched.context.newPage();
      await openPhotoApp(page, served.url, backend);
      const blanks: string[] = await page.evaluate(async () => {
        const encode = async (width: number, height: number, fill: string | null) => {
          const canvas = new OffscreenCanvas(width, height);
          const context = canvas.getContext('2d')!;
          if (fill) {
            context.fillStyle = fill;
            context.fillRect(0, 0, width, height);
          }
          const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
          return btoa(String.fromCharCode(...bytes));
        };
        return [await encode(50, 50, null), await encode(1, 1, 'white')];
      });
      const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
      const good = Object.keys(files).find((name) => name.endsWith('.png'))!;
      const paths = [join(scratch, 'transparent.png'), join(scratch, 'onepx.png'), join(scratch, good)];
      writeFileSync(paths[0]!, Buffer.from(blanks[0]!, 'base64'));
      writeFileSync(paths[1]!, Buffer.from(blanks[1]!, 'base64'));
      writeFileSync(paths[2]!, files[good]!);

      const rows = await scoreImages(page, paths);
      expect(rows.map((row) => [row.file, row.prediction, Boolean(row.error)])).toEqual([
        ['transparent.png', '', true],
        ['onepx.png', '', true],
        [good, rows[2]!.prediction, false],
      ]);
      expect(labelNames).toContain(rows[2]!.prediction);
      expect(rows[0]!.error).toContain('the image is blank');
      expect(rows[1]!.error).toContain('the image is blank');

      // A photo given on its own gets the same error.
      const realTime = await page.evaluate(async (data) => {
        const { client, model } = window.tandem!;
        const blob = new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], { type: 'image/png' });
        return client.predictImage(model.id, blob).then(
          () => 'resolved',
          (error: Error) => error.message,
        );
      }, blanks[0]!);
      expect(realTime).toContain('the image is blank');
      await page.close();
    });

    it('tags the images before the damage in a damaged zip and names the zip', async () => {
      const page = await launched.context.newPage();
      const errors = watchErrors(page);
      await openPhotoApp(page, served.url, backend);
      const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
      const good = Object.keys(files).filter((name) => name.endsWith('.png')).slice(0, 3);
      const whole = zipSync(Object.fromEntries(good.map((name) => [name, files[name]!])), { level: 0 });
      // Cut inside the third image's data: the first two are whole.
      const cut = whole.length - 40 - Math.floor(files[good[2]!]!.length / 2);
      const damaged = join(scratch, 'damaged.zip');
      writeFileSync(damaged, whole.subarray(0, cut));

      const rows = await scoreImages(page, [damaged]);
      expect(rows.map((row) => row.file)).toEqual([good[0], good[1], good[2], 'damaged.zip']);
      expect(rows.slice(0, 2).map((row) => [labelNames.includes(row.prediction!), row.top3!.split('|').length, row.error])).toEqual([
        [true, 3, ''],
        [true, 3, ''],
      ]);
      expect(rows[2]!.error).toBe('the zip file ends before this entry is complete');
      expect(rows[3]!.error).toBe('damaged or incomplete zip: choose the file again');
      await expect.poll(() => page.locator('[data-testid=job]').first().textContent()).toContain('damaged.zip: damaged or incomplete zip: choose the file again');
      expect(errors).toEqual([]);
      await page.close();
    });

    if (backend === 'wasm') {
      it('exports a paused batch as partial', async () => {
        // A fresh profile, so the images are not in the result cache from the tests above.
        const fresh = await launchBrowser();
        const page = await fresh.context.newPage();
        const errors = watchErrors(page);
        await openPhotoApp(page, served.url, backend);
        const panel = page.locator('tandem-image-batch-panel');
        await panel.locator('[data-testid=images-input]').setInputFiles([zipPath]);
        await expect.poll(() => panel.locator('[data-testid=progress]').textContent(), { timeout: 60_000 }).toMatch(/^[1-9][\d,]* of about/);
        await panel.locator('[data-testid=pause]').click();

        const job = panel.locator('[data-testid=job]').first();
        await expect.poll(() => job.getAttribute('data-status'), { timeout: 60_000 }).toBe('paused');
        const done = Number(await job.locator('[data-testid=rows]').getAttribute('data-value'));
        expect(done).toBeGreaterThan(0);
        expect(done).toBeLessThan(10_001);

        const download = page.waitForEvent('download');
        await job.locator('[data-testid=export]').click();
        const partial = await download;
        expect(partial.suggestedFilename()).toBe('fashion-test-png-partial-tagged.csv');
        const notice = (await panel.locator('[data-testid=batch-notice]').textContent()) ?? '';
        expect(notice).toContain('fashion-test-png.zip is paused, so the export is partial');
        expect(notice).toContain(`the first ${done.toLocaleString('en')} image`);
        expect(notice).toContain('Resume the job');
        const rows = parseCsv(readFileSync(await partial.path(), 'utf8'));
        expect(rows).toHaveLength(done);
        expect(errors).toEqual([]);
        await fresh.close();
      });

      for (const format of ['jpeg', 'webp'] as const) {
        it(`tags colour ${format} photos on a light background`, { timeout: 900_000 }, async () => {
          const page = await launched.context.newPage();
          await openPhotoApp(page, served.url, backend);
          const { images, labels } = readTestSet();
          let started = performance.now();
          const colourZip = await makeColourZip(page, format, images, labels);
          console.info(`${format}: made the colour zip in ${Math.round(performance.now() - started)} ms`);
          started = performance.now();
          const rows = await scoreImages(page, [colourZip]);
          console.info(`${format}: scored it in ${Math.round(performance.now() - started)} ms`);
          expect(rows).toHaveLength(10_000);
          const { accuracy } = accuracyOf(rows);
          console.info(`${format}: accuracy ${accuracy}`);
          expect(accuracy).toBeGreaterThanOrEqual(0.85);
          await page.close();
        });
      }
    }
  });
}
