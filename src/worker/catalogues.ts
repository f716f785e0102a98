/**
 * Similar-product search: a catalogue is made from a completed image job, its embeddings are read
 * from the image result cache into one contiguous matrix, and each query runs on the scheduler's
 * real-time lane.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import { InvalidValueError, TandemError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { buildNeighbourSearch, exactSearchLimit, type NeighbourSearch } from '../shared/approximate-neighbours';
import type { Neighbour } from '../shared/neighbours';
import type { CatalogueOptions, CataloguePage, CatalogueProduct, CatalogueSummary, SimilarResult } from '../shared/similar';
import { getCatalogue, listCatalogues, putCatalogue } from '../storage/catalogues';
import type { CatalogueItem, CatalogueRecord, Database, JobRecord } from '../storage/db';
import { getImageResults, readChunks } from '../storage/jobs';
import { prepareImage } from './image-input';
import { previewLength } from './preprocess/image';
import { embeddingSizeOf, imageSpecOf, scoreImages } from './image-run';
import { getModel, type LoadedModel } from './models';
import type { Scheduler } from './scheduler';
import { yieldToEventLoop } from './chunk-budget';

const log = createLogger('catalogues');

/** Embeddings looked up per IndexedDB transaction while a catalogue is built. */
const lookupBatch = 2_000;

/** The maximum number of neighbours one query returns. */
export const maxNeighbours = 100;

interface LoadedCatalogue {
  record: CatalogueRecord;
  index: NeighbourSearch;
}

/** The search a catalogue gets: the one it was made with, or by its size. */
function searchOf(record: CatalogueRecord): 'exact' | 'approximate' {
  return record.search === 'approximate' || record.items.length > exactSearchLimit ? 'approximate' : 'exact';
}

function summaryOf(record: CatalogueRecord, dimensions: number, skipped = 0): CatalogueSummary {
  return {
    id: record.id,
    name: record.name,
    modelId: record.modelId,
    size: record.items.length,
    dimensions,
    createdAt: record.createdAt,
    jobId: record.jobId,
    skipped,
    search: searchOf(record),
  };
}

function productOf(item: CatalogueItem, index: number): CatalogueProduct {
  return { index, name: item.name, category: item.category, url: item.url ?? null, preview: item.preview };
}

/** Returns the embedding size of a model, or throws an `invalid-input` error when it has no embedding output. */
function requireEmbedding(model: LoadedModel): number {
  const size = embeddingSizeOf(model);
  if (size === null) {
    throw new TandemError(
      'invalid-input',
      `The model "${model.manifest.name}" has no "embedding" output, so it cannot find similar products. Use a model whose manifest lists one.`,
    );
  }
  return size;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > maxNeighbours) {
    throw new TandemError('invalid-input', `k must be a whole number from 1 to ${maxNeighbours}, not ${k}.`);
  }
}

export class Catalogues {
  private readonly loaded = new Map<string, Promise<LoadedCatalogue>>();

  constructor(
    private readonly db: () => Promise<Database>,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Makes a catalogue of a completed image job's images: every row without an error becomes a
   * product. Their embeddings come from the image result cache, where the job stored them.
   */
  async createFromJob(job: JobRecord, options: CatalogueOptions = {}): Promise<CatalogueSummary> {
    if (job.kind !== 'image') throw new TandemError('invalid-input', `Job ${job.id} scored a CSV file; a catalogue is made from a job of images.`);
    if (job.status !== 'completed') {
      throw new TandemError('invalid-input', `Job ${job.id} is ${job.status}; a catalogue is made from a completed job. Run the job to the end first.`);
    }
    const model = getModel(job.modelId);
    requireEmbedding(model);
    if (options.search !== undefined && options.search !== 'auto' && options.search !== 'approximate') {
      throw new TandemError('invalid-input', `search must be "auto" or "approximate", not ${JSON.stringify(options.search)}.`);
    }
    if (options.urls && options.urls.length !== job.rowsDone) {
      throw new TandemError('invalid-input', `${options.urls.length} URLs were given for a job of ${job.rowsDone} images; give one URL per image, in input order.`);
    }

    const db = await this.db();
    const labels = model.manifest.output.labels ?? [];
    const spec = imageSpecOf(model);
    const pixels = previewLength(spec);
    const items: CatalogueItem[] = [];
    let skipped = 0;
    for await (const chunk of readChunks(db, job.id, job.chunkCount)) {
      const { names, hashes, topIndices, previews } = chunk;
      if (!names || !topIndices || !previews) throw new TandemError('invalid-input', `Job ${job.id} has no image results; a catalogue is made from a job of images.`);
      if (!hashes) {
        throw new TandemError('invalid-input', `Job ${job.id} was stored by an older version that kept no image hashes. Score its images again to make a catalogue.`);
      }
      for (let i = 0; i < chunk.rowCount; i++) {
        const top = topIndices[i * 3]!;
        if (!hashes[i] || top < 0) {
          skipped += 1;
          continue;
        }
        const row = chunk.firstRow + i;
        const item: CatalogueItem = { name: names[i]!, hash: hashes[i]!, category: labels[top] ?? String(top), preview: previews.slice(i * pixels, (i + 1) * pixels) };
        const url = options.urls?.[row - 1];
        if (url) item.url = url;
        items.push(item);
      }
    }

    const record: CatalogueRecord = {
      id: options.id ?? job.id,
      name: options.name ?? job.fileName,
      modelId: model.info.sha256,
      preprocessingKey: job.preprocessingKey,
      createdAt: Date.now(),
      jobId: job.id,
      items,
    };
    if (options.search === 'approximate') record.search = 'approximate';
    const loaded = this.build(db, record);
    this.loaded.set(record.id, loaded);
    try {
      const { index } = await loaded;
      await putCatalogue(db, record);
      log.info(`catalogue ${record.id} made from job ${job.id}: ${items.length} products, ${skipped} rows skipped`);
      return summaryOf(record, index.dimensions, skipped);
    } catch (error) {
      this.loaded.delete(record.id);
      throw error;
    }
  }

  async list(modelSha256: string): Promise<CatalogueSummary[]> {
    const records = await listCatalogues(await this.db(), modelSha256);
    const model = getModel(modelSha256);
    const dimensions = embeddingSizeOf(model) ?? 0;
    return records.map((record) => summaryOf(record, dimensions));
  }

  forget(id: string): void {
    this.loaded.delete(id);
  }

  /** Returns `limit` products from `offset`, in catalogue order. */
  async page(id: string, offset: number, limit: number): Promise<CataloguePage> {
    const { record, index } = await this.open(id);
    const model = getModel(record.modelId);
    const { width, height } = imageSpecOf(model).size;
    const start = Math.max(0, Math.floor(offset));
    const products = record.items.slice(start, start + Math.max(0, Math.floor(limit))).map((item, i) => productOf(item, start + i));
    return { catalogue: summaryOf(record, index.dimensions), offset: start, products, previewWidth: width, previewHeight: height };
  }

  /** Finds the `k` products most similar to product `productIndex`, the product itself left out. */
  async similarToProduct(id: string, productIndex: number, k: number, channel?: string): Promise<SimilarResult> {
    checkK(k);
    const catalogue = await this.open(id);
    if (!Number.isInteger(productIndex) || productIndex < 0 || productIndex >= catalogue.index.size) {
      throw new TandemError('invalid-input', `No product ${productIndex} in catalogue "${catalogue.record.name}": it has ${catalogue.index.size} products, numbered from 0.`);
    }
    const enqueued = performance.now();
    return this.scheduler.schedule(
      'realtime',
      async () => {
        const started = performance.now();
        const neighbours = catalogue.index.search(catalogue.index.row(productIndex), k, productIndex);
        return this.resultOf(catalogue, neighbours, productIndex, started - enqueued, performance.now() - started);
      },
      { channel },
    );
  }

  /** Embeds a photo and finds the `k` most similar products in the catalogue. */
  async similarToImage(id: string, image: Blob, k: number, channel?: string): Promise<SimilarResult> {
    checkK(k);
    const catalogue = await this.open(id);
    const model = getModel(catalogue.record.modelId);
    const spec = imageSpecOf(model);
    const name = image instanceof File ? image.name : 'The image';
    let prepared;
    try {
      prepared = await prepareImage(image instanceof File ? image.name : 'image.png', image, spec);
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      throw new TandemError('invalid-input', `${name} could not be matched because ${error.reason}.`);
    }
    const enqueued = performance.now();
    return this.scheduler.schedule(
      'realtime',
      async () => {
        const started = performance.now();
        const scores = await scoreImages(model, prepared.tensor, 1);
        if (!scores.embeddings) throw new TandemError('model-load-failed', `The model "${model.manifest.name}" returned no embedding for ${name}.`);
        const neighbours = catalogue.index.search(scores.embeddings, k);
        return this.resultOf(catalogue, neighbours, null, started - enqueued, performance.now() - started);
      },
      { channel },
    );
  }

  private resultOf(catalogue: LoadedCatalogue, neighbours: Neighbour[], queryIndex: number | null, queueMs: number, computeMs: number): SimilarResult {
    const { width, height } = imageSpecOf(getModel(catalogue.record.modelId)).size;
    return {
      neighbours: neighbours.map(({ index, score }) => ({ ...productOf(catalogue.record.items[index]!, index), score })),
      queryIndex,
      catalogueSize: catalogue.index.size,
      search: catalogue.index.kind,
      previewWidth: width,
      previewHeight: height,
      queueMs,
      computeMs,
    };
  }

  /** Returns a catalogue's search index, rebuilding it from storage after a reload. */
  private open(id: string): Promise<LoadedCatalogue> {
    let loaded = this.loaded.get(id);
    if (!loaded) {
      loaded = this.db().then(async (db) => {
        const record = await getCatalogue(db, id);
        if (!record) throw new TandemError('job-not-found', `No catalogue with id ${id} is stored. Embed the catalogue's photos again.`);
        return this.build(db, record);
      });
      this.loaded.set(id, loaded);
      loaded.catch(() => this.loaded.delete(id));
    }
    return loaded;
  }

  /**
   * Reads the products' embeddings from the image result cache into one matrix and builds its
   * search: exact up to `exactSearchLimit` products, an HNSW graph above.
   *
   * NOTE: the graph is built on the worker's thread, so above the limit a catalogue takes about a
   * minute to load (110,000 products in Node), and other requests wait for it.
   */
  private async build(db: Database, record: CatalogueRecord): Promise<LoadedCatalogue> {
    const dimensions = requireEmbedding(getModel(record.modelId));
    const matrix = new Float32Array(record.items.length * dimensions);
    for (let start = 0; start < record.items.length; start += lookupBatch) {
      const items = record.items.slice(start, start + lookupBatch);
      const results = await getImageResults(
        db,
        items.map((item) => [record.modelId, record.preprocessingKey, item.hash]),
      );
      results.forEach((result, i) => {
        const embedding = result?.embedding;
        if (!embedding || embedding.length !== dimensions) {
          throw new TandemError('job-not-found', `The embedding of "${items[i]!.name}" is no longer stored. Embed the catalogue's photos again.`);
        }
        matrix.set(embedding, (start + i) * dimensions);
      });
    }
    // The build yields every 10 ms, so real-time requests are handled while it runs.
    const index = await buildNeighbourSearch(matrix, dimensions, record.search === 'approximate' ? 0 : exactSearchLimit, { pause: yieldToEventLoop });
    if (index.kind === 'approximate') log.info(`catalogue ${record.id}: approximate index built for ${index.size} products`);
    return { record, index };
  }
}
