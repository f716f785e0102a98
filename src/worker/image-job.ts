/**
 * The image side of batch jobs: images and zip files read in input order, each decoded and
 * preprocessed in the worker, scored in batches on the scheduler's batch lane, and committed with
 * the job's checkpoint. Results, with the image's embedding when the model has one, are cached by
 * model, preprocessing and image SHA-256, so the same photo added again costs no inference.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import { InvalidValueError, describeError, type RowError } from '../shared/errors';
import { bytesToHex, sha256 } from '../shared/hash';
import { createLogger } from '../shared/logger';
import type { ChunkRecord, Database, ImageResultRecord, JobRecord } from '../storage/db';
import { getImageResults } from '../storage/jobs';
import { ChunkBudget, yieldToEventLoop } from './chunk-budget';
import { prepareImage } from './image-input';
import { previewLength, tensorLength } from './preprocess/image';
import { embeddingSizeOf, imageSpecOf, scoreImages, topClasses } from './image-run';
import type { LoadedModel } from './models';
import { readImageSources, type ImageEntry } from './readers/images';
import type { Scheduler } from './scheduler';

const log = createLogger('image-job');

/** Images per committed chunk: a checkpoint every few hundred milliseconds of work. */
const imagesPerChunk = 256;

/** Images decoded at once. */
const decodeConcurrency = 8;

/** Runs `work` on every item with at most `limit` running at a time. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

interface PendingImage {
  position: number;
  tensor: Float32Array;
  cacheKey: [string, string, string];
  preview: Uint8ClampedArray;
}

/** One committed chunk and the cache entries it added. */
export interface ImageChunk {
  chunk: ChunkRecord;
  cacheEntries: ImageResultRecord[];
}

/**
 * Scores one chunk of image entries. Each entry gets a top-3 result or a row error; an image
 * already in the cache is not run through the model again.
 */
export async function scoreImageEntries(
  db: Database,
  scheduler: Scheduler,
  job: JobRecord,
  model: LoadedModel,
  entries: readonly ImageEntry[],
  firstRow: number,
  budget: ChunkBudget,
): Promise<ImageChunk> {
  const spec = imageSpecOf(model);
  const labels = model.manifest.output.labels ?? [];
  const pixels = previewLength(spec);
  const inputLength = tensorLength(spec);
  const count = entries.length;
  const topIndices = new Int16Array(count * 3).fill(-1);
  const topProbabilities = new Float32Array(count * 3).fill(NaN);
  const previews = new Uint8Array(count * pixels);
  const hashes: string[] = new Array<string>(count).fill('');
  const hasEmbedding = embeddingSizeOf(model) !== null;
  const errors: RowError[] = [];
  const pending: PendingImage[] = [];
  const cacheEntries: ImageResultRecord[] = [];

  const fail = (i: number, error: unknown) => {
    const reason = error instanceof InvalidValueError ? error.reason : `it could not be processed: ${describeError(error)}`;
    errors.push({ row: firstRow + i, column: 'file', value: entries[i]!.name, reason });
  };

  // Step 1: read and hash every entry. Hashing is asynchronous, so the entries run concurrently.
  const keyed = await Promise.all(
    entries.map(async (entry, i) => {
      try {
        if (!entry.data) throw new InvalidValueError('file', entry.name, entry.error ?? 'the file could not be read');
        const bytes = new Uint8Array(await entry.data.arrayBuffer());
        const cacheKey: [string, string, string] = [model.info.sha256, model.preprocessingKey, bytesToHex(await sha256(bytes))];
        return { i, bytes, cacheKey };
      } catch (error) {
        fail(i, error);
        return null;
      }
    }),
  );

  // Step 2: one transaction looks up every image in the result cache.
  const present = keyed.filter((item) => item !== null);
  const cached = await getImageResults(db, present.map((item) => item.cacheKey));
  const misses: typeof present = [];
  present.forEach((item, j) => {
    hashes[item.i] = item.cacheKey[2];
    const hit = cached[j];
    // An entry stored before embeddings were kept lacks one, so the image runs through the model again.
    if (!hit || (hasEmbedding && !hit.embedding)) {
      misses.push(item);
      return;
    }
    topIndices.set(hit.topIndices, item.i * 3);
    topProbabilities.set(hit.topProbabilities, item.i * 3);
    previews.set(hit.preview, item.i * pixels);
  });

  // Step 3: decode and preprocess the misses, a few at a time: createImageBitmap decodes off
  // this thread, so overlapping decodes keeps the worker busy with the pure-JS steps.
  await forEachConcurrently(misses, decodeConcurrency, async ({ i, bytes, cacheKey }) => {
    const entry = entries[i]!;
    try {
      const prepared = await prepareImage(entry.name, new Blob([bytes], { type: entry.data?.type ?? '' }), spec);
      pending.push({ position: i, tensor: prepared.tensor, cacheKey, preview: prepared.preview });
    } catch (error) {
      fail(i, error);
    }
  });
  pending.sort((a, b) => a.position - b.position);
  errors.sort((a, b) => a.row - b.row);
  for (const error of errors) hashes[error.row - firstRow] = '';

  for (let start = 0; start < pending.length; ) {
    const size = Math.min(budget.nextRows(), pending.length - start);
    const batch = pending.slice(start, start + size);
    const data = new Float32Array(size * inputLength);
    batch.forEach((image, j) => data.set(image.tensor, j * inputLength));

    const scores = await scheduler.schedule(
      'batch',
      async () => {
        const began = performance.now();
        const result = await scoreImages(model, data, size);
        budget.record(size, performance.now() - began);
        return result;
      },
      { rows: size },
    );

    batch.forEach((image, j) => {
      const top = topClasses(scores.probabilities, j, labels, 3);
      const record: ImageResultRecord = {
        key: image.cacheKey,
        topIndices: top.map((item) => item.index),
        topProbabilities: top.map((item) => item.probability),
        preview: new Uint8Array(image.preview),
      };
      if (scores.embeddings && scores.embeddingSize) {
        record.embedding = scores.embeddings.slice(j * scores.embeddingSize, (j + 1) * scores.embeddingSize);
      }
      topIndices.set(record.topIndices, image.position * 3);
      topProbabilities.set(record.topProbabilities, image.position * 3);
      previews.set(record.preview, image.position * pixels);
      cacheEntries.push(record);
    });
    start += size;
    await yieldToEventLoop();
  }

  const probabilities = new Float32Array(count);
  for (let i = 0; i < count; i++) probabilities[i] = topProbabilities[i * 3]!;
  return {
    chunk: {
      jobId: job.id,
      index: job.chunkCount,
      firstRow,
      rowCount: count,
      probabilities,
      labels: new Int8Array(count).fill(-1),
      errors,
      names: entries.map((entry) => entry.name),
      topIndices,
      topProbabilities,
      previews,
      hashes,
    },
    cacheEntries,
  };
}

/** Reads a job's images after its checkpoint, in chunks of {@link imagesPerChunk}. */
export async function* readImageChunks(files: readonly File[], rowsDone: number): AsyncGenerator<{ entries: ImageEntry[]; firstRow: number }> {
  let position = 0;
  let entries: ImageEntry[] = [];
  let firstRow = rowsDone + 1;
  for await (const entry of readImageSources(files)) {
    position += 1;
    if (position <= rowsDone) continue;
    entries.push(entry);
    if (entries.length === imagesPerChunk) {
      yield { entries, firstRow };
      firstRow += entries.length;
      entries = [];
    }
  }
  if (entries.length > 0) yield { entries, firstRow };
  log.debug(`read ${position} image entries`);
}
