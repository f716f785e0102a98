/**
 * Exact nearest-neighbour search over unit-length embeddings by dot product (cosine similarity).
 * Pure: the worker runs it on the real-time lane, and the unit tests run it in Node.
 */

/** One neighbour: its row in the matrix and its dot product with the query. */
export interface Neighbour {
  index: number;
  score: number;
}

/** Whether neighbour `a` ranks before `b`: a higher score first, and on a tie the lower index. */
function ranksBefore(a: Neighbour, b: Neighbour): boolean {
  return a.score > b.score || (a.score === b.score && a.index < b.index);
}

/**
 * A fixed-size heap of the best `capacity` neighbours seen so far. Its root is the worst of them,
 * so a candidate that does not beat the root is dropped in O(1).
 */
class TopNeighbours {
  private readonly heap: Neighbour[] = [];

  constructor(private readonly capacity: number) {}

  offer(index: number, score: number): void {
    const heap = this.heap;
    const candidate = { index, score };
    if (heap.length < this.capacity) {
      heap.push(candidate);
      this.siftUp(heap.length - 1);
      return;
    }
    if (!ranksBefore(candidate, heap[0]!)) return;
    heap[0] = candidate;
    this.siftDown(0);
  }

  /** Returns the kept neighbours, best first. */
  sorted(): Neighbour[] {
    return [...this.heap].sort((a, b) => (ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0));
  }

  private siftUp(position: number): void {
    const heap = this.heap;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      // The worse neighbour belongs nearer the root.
      if (!ranksBefore(heap[parent]!, heap[position]!)) return;
      [heap[parent], heap[position]] = [heap[position]!, heap[parent]!];
      position = parent;
    }
  }

  private siftDown(position: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * position + 1;
      const right = left + 1;
      let worst = position;
      if (left < heap.length && ranksBefore(heap[worst]!, heap[left]!)) worst = left;
      if (right < heap.length && ranksBefore(heap[worst]!, heap[right]!)) worst = right;
      if (worst === position) return;
      [heap[worst], heap[position]] = [heap[position]!, heap[worst]!];
      position = worst;
    }
  }
}

/**
 * Embeddings of a catalogue, one row of `dimensions` values per item in one contiguous
 * Float32Array, searched exactly by brute force. A query costs time linear in the catalogue, so
 * catalogues above 100,000 items are searched through an HNSW index instead
 * (approximate-neighbours.ts), which keeps this matrix for rows and scores.
 */
export class EmbeddingIndex {
  readonly size: number;

  constructor(
    readonly matrix: Float32Array,
    readonly dimensions: number,
  ) {
    if (!Number.isInteger(dimensions) || dimensions <= 0) throw new RangeError(`The embedding size must be a positive integer, not ${dimensions}.`);
    if (matrix.length % dimensions !== 0) {
      throw new RangeError(`The matrix has ${matrix.length} values, which is not a whole number of rows of ${dimensions}.`);
    }
    this.size = matrix.length / dimensions;
  }

  /** Returns row `index` of the matrix, without copying. */
  row(index: number): Float32Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`No item ${index}: the catalogue has ${this.size} items.`);
    return this.matrix.subarray(index * this.dimensions, (index + 1) * this.dimensions);
  }

  /**
   * Returns the `k` rows with the highest dot product with `query`, best first; ties go to the
   * lower index. Row `exclude` (the query item itself) is left out. Fewer than `k` come back
   * when the catalogue is smaller.
   */
  search(query: Float32Array, k: number, exclude = -1): Neighbour[] {
    const dimensions = this.dimensions;
    if (query.length !== dimensions) throw new RangeError(`The query has ${query.length} values; the catalogue's embeddings have ${dimensions}.`);
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a whole number of at least 0, not ${k}.`);
    const top = new TopNeighbours(k);
    if (k === 0) return [];
    const matrix = this.matrix;
    for (let row = 0, offset = 0; row < this.size; row++, offset += dimensions) {
      if (row === exclude) continue;
      let sum = 0;
      for (let d = 0; d < dimensions; d++) sum += matrix[offset + d]! * query[d]!;
      top.offer(row, sum);
    }
    return top.sorted();
  }
}
