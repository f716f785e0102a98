/** Binary-classification metrics over probabilities of the positive class. */
export interface Evaluation {
  rows: number;
  positives: number;
  rocAuc: number;
  accuracy: number;
  threshold: number;
  /** Counts at `threshold`: true positives, false positives, true negatives, false negatives. */
  confusion: { tp: number; fp: number; tn: number; fn: number };
  /** Counts of probabilities in ten equal bins from 0 to 1, split by the true label. */
  histogram: { positives: number[]; negatives: number[] };
}

/**
 * Returns the ROC AUC as the Mann-Whitney statistic: the probability that a random positive
 * scores above a random negative, with ties counted as one half. NaN when a class is absent.
 *
 * The scores of each class are sorted as typed arrays (no comparator, so a million rows take
 * well under a second) and merged: for each positive, count the negatives below and equal to it.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let positiveCount = 0;
  for (let i = 0; i < scores.length; i++) if (labels[i] === 1) positiveCount++;
  const negativeCount = scores.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return NaN;

  const positives = new Float64Array(positiveCount);
  const negatives = new Float64Array(negativeCount);
  for (let i = 0, p = 0, n = 0; i < scores.length; i++) {
    if (labels[i] === 1) positives[p++] = scores[i]!;
    else negatives[n++] = scores[i]!;
  }
  positives.sort();
  negatives.sort();

  // Negatives before `below` score lower than the current positive, and those before `notAbove`
  // score lower or equal. Both only move forward, so the merge is linear even with many ties.
  let wins = 0;
  let below = 0;
  let notAbove = 0;
  for (let p = 0; p < positiveCount; p++) {
    const score = positives[p]!;
    while (below < negativeCount && negatives[below]! < score) below++;
    if (notAbove < below) notAbove = below;
    while (notAbove < negativeCount && negatives[notAbove]! <= score) notAbove++;
    wins += below + (notAbove - below) / 2;
  }
  return wins / (positiveCount * negativeCount);
}

/** Evaluates probabilities against 0/1 labels at a decision threshold. */
export function evaluate(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Evaluation {
  const confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const histogram = { positives: new Array<number>(10).fill(0), negatives: new Array<number>(10).fill(0) };
  let positives = 0;

  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    const actual = labels[i] === 1;
    const predicted = score >= threshold;
    if (actual) positives++;
    if (predicted && actual) confusion.tp++;
    else if (predicted) confusion.fp++;
    else if (actual) confusion.fn++;
    else confusion.tn++;
    const bin = Math.min(9, Math.max(0, Math.floor(score * 10)));
    (actual ? histogram.positives : histogram.negatives)[bin]!++;
  }

  const rows = scores.length;
  return {
    rows,
    positives,
    rocAuc: rocAuc(scores, labels),
    accuracy: rows === 0 ? NaN : (confusion.tp + confusion.tn) / rows,
    threshold,
    confusion,
    histogram,
  };
}
