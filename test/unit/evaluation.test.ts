import { describe, expect, it } from 'vitest';
import { evaluate, rocAuc } from '../../src/shared/evaluation';

describe('rocAuc', () => {
  it('counts tied pairs as one half', () => {
    // Positives score 0.4 and 0.8, negatives 0.1 and 0.4. Of the 4 positive-negative pairs,
    // 3 rank the positive higher and 1 is tied, so the AUC is (3 + 0.5) / 4.
    expect(rocAuc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1])).toBe(0.875);
  });

  it('handles ties across several runs', () => {
    // Pairs (positive, negative): (0.5, 0.2) 1, (0.5, 0.5) 0.5, (0.5, 0.5) 0.5, (0.9, each) 3,
    // (0.2, 0.2) 0.5, (0.2, 0.5) 0, (0.2, 0.5) 0. The sum 5.5 is over 3 * 3 = 9 pairs.
    // toBeCloseTo with 12 digits allows a difference below 5e-13, for the division's rounding.
    const scores = [0.2, 0.5, 0.5, 0.5, 0.9, 0.2];
    const labels = [0, 0, 1, 0, 1, 1];

    expect(rocAuc(scores, labels)).toBeCloseTo(5.5 / 9, 12);
  });

  it('gives 1 for perfect ranking', () => {
    expect(rocAuc([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1])).toBe(1);
  });

  it('gives 0 for inverse ranking', () => {
    expect(rocAuc([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [0, 0, 0, 1, 1, 1])).toBe(0);
  });

  it('gives 0.5 when all scores tie', () => {
    expect(rocAuc([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1])).toBe(0.5);
  });

  it('ignores input order', () => {
    expect(rocAuc([0.8, 0.1, 0.4, 0.4], [1, 0, 1, 0])).toBe(0.875);
  });

  it('gives NaN without positives', () => {
    expect(rocAuc([0.1, 0.5, 0.9], [0, 0, 0])).toBeNaN();
  });

  it('gives NaN without negatives', () => {
    expect(rocAuc([0.1, 0.5, 0.9], [1, 1, 1])).toBeNaN();
  });

  it('gives NaN for empty input', () => {
    expect(rocAuc([], [])).toBeNaN();
  });

  it('accepts typed arrays', () => {
    expect(rocAuc(new Float32Array([0.25, 0.75]), new Int8Array([0, 1]))).toBe(1);
  });
});

describe('evaluate', () => {
  const scores = [0.05, 0.15, 0.5, 0.55, 0.95, 1, 0.45, 0.3];
  const labels = [0, 0, 0, 1, 1, 1, 1, 0];
  const result = evaluate(scores, labels, 0.5);

  it('counts rows and positives', () => {
    expect(result.rows).toBe(8);
    expect(result.positives).toBe(4);
    expect(result.threshold).toBe(0.5);
  });

  it('builds confusion matrix at threshold', () => {
    // Predicted positive (score >= 0.5): 0.5 (negative), 0.55, 0.95, 1 (positives).
    expect(result.confusion).toEqual({ tp: 3, fp: 1, tn: 3, fn: 1 });
  });

  it('computes accuracy from confusion', () => {
    expect(result.accuracy).toBe(6 / 8);
  });

  it('bins histogram by tenths', () => {
    // Positives 0.55 -> bin 5, 0.95 -> 9, 1 -> 9 (the top bin is closed), 0.45 -> 4.
    expect(result.histogram.positives).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 2]);
    // Negatives 0.05 -> bin 0, 0.15 -> 1, 0.5 -> 5, 0.3 -> 3.
    expect(result.histogram.negatives).toEqual([1, 1, 0, 1, 0, 1, 0, 0, 0, 0]);
  });

  it('includes ROC AUC', () => {
    expect(result.rocAuc).toBe(rocAuc(scores, labels));
  });

  it('moves counts with threshold', () => {
    const strict = evaluate(scores, labels, 0.9);

    expect(strict.confusion).toEqual({ tp: 2, fp: 0, tn: 4, fn: 2 });
  });

  it('gives NaN accuracy for no rows', () => {
    const empty = evaluate([], [], 0.5);

    expect(empty.rows).toBe(0);
    expect(empty.accuracy).toBeNaN();
    expect(empty.rocAuc).toBeNaN();
  });
});

describe('rocAuc at scale', () => {
  it('handles all-tied scores in linear time', () => {
    const count = 400_000;
    const scores = new Float32Array(count).fill(0.5);
    const labels = new Int8Array(count).map((_, i) => i % 2);
    expect(rocAuc(scores, labels)).toBe(0.5);
  });
});
