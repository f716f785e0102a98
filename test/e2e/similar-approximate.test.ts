/**
 * The approximate index (hnswlib-wasm) in the browser's worker: a catalogue of the 20 demo
 * products made with `search: 'approximate'` must return the same neighbours as the same
 * catalogue searched exactly. Catalogues above 100,000 products get this index on their own; the
 * unit test measures its recall at that size in Node.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

const k = 5;

interface Searched {
  searches: string[];
  summaries: string[];
  exact: { index: number; score: number }[][];
  approximate: { index: number; score: number }[][];
}

describe('approximate similar-product search', () => {
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

  it('matches the exact search in the worker', async () => {
    await page.goto(`${served.url}?model=models/product-photo/manifest.json&backend=wasm`);
    await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe('wasm');

    const searched = await page.evaluate(async (k): Promise<Searched> => {
      const { client, model } = (window as unknown as { tandem: { client: any; model: { id: string } } }).tandem;
      const entries: { file: string }[] = await (await fetch('catalogue/catalogue.json')).json();
      const files = await Promise.all(
        entries.map(async (entry) => new File([await (await fetch(`catalogue/${entry.file}`)).blob()], entry.file, { type: 'image/png' })),
      );
      const job = await client.createImageJob(model.id, files);
      await client.runJob(job.id);
      const exact = await client.catalogues.createCatalogue(job.id, { id: 'exact' });
      const approximate = await client.catalogues.createCatalogue(job.id, { id: 'approximate', search: 'approximate' });
      const result: Searched = { searches: [], summaries: [exact.search, approximate.search], exact: [], approximate: [] };
      for (let index = 0; index < exact.size; index++) {
        const fromExact = await client.catalogues.similarToProduct('exact', index, k);
        const fromApproximate = await client.catalogues.similarToProduct('approximate', index, k);
        result.searches.push(fromExact.search, fromApproximate.search);
        const shape = (neighbours: { index: number; score: number }[]) => neighbours.map(({ index, score }) => ({ index, score }));
        result.exact.push(shape(fromExact.neighbours));
        result.approximate.push(shape(fromApproximate.neighbours));
      }
      return result;
    }, k);

    expect(searched.summaries).toEqual(['exact', 'approximate']);
    expect(searched.exact).toHaveLength(20);
    searched.exact.forEach((_, index) => {
      expect(searched.searches[2 * index]).toBe('exact');
      expect(searched.searches[2 * index + 1]).toBe('approximate');
      // On 20 products the HNSW search visits every one, so it must agree with the exact one.
      expect(searched.approximate[index]).toEqual(searched.exact[index]);
      expect(searched.approximate[index]!.map((neighbour) => neighbour.index)).not.toContain(index);
    });
    expect(errors).toEqual([]);
  });
});
