import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Evaluation } from '../shared/evaluation';
import { base } from './theme';

const count = new Intl.NumberFormat('en');
const percent = new Intl.NumberFormat('en', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const wholePercent = new Intl.NumberFormat('en', { style: 'percent' });
const auc = new Intl.NumberFormat('en', { minimumFractionDigits: 4, maximumFractionDigits: 4 });

// Chart geometry in SVG user units. The chart scales to its container's width.
const chart = { width: 360, height: 200, left: 44, right: 16, top: 12, bottom: 44 };
const plotWidth = chart.width - chart.left - chart.right;
const plotHeight = chart.height - chart.top - chart.bottom;

let nextChartId = 0;

/**
 * Metrics of a scored file that had a label column: ROC AUC, accuracy, the confusion matrix at the
 * model's threshold, and a histogram of predicted probabilities split by the true label.
 */
@customElement('tandem-evaluation-view')
export class EvaluationView extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      .metrics {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
        margin: 0 0 0.75rem;
      }

      .metrics div {
        display: flex;
        flex-direction: column;
      }

      dt {
        font-size: 0.8125rem;
        color: var(--tandem-muted);
      }

      dd {
        margin: 0;
        font-size: 1.25rem;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }

      .details {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem 1.5rem;
        align-items: flex-start;
      }

      table {
        border-collapse: collapse;
        font-variant-numeric: tabular-nums;
        font-size: 0.875rem;
      }

      caption {
        text-align: left;
        font-weight: 600;
        padding-bottom: 0.375rem;
      }

      th,
      td {
        border: 1px solid var(--tandem-border);
        padding: 0.375rem 0.625rem;
        text-align: right;
      }

      th {
        font-weight: 600;
        background: var(--tandem-background);
      }

      figure {
        margin: 0;
        flex: 1 1 16rem;
        min-width: 0;
      }

      figcaption {
        font-weight: 600;
        font-size: 0.875rem;
      }

      svg {
        display: block;
        width: 100%;
        height: auto;
        max-width: 32rem;
      }

      .axis text {
        font-size: 13px;
        fill: var(--tandem-muted);
      }

      .axis line {
        stroke: var(--tandem-border);
      }

      .positive {
        fill: var(--tandem-positive);
      }

      .negative {
        fill: var(--tandem-negative);
      }

      .threshold {
        stroke: var(--tandem-text);
        stroke-dasharray: 4 3;
      }

      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
        font-size: 0.8125rem;
        margin: 0.25rem 0 0;
        padding: 0;
        list-style: none;
      }

      .legend li {
        white-space: nowrap;
      }

      .swatch {
        display: inline-block;
        width: 0.75rem;
        height: 0.75rem;
        border-radius: 2px;
        margin-right: 0.375rem;
        vertical-align: -0.05rem;
      }

      .swatch.positive {
        background: var(--tandem-positive);
      }

      .swatch.negative {
        background: var(--tandem-negative);
      }
    `,
  ];

  /** The metrics to show. */
  @property({ attribute: false }) evaluation: Evaluation | null = null;

  /** Names of the negative and the positive class, as in the manifest's `output.labels`. */
  @property({ attribute: false }) labels: [string, string] = ['No', 'Yes'];

  private readonly chartId = `evaluation-chart-${nextChartId++}`;

  override render() {
    const evaluation = this.evaluation;
    if (!evaluation) return nothing;

    return html`
      <dl class="metrics">
        <div>
          <dt>ROC AUC</dt>
          <dd data-testid="auc" data-value=${String(evaluation.rocAuc)}>
            ${Number.isFinite(evaluation.rocAuc) ? auc.format(evaluation.rocAuc) : 'not available'}
          </dd>
        </div>
        <div>
          <dt>Accuracy at ${percent.format(evaluation.threshold)}</dt>
          <dd data-testid="accuracy" data-value=${String(evaluation.accuracy)}>
            ${Number.isFinite(evaluation.accuracy) ? percent.format(evaluation.accuracy) : 'not available'}
          </dd>
        </div>
        <div>
          <dt>Rows</dt>
          <dd data-testid="evaluation-rows">${count.format(evaluation.rows)}</dd>
        </div>
        <div>
          <dt>Actual ${this.labels[1]}</dt>
          <dd data-testid="positives">${count.format(evaluation.positives)}</dd>
        </div>
      </dl>
      ${Number.isFinite(evaluation.rocAuc)
        ? nothing
        : html`<p class="muted">ROC AUC needs rows of both classes; this file has only one.</p>`}
      <div class="details">${this.renderConfusion(evaluation)} ${this.renderHistogram(evaluation)}</div>
    `;
  }

  private renderConfusion(evaluation: Evaluation) {
    const [negative, positive] = this.labels;
    const { tp, fp, tn, fn } = evaluation.confusion;
    return html`
      <table data-testid="confusion">
        <caption>
          Confusion matrix
        </caption>
        <thead>
          <tr>
            <td></td>
            <th scope="col">Predicted ${negative}</th>
            <th scope="col">Predicted ${positive}</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Actual ${negative}</th>
            <td data-cell="tn">${count.format(tn)}</td>
            <td data-cell="fp">${count.format(fp)}</td>
          </tr>
          <tr>
            <th scope="row">Actual ${positive}</th>
            <td data-cell="fn">${count.format(fn)}</td>
            <td data-cell="tp">${count.format(tp)}</td>
          </tr>
        </tbody>
      </table>
    `;
  }

  private renderHistogram(evaluation: Evaluation) {
    const [negative, positive] = this.labels;
    const { positives, negatives } = evaluation.histogram;
    const bins = Math.max(positives.length, negatives.length);
    const tallest = Math.max(1, ...positives, ...negatives);
    const binWidth = plotWidth / bins;
    const barWidth = Math.max(1, (binWidth - 4) / 2);
    const y = (value: number) => chart.top + plotHeight - (value / tallest) * plotHeight;
    const bottom = chart.top + plotHeight;
    const thresholdX = chart.left + evaluation.threshold * plotWidth;
    const titleId = `${this.chartId}-title`;

    const bars = Array.from({ length: bins }, (_, bin) => {
      const x = chart.left + bin * binWidth + 2;
      const negativeCount = negatives[bin] ?? 0;
      const positiveCount = positives[bin] ?? 0;
      const range = `${bin * 10}–${bin * 10 + 10}%`;
      return svg`
        <rect class="negative" x=${x} y=${y(negativeCount)} width=${barWidth} height=${bottom - y(negativeCount)}>
          <title>${range}: ${count.format(negativeCount)} actual ${negative}</title>
        </rect>
        <rect class="positive" x=${x + barWidth} y=${y(positiveCount)} width=${barWidth} height=${bottom - y(positiveCount)}>
          <title>${range}: ${count.format(positiveCount)} actual ${positive}</title>
        </rect>
      `;
    });

    const ticks = [0, 0.5, 1].map(
      (fraction) => svg`<text x=${chart.left + fraction * plotWidth} y=${bottom + 14} text-anchor="middle">${wholePercent.format(fraction)}</text>`,
    );

    return html`
      <figure>
        <figcaption>Predicted probability of ${positive}, by actual class</figcaption>
        <svg viewBox="0 0 ${chart.width} ${chart.height}" role="img" aria-labelledby=${titleId} data-testid="histogram">
          <title id=${titleId}>
            Histogram of predicted probabilities in 10 bins. Actual ${negative}: ${negatives.map((n) => count.format(n)).join(', ')}.
            Actual ${positive}: ${positives.map((n) => count.format(n)).join(', ')}.
          </title>
          <g class="axis">
            <line x1=${chart.left} y1=${bottom} x2=${chart.left + plotWidth} y2=${bottom}></line>
            <line x1=${chart.left} y1=${chart.top} x2=${chart.left} y2=${bottom}></line>
            <text x=${chart.left - 6} y=${bottom} text-anchor="end" dominant-baseline="middle">0</text>
            <text x=${chart.left - 6} y=${chart.top} text-anchor="end" dominant-baseline="middle">${count.format(tallest)}</text>
            ${ticks}
            <text x=${chart.left + plotWidth / 2} y=${chart.height - 4} text-anchor="middle">Predicted probability</text>
            <text transform="translate(12 ${chart.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">Rows</text>
          </g>
          ${bars}
          <line class="threshold" x1=${thresholdX} y1=${chart.top} x2=${thresholdX} y2=${bottom}></line>
        </svg>
        <ul class="legend">
          <li><span class="swatch negative"></span>Actual ${negative}</li>
          <li><span class="swatch positive"></span>Actual ${positive}</li>
          <li class="muted">Dashed line: threshold</li>
        </ul>
      </figure>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-evaluation-view': EvaluationView;
  }
}
