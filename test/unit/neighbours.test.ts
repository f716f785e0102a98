import { describe, expect, it } from 'vitest';
import { EmbeddingIndex, type Neighbour } from '../../src/shared/neighbours';

/** Brute-force reference: every score, a full sort (higher score, then lower index), then the first k. */
function referenceSearch(matrix: Float32Array, dimensions: number, query: Float32Array, k: number, exclude = -1): Neighbour[] {
  const all: Neighbour[] = [];
  for (let row = 0; row < matrix.length / dimensions; row++) {
    if (row === exclude) continue;
    let score = 0;
    for (let d = 0; d < dimensions; d++) score += matrix[row * dimensions + d]! * query[d]!;
    all.push({ index: row, score });
  }
  all.sort((a, b) => b.score - a.score || a.index - b.index);
  return all.slice(0, k);
}

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

function unitRows(count: number, dimensions: number, seed: number): Float32Array {
  const next = random(seed);
  const matrix = new Float32Array(count * dimensions);
  for (let row = 0; row < count; row++) {
    let norm = 0;
    for (let d = 0; d < dimensions; d++) {
      const value = next() * 2 - 1;
      matrix[row * dimensions + d] = value;
      norm += value * value;
    }
    for (let d = 0; d < dimensions; d++) matrix[row * dimensions + d]! /= Math.sqrt(norm);
  }
  return matrix;
}

describe('EmbeddingIndex.search', () => {
  it('matches brute force on random embeddings', () => {
    const dimensions = 128;
    const matrix = unitRows(2_000, dimensions, 7);
    const index = new EmbeddingIndex(matrix, dimensions);
    for (const [queryRow, k] of [
      [0, 5],
      [17, 1],
      [1999, 50],
      [500, 2_000],
    ] as const) {
      const query = index.row(queryRow);
      expect(index.search(query, k, queryRow)).toEqual(referenceSearch(matrix, dimensions, query, k, queryRow));
      expect(index.search(query, k)).toEqual(referenceSearch(matrix, dimensions, query, k));
    }
  });

  it('ranks the query item first unless excluded', () => {
    const matrix = unitRows(300, 16, 3);
    const index = new EmbeddingIndex(matrix, 16);
    const first = index.search(index.row(42), 3);
    expect(first[0]!.index).toBe(42);
    expect(first[0]!.score).toBeCloseTo(1, 6);
    const excluded = index.search(index.row(42), 3, 42);
    expect(excluded.map((neighbour) => neighbour.index)).not.toContain(42);
    expect(excluded).toEqual(first.slice(1).concat(excluded.slice(2)));
  });

  it('breaks ties by the lower index', () => {
    // Rows 1, 3, 4 and 6 are the same vector, so they tie with each other.
    const rows = [
      [0, 1],
      [1, 0],
      [0.6, 0.8],
      [1, 0],
      [1, 0],
      [-1, 0],
      [1, 0],
    ];
    const index = new EmbeddingIndex(Float32Array.from(rows.flat()), 2);
    const query = Float32Array.of(1, 0);
    expect(index.search(query, 3).map((neighbour) => neighbour.index)).toEqual([1, 3, 4]);
    expect(index.search(query, 5, 3).map((neighbour) => neighbour.index)).toEqual([1, 4, 6, 2, 0]);
    expect(index.search(query, 7)).toEqual(referenceSearch(index.matrix, 2, query, 7));
  });

  it('returns every item when k exceeds the catalogue', () => {
    const matrix = unitRows(4, 8, 11);
    const index = new EmbeddingIndex(matrix, 8);
    const query = index.row(2);
    expect(index.search(query, 10)).toHaveLength(4);
    expect(index.search(query, 10, 2)).toHaveLength(3);
    expect(index.search(query, 10, 2)).toEqual(referenceSearch(matrix, 8, query, 10, 2));
  });

  it('returns nothing for an empty catalogue or k of 0', () => {
    const empty = new EmbeddingIndex(new Float32Array(0), 128);
    expect(empty.size).toBe(0);
    expect(empty.search(new Float32Array(128), 5)).toEqual([]);
    const index = new EmbeddingIndex(unitRows(10, 4, 5), 4);
    expect(index.search(index.row(0), 0)).toEqual([]);
  });

  it('rejects a mismatched query, a bad k and a ragged matrix', () => {
    const index = new EmbeddingIndex(unitRows(10, 4, 5), 4);
    expect(() => index.search(new Float32Array(3), 5)).toThrow('The query has 3 values; the catalogue\'s embeddings have 4.');
    expect(() => index.search(index.row(0), -1)).toThrow('k must be a whole number');
    expect(() => index.search(index.row(0), 1.5)).toThrow('k must be a whole number');
    expect(() => new EmbeddingIndex(new Float32Array(10), 4)).toThrow('not a whole number of rows of 4');
    expect(() => index.row(10)).toThrow('No item 10: the catalogue has 10 items.');
  });
});
