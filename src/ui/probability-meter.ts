import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base } from './theme';

const percent = new Intl.NumberFormat('en', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const milliseconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/**
 * A probability as a large percentage and a horizontal bar, with the decision threshold marked.
 * The result region is `aria-live="polite"`, so screen readers announce each new result.
 *
 * @csspart bar - the track of the bar.
 * @csspart fill - the filled part of the bar.
 */
@customElement('tandem-probability-meter')
export class ProbabilityMeter extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      .value {
        font-size: 2.75rem;
        font-weight: 700;
        line-height: 1.1;
        font-variant-numeric: tabular-nums;
      }

      .label {
        font-size: 1.125rem;
        font-weight: 600;
        margin-left: 0.5rem;
      }

      .bar {
        position: relative;
        height: 0.875rem;
        margin: 0.75rem 0 1.75rem;
        border-radius: 999px;
        background: var(--tandem-accent-soft);
        border: 1px solid var(--tandem-border);
      }

      .fill {
        height: 100%;
        border-radius: 999px;
        background: var(--tandem-accent);
        transition: width 120ms ease-out;
      }

      .threshold {
        position: absolute;
        top: -0.3rem;
        bottom: -0.3rem;
        width: 2px;
        background: var(--tandem-text);
      }

      .threshold span {
        position: absolute;
        top: 100%;
        left: 50%;
        transform: translateX(-50%);
        white-space: nowrap;
        font-size: 0.75rem;
        color: var(--tandem-muted);
      }

      .latency {
        font-size: 0.8125rem;
        color: var(--tandem-muted);
      }

      @media (prefers-reduced-motion: reduce) {
        .fill {
          transition: none;
        }
      }
    `,
  ];

  /** Probability of the positive class, from 0 to 1, or `null` before the first result. */
  @property({ type: Number }) probability: number | null = null;

  /** The class the model predicts at the threshold, such as "Yes". */
  @property() label = '';

  /** The decision threshold, from 0 to 1. */
  @property({ type: Number }) threshold = 0.5;

  /** Time to get the result, in milliseconds, or `null` to hide it. */
  @property({ type: Number }) latencyMs: number | null = null;

  override render() {
    const probability = this.probability;
    const hasValue = probability !== null && Number.isFinite(probability);
    const fillWidth = hasValue ? Math.min(100, Math.max(0, probability * 100)) : 0;
    const thresholdLeft = Math.min(100, Math.max(0, this.threshold * 100));

    return html`
      <div aria-live="polite">
        <div>
          <span class="value" data-testid="probability" data-value=${hasValue ? String(probability) : nothing}
            >${hasValue ? percent.format(probability) : '—'}</span
          >
          <span class="label" data-testid="label">${this.label}</span>
        </div>
        <div class="bar" part="bar" aria-hidden="true">
          <div class="fill" part="fill" style="width: ${fillWidth}%"></div>
          <div class="threshold" style="left: ${thresholdLeft}%">
            <span>threshold ${percent.format(this.threshold)}</span>
          </div>
        </div>
        <div class="latency" data-testid="latency">${this.latencyMs !== null ? `computed in ${milliseconds.format(this.latencyMs)} ms` : ''}</div>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-probability-meter': ProbabilityMeter;
  }
}
