import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePngZip, labelOfFile, photoManifest } from './fashion-data';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

/**
 * The recorded precision@5 comes from onnxruntime-node on the raw test images. The browser decodes
 * the PNGs and runs the same model on WASM, whose embeddings differ by about 1e-6, so a near-tie
 * can swap a neighbour. 0.001 allows 50 of the 50,000 neighbours to differ.
 */
const precisionTolerance = 0.001;
/** Scores shown are float32 dot products accumulated in float64, the same as the reference. */
const scoreTolerance = 1e-9;
const k = 5;
const scratch = mkdtempSync(join(tmpdir(), 'tandem-similar-'));

interface StoredCatalogue {
  id: string;
  names: string[];
  dimensions: number;
  matrix: Float32Array;
}

async function openPhotoApp(page: Page, url: string): Promise<void> {
  await page.goto(`${url}?model=models/product-photo/manifest.json&backend=wasm`);
  await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe('wasm');
}

/** Picks a catalogue zip in the similar-products panel and waits until its catalogue is made. */
async function embedCatalogue(page: Page, path: string): Promise<string> {
  await page.locator('[data-testid=catalogue-input]').setInputFiles(path);
  const notice = page.locator('[data-testid=embed-notice]');
  await expect.poll(() => notice.textContent(), { timeout: 1_100_000, interval: 1000 }).toMatch(/Embedded [\d,]+ products/);
  return (await notice.textContent())!;
}

/** Reads the open catalogue and its products' embeddings straight from IndexedDB. */
async function readStoredCatalogue(page: Page): Promise<StoredCatalogue> {
  const id = await page.locator('[data-testid=catalogue-select]').inputValue();
  const stored = await page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tandem');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const read = <T,>(store: string, key: IDBValidKey) =>
      new Promise<T>((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).get(key);
        request.onsuccess = () => resolve(request.result as T);
        request.onerror = () => reject(request.error);
      });
    const catalogue = await read<{ modelId: string; preprocessingKey: string; items: { name: string; hash: string }[] }>('catalogues', id);
    const embeddings = await Promise.all(
      catalogue.items.map((item) => read<{ embedding: Float32Array }>('imageResults', [catalogue.modelId, catalogue.preprocessingKey, item.hash])),
    );
    const dimensions = embeddings[0]!.embedding.length;
    const matrix = new Float32Array(embeddings.length * dimensions);
    embeddings.forEach((entry, i) => matrix.set(entry.embedding, i * dimensions));
    const bytes = new Uint8Array(matrix.buffer);
    let binary = '';
    for (let b = 0; b < bytes.length; b += 0x8000) binary += String.fromCharCode(...bytes.subarray(b, b + 0x8000));
    db.close();
    return { names: catalogue.items.map((item) => item.name), dimensions, matrix: btoa(binary) };
  }, id);
  const buffer = Buffer.from(stored.matrix, 'base64');
  const matrix = new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  return { id, names: stored.names, dimensions: stored.dimensions, matrix };
}

/** Brute-force reference: every dot product, a full sort by score then index, the query item left out. */
function referenceNeighbours(catalogue: StoredCatalogue, query: number, count: number): { index: number; score: number }[] {
  const { matrix, dimensions } = catalogue;
  const scores: { index: number; score: number }[] = [];
  for (let row = 0; row < catalogue.names.length; row++) {
    if (row === query) continue;
    let score = 0;
    for (let d = 0; d < dimensions; d++) score += matrix[row * dimensions + d]! * matrix[query * dimensions + d]!;
    scores.push({ index: row, score });
  }
  return scores.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, count);
}

/** Returns the neighbours the panel shows, in order. */
async function shownNeighbours(page: Page, query: number | 'photo'): Promise<{ index: number; score: number }[]> {
  const list = page.locator('[data-testid=similar-products]');
  await expect.poll(() => list.getAttribute('data-query'), { timeout: 30_000 }).toBe(String(query));
  return list.locator('[data-testid=similar-product]').evaluateAll((buttons) =>
    buttons.map((button) => ({ index: Number(button.getAttribute('data-index')), score: Number(button.getAttribute('data-score')) })),
  );
}

function expectSameNeighbours(shown: { index: number; score: number }[], reference: { index: number; score: number }[]): void {
  expect(shown.map((neighbour) => neighbour.index)).toEqual(reference.map((neighbour) => neighbour.index));
  shown.forEach((neighbour, i) => expect(Math.abs(neighbour.score - reference[i]!.score)).toBeLessThanOrEqual(scoreTolerance));
}

describe('similar products on wasm', () => {
  let served: Served;
  let launched: LaunchedBrowser;
  let page: Page;
  let errors: string[];
  let zipPath: string;
  let catalogue: StoredCatalogue;
  let firstNeighbours: { index: number; score: number }[];

  beforeAll(async () => {
    zipPath = ensurePngZip();
    served = await serveBuild();
    launched = await launchBrowser();
    page = await launched.context.newPage();
    errors = watchErrors(page);
  });

  afterAll(async () => {
    await launched?.close();
    await served?.close();
  });

  it('embeds a catalogue zip and shows the reference neighbours', { timeout: 1_200_000 }, async () => {
    await openPhotoApp(page, served.url);
    // The zip contains the 10,000 test images and labels.csv, which gets a row error and is left out.
    const notice = await embedCatalogue(page, zipPath);
    expect(notice).toContain('Embedded 10,000 products');
    expect(notice).toContain('1 file with errors left out');

    catalogue = await readStoredCatalogue(page);
    expect(catalogue.names).toHaveLength(10_000);
    expect(catalogue.dimensions).toBe(128);

    // Clicking a product shows its neighbours, itself left out, in the reference order.
    const products = page.locator('[data-testid=catalogue-product]');
    await products.nth(0).click();
    firstNeighbours = await shownNeighbours(page, 0);
    expectSameNeighbours(firstNeighbours, referenceNeighbours(catalogue, 0, k));

    // Pointing at another product shows its neighbours too.
    await products.nth(7).hover();
    expectSameNeighbours(await shownNeighbours(page, 7), referenceNeighbours(catalogue, 7, k));

    // A larger k shows more neighbours, still in the reference order.
    await page.locator('[data-testid=similar-k]').fill('12');
    await page.locator('[data-testid=similar-k]').dispatchEvent('change');
    await products.nth(7).click();
    await expect.poll(() => page.locator('[data-testid=similar-product]').count()).toBe(12);
    expectSameNeighbours(await shownNeighbours(page, 7), referenceNeighbours(catalogue, 7, 12));
    expect(errors).toEqual([]);
  });

  it('matches a dropped photo against the catalogue', async () => {
    const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
    const name = catalogue.names[42]!;
    const path = join(scratch, name);
    writeFileSync(path, files[name]!);
    await page.locator('[data-testid=similar-photo-input]').setInputFiles(path);
    const shown = await shownNeighbours(page, 'photo');

    // The photo is in the catalogue, so it is its own nearest product; the rest follow the reference.
    expect(shown[0]!.index).toBe(42);
    expect(shown[0]!.score).toBeGreaterThan(0.99999);
    expect(shown.slice(1).map((neighbour) => neighbour.index)).toEqual(referenceNeighbours(catalogue, 42, shown.length - 1).map((neighbour) => neighbour.index));
  });

  it('clears the neighbours of the last photo when a new photo fails', async () => {
    await expect.poll(() => page.locator('[data-testid=similar-product]').count()).toBeGreaterThan(0);
    const path = join(scratch, 'notimage.png');
    writeFileSync(path, 'this is text, not a PNG');
    await page.locator('[data-testid=similar-photo-input]').setInputFiles(path);
    await expect.poll(() => page.locator('[data-testid=similar-error]').textContent()).toContain('notimage.png');
    expect(await page.locator('[data-testid=similar-products]').count()).toBe(0);
    expect(await page.locator('[data-testid=similar-product]').count()).toBe(0);
  });

  it('reproduces the recorded precision at 5', { timeout: 300_000 }, async () => {
    // Every product queries the worker's search, as a click does, with itself left out.
    const neighbours: number[][] = await page.evaluate(
      async ({ id, size, k }) => {
        const catalogues = window.tandem!.client.catalogues;
        const results: number[][] = [];
        for (let index = 0; index < size; index++) {
          const result = await catalogues.similarToProduct(id, index, k);
          results.push(result.neighbours.map((neighbour) => neighbour.index));
        }
        return results;
      },
      { id: catalogue.id, size: catalogue.names.length, k },
    );
    const labels = catalogue.names.map((name) => labelOfFile(name));
    expect(labels.every((label) => label !== null)).toBe(true);
    let hits = 0;
    neighbours.forEach((found, query) => {
      expect(found).toHaveLength(k);
      expect(found).not.toContain(query);
      hits += found.filter((index) => labels[index] === labels[query]).length;
    });
    const precision = hits / (neighbours.length * k);
    console.info(`precision@5 over ${neighbours.length} products: ${precision}`);
    expect(Math.abs(precision - photoManifest.metrics.embedding_precision_at_5)).toBeLessThanOrEqual(precisionTolerance);
  });

  it('serves a second run from the embedding cache', { timeout: 600_000 }, async () => {
    // A reload starts a new worker, so its batch-lane metrics count only the second run.
    await page.reload();
    await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe('wasm');

    // The catalogue is rebuilt from IndexedDB after the reload and returns the same neighbours.
    await expect.poll(() => page.locator('[data-testid=catalogue-product]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.locator('[data-testid=catalogue-product]').nth(0).click();
    expectSameNeighbours(await shownNeighbours(page, 0), firstNeighbours);

    const notice = await embedCatalogue(page, zipPath);
    expect(notice).toContain('Embedded 10,000 products');
    const metrics = await page.evaluate(() => window.tandem!.client.metrics());
    // Every image came from the cache, so no batch ran through the model.
    expect(metrics.batch.requests).toBe(0);
    expect(metrics.batch.rows).toBe(0);
  });
});
