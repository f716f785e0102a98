/**
 * The approximate index against the exact search, on real product-photo embeddings: the 70,000
 * Fashion-MNIST images (Debian's dataset-fashion-mnist, training and test sets) embedded with
 * onnxruntime-node by public/models/product-photo/model.onnx, plus 40,000 perturbed copies of
 * them, 110,000 items in all, so the catalogue is above the exact-search limit.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNeighbourSearch, exactSearchLimit, hnswParameters, type NeighbourSearch } from '../../src/shared/approximate-neighbours';
import { EmbeddingIndex } from '../../src/shared/neighbours';

const datasetDir = '/usr/share/datasets/fashion-mnist';
const modelPath = 'public/models/product-photo/model.onnx';
const dimensions = 128;
/** Perturbed copies added to the 70,000 real embeddings. */
const copies = 40_000;
/** Standard deviation of the Gaussian noise added to each value of a copy before it is renormalised: a copy's cosine similarity with its source is about 0.95. */
const noise = 0.03;
const queries = 200;
const k = 10;
/** The recall@10 the index must reach; it measured 0.99 or more with `hnswParameters`. */
const recallFloor = 0.95;

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads an IDX image file: 28x28 grayscale images, dark background, as the model was trained on. */
function readImages(file: string): Uint8Array {
  const bytes = gunzipSync(readFileSync(`${datasetDir}/${file}`));
  return bytes.subarray(16);
}

/** Embeds the images with the model, normalised as in training: (x / 255 - 0.286) / 0.353. */
async function embed(session: ort.InferenceSession, images: Uint8Array, into: Float32Array, offset: number): Promise<number> {
  const pixels = 28 * 28;
  const count = images.length / pixels;
  const batch = 1_000;
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const input = new Float32Array(size * pixels);
    for (let i = 0; i < input.length; i++) input[i] = (images[start * pixels + i]! / 255 - 0.286) / 0.353;
    const output = await session.run({ pixels: new ort.Tensor('float32', input, [size, 1, 28, 28]) });
    into.set(output.embedding!.data as Float32Array, (offset + start) * dimensions);
  }
  return count;
}

async function productPhotoCatalogue(): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelPath);
  const matrix = new Float32Array((70_000 + copies) * dimensions);
  let rows = await embed(session, readImages('train-images-idx3-ubyte.gz'), matrix, 0);
  rows += await embed(session, readImages('t10k-images-idx3-ubyte.gz'), matrix, rows);
  expect(rows).toBe(70_000);

  const next = random(7);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  for (let copy = 0; copy < copies; copy++) {
    const source = Math.floor(next() * 70_000);
    const target = (70_000 + copy) * dimensions;
    let norm = 0;
    for (let d = 0; d < dimensions; d++) {
      const value = matrix[source * dimensions + d]! + noise * gaussian();
      matrix[target + d] = value;
      norm += value * value;
    }
    for (let d = 0; d < dimensions; d++) matrix[target + d]! /= Math.sqrt(norm);
  }
  return matrix;
}

// hnswlib-wasm 0.8 is compiled for the web only, and its start-up check accepts a page or a
// worker, which it recognises by `importScripts`. Node has neither; the library needs nothing
// else from them, because its wasm binary is inlined and Tandem mounts no file system.
(globalThis as { importScripts?: () => void }).importScripts ??= () => {
  throw new Error('importScripts is not available in Node.');
};

describe('approximate neighbour search', { timeout: 600_000 }, () => {
  let matrix: Float32Array;
  let exact: EmbeddingIndex;
  let approximate: NeighbourSearch;

  beforeAll(async () => {
    matrix = await productPhotoCatalogue();
    exact = new EmbeddingIndex(matrix, dimensions);
    const started = performance.now();
    approximate = await buildNeighbourSearch(matrix, dimensions);
    console.log(`HNSW index of ${exact.size} items built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);

  it('uses the index above the limit', () => {
    expect(exact.size).toBe(110_000);
    expect(exact.size).toBeGreaterThan(exactSearchLimit);
    expect(approximate.kind).toBe('approximate');
    expect(approximate.size).toBe(110_000);
  });

  it('searches exactly at the limit', async () => {
    const atLimit = await buildNeighbourSearch(matrix.subarray(0, exactSearchLimit * dimensions), dimensions);
    expect(atLimit.kind).toBe('exact');
    expect(atLimit.size).toBe(exactSearchLimit);
    const query = atLimit.row(123);
    expect(atLimit.search(query, k, 123)).toEqual(new EmbeddingIndex(matrix.subarray(0, exactSearchLimit * dimensions), dimensions).search(query, k, 123));
  });

  it('reaches the recall@10 floor', () => {
    const next = random(11);
    let hits = 0;
    let exactMs = 0;
    let approximateMs = 0;
    for (let q = 0; q < queries; q++) {
      const item = Math.floor(next() * exact.size);
      let started = performance.now();
      const truth = new Set(exact.search(exact.row(item), k, item).map((neighbour) => neighbour.index));
      exactMs += performance.now() - started;
      started = performance.now();
      const found = approximate.search(exact.row(item), k, item);
      approximateMs += performance.now() - started;
      for (const neighbour of found) if (truth.has(neighbour.index)) hits += 1;
    }
    const recall = hits / (queries * k);
    // The times are printed for the README, not asserted: speed belongs to `npm run bench`.
    console.log(
      `recall@${k} over ${queries} queries: ${recall.toFixed(4)} (M ${hnswParameters.m}, efConstruction ${hnswParameters.efConstruction}, ` +
        `efSearch ${hnswParameters.efSearch}); mean query ${(approximateMs / queries).toFixed(2)} ms approximate, ${(exactMs / queries).toFixed(2)} ms exact`,
    );
    expect(recall).toBeGreaterThanOrEqual(recallFloor);
  });

  it('returns the exact shape', () => {
    const item = 70_123;
    const found = approximate.search(exact.row(item), k, item);
    expect(found).toHaveLength(k);
    expect(found.map((neighbour) => neighbour.index)).not.toContain(item);
    for (let i = 1; i < found.length; i++) expect(found[i - 1]!.score).toBeGreaterThanOrEqual(found[i]!.score);
    // Each score is the row's dot product with the query, as the exact search computes it.
    const reference = new Map(exact.search(exact.row(item), exact.size, item).map((neighbour) => [neighbour.index, neighbour.score]));
    for (const neighbour of found) expect(neighbour.score).toBe(reference.get(neighbour.index));
  });

  it('pauses during a build without changing the graph', async () => {
    // 3,000 rows take a few hundred milliseconds to insert, so a build pauses many times.
    const part = matrix.subarray(0, 3_000 * dimensions);
    let pauses = 0;
    const paused = await buildNeighbourSearch(part, dimensions, 0, {
      pause: async () => {
        pauses += 1;
      },
    });
    const straight = await buildNeighbourSearch(part, dimensions, 0);

    expect(paused.kind).toBe('approximate');
    expect(pauses).toBeGreaterThan(0);
    for (const item of [0, 1_234, 2_999]) expect(paused.search(paused.row(item), k, item)).toEqual(straight.search(straight.row(item), k, item));
  });

  it('rejects a query of the wrong size', () => {
    expect(() => approximate.search(new Float32Array(3), k)).toThrow('The query has 3 values');
  });
});
