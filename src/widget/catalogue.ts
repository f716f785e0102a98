/**
 * The widget's catalogue for similar products: a JSON list of photos, embedded by an image batch
 * job in the shared worker. The embeddings stay in the image result cache, so the same photos on a
 * later visit cost no inference.
 */
import { TandemError, describeError } from '../shared/errors';
import type { CatalogueSummary, SimilarResult } from '../shared/similar';
import type { WidgetModelInfo } from './types';
import { callWorker, sharedClient } from './worker-client';

/** One product of a widget's catalogue, as `catalogue.json` lists it. */
export interface CatalogueEntry {
  /** The photo's URL, resolved against the catalogue file's URL. */
  url: string;
  /** The `file` (or `url`) value as listed. */
  file: string;
  title: string | null;
  /** The `label` value as listed, if any: the category the catalogue gives the product. */
  label: string | null;
}

/** A product found by `el.similar()`, with its cosine similarity to the query, from -1 to 1. */
export interface SimilarItem extends CatalogueEntry {
  /** 0-based position in the catalogue. */
  index: number;
  /** The category the model predicts from the product's photo. */
  category: string;
  score: number;
}

export interface LoadedCatalogue {
  summary: CatalogueSummary;
  entries: CatalogueEntry[];
}

function invalidCatalogue(url: string, problem: string): TandemError {
  return new TandemError('invalid-input', `The catalogue at ${url} ${problem}. It must be a JSON array of { "file": "photo URL", "title": "…" } objects.`);
}

/** Fetches and checks a catalogue file; every photo URL is resolved against the file's URL. */
export async function fetchCatalogueEntries(catalogueUrl: string): Promise<CatalogueEntry[]> {
  let response: Response;
  try {
    response = await fetch(catalogueUrl);
  } catch (error) {
    throw new TandemError('model-load-failed', `Fetching the catalogue at ${catalogueUrl} failed: ${describeError(error)}. Check the URL.`);
  }
  if (!response.ok) throw new TandemError('model-load-failed', `Fetching the catalogue at ${catalogueUrl} failed with HTTP ${response.status}. Check the URL.`);
  let data: unknown;
  try {
    data = await response.json();
  } catch {
    throw invalidCatalogue(catalogueUrl, 'is not valid JSON');
  }
  if (!Array.isArray(data) || data.length === 0) throw invalidCatalogue(catalogueUrl, 'is not a non-empty JSON array');
  return data.map((item: unknown, i) => {
    const record = (item ?? {}) as Record<string, unknown>;
    const file = typeof record['file'] === 'string' ? record['file'] : record['url'];
    if (typeof file !== 'string' || file === '') throw invalidCatalogue(catalogueUrl, `has no "file" string in entry ${i}`);
    return {
      url: new URL(file, catalogueUrl).href,
      file,
      title: typeof record['title'] === 'string' ? record['title'] : null,
      label: typeof record['label'] === 'string' ? record['label'] : null,
    };
  });
}

/**
 * Embeds a catalogue's photos and makes a catalogue of them in the worker. The job is deleted
 * afterwards: the catalogue keeps its products and the cache keeps the embeddings.
 */
export async function embedCatalogue(model: WidgetModelInfo, catalogueUrl: string): Promise<LoadedCatalogue> {
  const entries = await fetchCatalogueEntries(catalogueUrl);
  const files = await Promise.all(
    entries.map(async (entry) => {
      const response = await fetch(entry.url);
      if (!response.ok) throw new TandemError('model-load-failed', `Fetching the catalogue photo ${entry.url} failed with HTTP ${response.status}. Check the catalogue.`);
      const name = new URL(entry.url).pathname.split('/').pop() || 'photo';
      return new File([await response.blob()], name, { type: response.headers.get('content-type') ?? '' });
    }),
  );
  const client = sharedClient();
  const job = await callWorker(client.createImageJob(model.id, files));
  try {
    const summary = await callWorker(client.runJob(job.id));
    if (summary.status !== 'completed') {
      throw new TandemError('file-read-failed', `Embedding the catalogue ${catalogueUrl} ended with status ${summary.status}${summary.message ? `: ${summary.message}` : ''}.`);
    }
    const catalogue = await callWorker(
      client.catalogues.createCatalogue(job.id, { id: `widget ${model.id} ${catalogueUrl}`, name: catalogueUrl, urls: entries.map((entry) => entry.url) }),
    );
    if (catalogue.skipped > 0) {
      throw new TandemError('invalid-input', `${catalogue.skipped} of the ${entries.length} photos of the catalogue ${catalogueUrl} could not be read as images. Check their URLs and formats.`);
    }
    return { summary: catalogue, entries };
  } finally {
    await callWorker(client.deleteJob(job.id)).catch(() => undefined);
  }
}

/** Turns the worker's result into the public list of similar items. */
export function similarItems(result: SimilarResult, catalogue: LoadedCatalogue): SimilarItem[] {
  return result.neighbours.map((neighbour) => ({
    ...catalogue.entries[neighbour.index]!,
    index: neighbour.index,
    category: neighbour.category,
    score: neighbour.score,
  }));
}
