/**
 * Similar products in `<tandem-widget>`: `el.similar()`, the image view's catalogue and the demo
 * storefront, checked against a brute-force search over the embeddings the worker stored.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TandemWidget } from '../../src/widget/tandem-widget';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

/** Scores are float32 dot products accumulated in float64, the same as the reference. */
const scoreTolerance = 1e-9;

const catalogue: { file: string; title: string; label: string }[] = JSON.parse(readFileSync('public/catalogue/catalogue.json', 'utf8'));

interface Neighbour {
  file: string;
  score: number;
}

/** Reads the widget's catalogue and its embeddings from the page's IndexedDB, products in catalogue order. */
async function readStoredEmbeddings(page: Page): Promise<{ files: string[]; rows: number[][] }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tandem');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const all = await new Promise<{ id: string; modelId: string; preprocessingKey: string; items: { hash: string; url: string }[] }[]>((resolve, reject) => {
      const request = db.transaction('catalogues').objectStore('catalogues').getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    if (all.length !== 1) throw new Error(`expected one stored catalogue, found ${all.length}`);
    const [stored] = all;
    const rows = await Promise.all(
      stored!.items.map(
        (item) =>
          new Promise<number[]>((resolve, reject) => {
            const request = db.transaction('imageResults').objectStore('imageResults').get([stored!.modelId, stored!.preprocessingKey, item.hash]);
            request.onsuccess = () => resolve(Array.from(request.result.embedding as Float32Array));
            request.onerror = () => reject(request.error);
          }),
      ),
    );
    db.close();
    return { files: stored!.items.map((item) => item.url.split('/').pop()!), rows };
  });
}

/** Brute force: every dot product in float64 over the float32 values, sorted by score then index, the query left out. */
function reference(stored: { files: string[]; rows: number[][] }, query: number, k: number): Neighbour[] {
  const queryRow = stored.rows[query]!;
  const scores = stored.rows
    .map((row, index) => ({ index, score: row.reduce((sum, value, d) => sum + value * queryRow[d]!, 0) }))
    .filter((entry) => entry.index !== query);
  scores.sort((a, b) => b.score - a.score || a.index - b.index);
  return scores.slice(0, k).map((entry) => ({ file: stored.files[entry.index]!, score: entry.score }));
}

function expectSame(shown: Neighbour[], expected: Neighbour[]): void {
  expect(shown.map((neighbour) => neighbour.file)).toEqual(expected.map((neighbour) => neighbour.file));
  shown.forEach((neighbour, i) => expect(Math.abs(neighbour.score - expected[i]!.score)).toBeLessThanOrEqual(scoreTolerance));
}

describe('similar products in the widget', () => {
  let served: Served;
  let launched: LaunchedBrowser;
  let page: Page;
  let errors: string[];
  let stored: { files: string[]; rows: number[][] };

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

  it('shows similar products on the storefront', async () => {
    await page.goto(new URL('storefront/index.html', served.url).href);
    const first = catalogue[0]!;
    await page.locator(`.product[data-file="${first.file}"]`).hover();
    const shown = page.locator('#similar-products li');
    await expect.poll(() => shown.count(), { timeout: 120_000 }).toBe(4);
    expect(await page.locator('#similar-title').textContent()).toBe(`Similar to ${first.title}`);

    stored = await readStoredEmbeddings(page);
    expect(stored.files).toEqual(catalogue.map((entry) => entry.file));
    expect(stored.rows[0]).toHaveLength(128);
    const neighbours = await shown.evaluateAll((items) => items.map((item) => ({ file: item.getAttribute('data-file')!, score: Number(item.getAttribute('data-score')) })));
    expectSame(neighbours, reference(stored, 0, 4));
    expect(errors).toEqual([]);
  });

  it('resolves similar() to the nearest items with scores', async () => {
    const widget = page.locator('#classifier');
    const byUrl = await widget.evaluate((element: TandemWidget, file) => element.similar(`../catalogue/${file}`, { k: 3 }), catalogue[5]!.file);
    expectSame(byUrl.map((item) => ({ file: item.file, score: item.score })), reference(stored, 5, 3));
    expect(byUrl.map((item) => item.index)).not.toContain(5);
    expect(byUrl[0]!.url).toBe(new URL(`catalogue/${byUrl[0]!.file}`, served.url).href);
    expect(byUrl[0]!.title).toBe(catalogue.find((entry) => entry.file === byUrl[0]!.file)!.title);

    // An index works like the product's URL; k above the catalogue's size returns every other product.
    const byIndex = await widget.evaluate((element: TandemWidget) => element.similar(5, { k: 100 }));
    expect(byIndex).toHaveLength(catalogue.length - 1);
    expectSame(byIndex.map((item) => ({ file: item.file, score: item.score })), reference(stored, 5, 100));

    // A Blob is embedded on the spot: the same photo finds its own product first.
    const byBlob = await widget.evaluate(async (element: TandemWidget, file) => {
      const blob = await (await fetch(`../catalogue/${file}`)).blob();
      return element.similar(blob, { k: 2 });
    }, catalogue[5]!.file);
    expect(byBlob[0]!.file).toBe(catalogue[5]!.file);
    expect(byBlob[0]!.score).toBeGreaterThan(0.99999);
    expect(byBlob[1]!.file).toBe(reference(stored, 5, 1)[0]!.file);
  });

  it('rejects a bad k, index or missing catalogue', async () => {
    const widget = page.locator('#classifier');
    const failure = (input: unknown, options: unknown) =>
      widget.evaluate(
        (element: TandemWidget, { input, options }) =>
          element.similar(input as number, options as { k: number }).then(
            () => 'resolved',
            (error: Error & { code?: string }) => `${error.code}: ${error.message}`,
          ),
        { input, options },
      );
    expect(await failure(0, { k: 0 })).toBe('invalid-input: k must be a whole number from 1 to 100; received the number 0.');
    expect(await failure(20, { k: 3 })).toBe('invalid-input: The catalogue has 20 products, numbered from 0; similar() received the number 20.');
    expect(await failure(null, { k: 3 })).toBe(
      'invalid-input: The model "product-photo" classifies images, but similar() received null. Pass a File, a Blob, an ImageBitmap or an image URL.',
    );

    const withoutCatalogue = await page.evaluate(async () => {
      const element = document.createElement('tandem-widget');
      element.setAttribute('view', 'none');
      element.setAttribute('model', '../models/product-photo/manifest.json');
      document.body.append(element);
      try {
        await element.similar(0);
        return 'resolved';
      } catch (error) {
        return `${(error as Error & { code?: string }).code}: ${(error as Error).message}`;
      } finally {
        element.remove();
      }
    });
    expect(withoutCatalogue).toBe('invalid-input: similar() needs a catalogue: set the catalogue attribute to the URL of a catalogue JSON file.');
  });

  it('shows similar products in the image view', async () => {
    await page.evaluate(() => {
      const element = document.createElement('tandem-widget');
      element.id = 'image-view';
      element.setAttribute('view', 'image');
      element.setAttribute('model', '../models/product-photo/manifest.json');
      element.setAttribute('catalogue', '../catalogue/catalogue.json');
      document.body.prepend(element);
    });
    const products = page.locator('#image-view [part=product]');
    await expect.poll(() => products.count(), { timeout: 120_000 }).toBe(catalogue.length);
    await products.nth(7).click();
    const items = page.locator('#image-view [part=similar-item]');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(4);
    await expect.poll(() => items.first().getAttribute('data-index')).toBe(String(stored.files.indexOf(reference(stored, 7, 1)[0]!.file)));
    const shown = await items.evaluateAll((elements) => elements.map((element) => ({ index: Number(element.getAttribute('data-index')), score: Number(element.getAttribute('data-score')) })));
    expectSame(
      shown.map((item) => ({ file: stored.files[item.index]!, score: item.score })),
      reference(stored, 7, 4),
    );
    expect(await products.nth(7).getAttribute('aria-pressed')).toBe('true');
    expect(errors).toEqual([]);
  });
});
