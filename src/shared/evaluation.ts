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
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSumOfPositives = 0;

  // Ranks are 1-based; tied scores share the mean rank of their run.
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSumOfPositives += meanRank;
      }
    }
    start = end + 1;
  }

  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSumOfPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
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
