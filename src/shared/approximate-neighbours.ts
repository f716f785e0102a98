/**
 * Approximate nearest-neighbour search for catalogues above {@link exactSearchLimit} items: an
 * HNSW graph built with hnswlib-wasm (hnswlib compiled to WebAssembly) over the same unit-length
 * embeddings that {@link EmbeddingIndex} searches exactly. The worker builds it when a
 * catalogue's matrix is built, and the unit tests build it in Node.
 */
import type { HierarchicalNSW, HnswlibModule } from 'hnswlib-wasm/lib/hnswlib.mjs';
import { EmbeddingIndex, type Neighbour } from './neighbours';

/** The largest catalogue searched exactly. Larger ones get an approximate index. */
export const exactSearchLimit = 100_000;

/** The search that returned a query's neighbours. */
export type SearchKind = 'exact' | 'approximate';

/**
 * HNSW parameters. With these, recall@10 against the exact search is 0.99 or more on 110,000
 * product-photo embeddings (test/unit/approximate-neighbours.test.ts asserts a floor of 0.95).
 */
export const hnswParameters = {
  /** Links per node on the upper layers; the bottom layer has twice as many. */
  m: 16,
  efConstruction: 100,
  /** Candidates kept during a query; raised to k + 1 when k is larger. */
  efSearch: 64,
  randomSeed: 100,
};

/** Milliseconds of index building between two calls of {@link BuildOptions.pause}. */
const buildSliceMs = 10;

export interface BuildOptions {
  /**
   * Called about every 10 ms while the HNSW graph is built, and awaited. The worker passes a
   * yield to its event loop, so real-time requests are handled during a build that takes a
   * minute for 110,000 rows.
   */
  pause?: () => Promise<void>;
}

/** A catalogue's search: exact at or below {@link exactSearchLimit} items, approximate above. */
export interface NeighbourSearch {
  readonly kind: SearchKind;
  readonly size: number;
  readonly dimensions: number;
  row(index: number): Float32Array;
  /** The `k` nearest rows by dot product, best first, ties to the lower index, row `exclude` left out. */
  search(query: Float32Array, k: number, exclude?: number): Neighbour[];
}

class ExactSearch implements NeighbourSearch {
  readonly kind = 'exact';

  constructor(private readonly index: EmbeddingIndex) {}

  get size(): number {
    return this.index.size;
  }

  get dimensions(): number {
    return this.index.dimensions;
  }

  row(index: number): Float32Array {
    return this.index.row(index);
  }

  search(query: Float32Array, k: number, exclude = -1): Neighbour[] {
    return this.index.search(query, k, exclude);
  }
}

let hnswlib: Promise<HnswlibModule> | null = null;

/**
 * Loads the WebAssembly module once per worker, on first use, so that catalogues searched exactly
 * never download its script (about 700 KB minified). The wasm binary is inlined in the script as base64.
 */
function loadLibrary(): Promise<HnswlibModule> {
  hnswlib ??= import('hnswlib-wasm/lib/hnswlib.mjs').then(({ default: factory }) => factory());
  hnswlib.catch(() => {
    hnswlib = null;
  });
  return hnswlib;
}

/** An HNSW graph over the rows of an {@link EmbeddingIndex}, labelled by row number. */
export class ApproximateSearch implements NeighbourSearch {
  readonly kind = 'approximate';

  private constructor(
    private readonly exact: EmbeddingIndex,
    private readonly graph: HierarchicalNSW,
  ) {}

  /**
   * Builds the graph, inserting every row in order: 45 s for 110,000 rows of 128 values in Node on
   * a 2-core machine. The order, and so the graph, is the same with or without `pause`.
   */
  static async build(exact: EmbeddingIndex, { pause }: BuildOptions = {}): Promise<ApproximateSearch> {
    const library = await loadLibrary();
    const graph = new library.HierarchicalNSW('ip', exact.dimensions, '');
    const { m, efConstruction, efSearch, randomSeed } = hnswParameters;
    graph.initIndex(Math.max(1, exact.size), m, efConstruction, randomSeed);
    let sliceStarted = performance.now();
    for (let row = 0; row < exact.size; row++) {
      graph.addPoint(exact.row(row), row, false);
      if (pause && performance.now() - sliceStarted >= buildSliceMs) {
        await pause();
        sliceStarted = performance.now();
      }
    }
    graph.setEfSearch(efSearch);
    return new ApproximateSearch(exact, graph);
  }

  get size(): number {
    return this.exact.size;
  }

  get dimensions(): number {
    return this.exact.dimensions;
  }

  row(index: number): Float32Array {
    return this.exact.row(index);
  }

  /**
   * Returns about the `k` nearest rows, in the same shape and order as the exact search. The
   * scores are the dot products recomputed in float64 from the matrix, as the exact search
   * computes them, so a row found by both searches has the same score.
   */
  search(query: Float32Array, k: number, exclude = -1): Neighbour[] {
    const dimensions = this.exact.dimensions;
    if (query.length !== dimensions) throw new RangeError(`The query has ${query.length} values; the catalogue's embeddings have ${dimensions}.`);
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a whole number of at least 0, not ${k}.`);
    const requested = Math.min(this.exact.size, exclude >= 0 ? k + 1 : k);
    if (k === 0 || requested === 0) return [];

    this.graph.setEfSearch(Math.max(hnswParameters.efSearch, requested));
    const { neighbors } = this.graph.searchKnn(query, requested, undefined);
    const found: Neighbour[] = [];
    for (const index of neighbors) {
      if (index === exclude) continue;
      const row = this.exact.row(index);
      let score = 0;
      for (let d = 0; d < dimensions; d++) score += row[d]! * query[d]!;
      found.push({ index, score });
    }
    found.sort((a, b) => b.score - a.score || a.index - b.index);
    return found.slice(0, k);
  }
}

/** Returns the search for a catalogue's matrix: exact up to {@link exactSearchLimit} rows, an HNSW graph above. */
export async function buildNeighbourSearch(matrix: Float32Array, dimensions: number, limit = exactSearchLimit, options: BuildOptions = {}): Promise<NeighbourSearch> {
  const exact = new EmbeddingIndex(matrix, dimensions);
  if (exact.size <= limit) return new ExactSearch(exact);
  return ApproximateSearch.build(exact, options);
}
