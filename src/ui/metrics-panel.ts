import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { LaneMetrics, MetricsSnapshot } from '../shared/protocol';
import { saveFile } from './save-file';
import { base, tokens } from './theme';

const milliseconds = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const rate = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

const lanes = [
  { key: 'realtime', title: 'Real-time' },
  { key: 'batch', title: 'Batch' },
] as const;

/**
 * Serving metrics per lane: queue and compute time at p50, p95 and p99 over the recent window,
 * requests and rows per second, and average batch size, with a bar chart of the percentiles.
 * Polls `source` once a second while the page is visible.
 *
 * @csspart panel - the outer section
 */
@customElement('tandem-metrics-panel')
export class MetricsPanel extends LitElement {
  static override styles = [
    tokens,
    base,
    css`
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.875rem;
        font-variant-numeric: tabular-nums;
      }
      th,
      td {
        text-align: right;
        padding: 0.25rem 0.5rem;
        border-bottom: 1px solid var(--tandem-border);
      }
      th:first-child,
      td:first-child {
        text-align: left;
      }
      .wide {
        overflow-x: auto;
      }
      svg {
        width: 100%;
        max-width: 36rem;
        height: auto;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 1rem;
        flex-wrap: wrap;
      }
    `,
  ];

  /** Returns the latest metrics; the app passes the worker client's `metrics`. */
  @property({ attribute: false }) source: (() => Promise<MetricsSnapshot>) | null = null;

  @state() private snapshot: MetricsSnapshot | null = null;

  private timer: number | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void this.refresh();
    }, 1000);
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
  }

  override render() {
    const snapshot = this.snapshot;
    return html`<section part="panel" aria-labelledby="metrics-title">
      <div class="head">
        <h2 id="metrics-title">Serving metrics</h2>
        <button data-testid="export-metrics" ?disabled=${!snapshot} @click=${() => void this.exportJson()}>Export JSON</button>
      </div>
      ${snapshot
        ? html`<p class="muted">Backend: <span data-testid="metrics-backend">${snapshot.backend ?? 'none'}</span>. Times in milliseconds over the most recent requests of each lane.</p>
            <div class="wide">${this.renderTable(snapshot)}</div>
            ${this.renderChart(snapshot)}`
        : html`<p class="muted">No requests yet.</p>`}
    </section>`;
  }

  private renderTable(snapshot: MetricsSnapshot) {
    return html`<table data-testid="metrics-table">
      <thead>
        <tr>
          <th scope="col">Lane</th>
          <th scope="col">Requests</th>
          <th scope="col">Queue p50 / p95 / p99</th>
          <th scope="col">Compute p50 / p95 / p99</th>
          <th scope="col">Requests/s</th>
          <th scope="col">Rows/s</th>
          <th scope="col">Avg batch</th>
        </tr>
      </thead>
      <tbody>
        ${lanes.map(({ key, title }) => {
          const lane: LaneMetrics = snapshot[key];
          return html`<tr data-lane=${key}>
            <th scope="row">${title}</th>
            <td>${rate.format(lane.requests)}</td>
            <td>${formatTriple(lane.queueMs)}</td>
            <td>${formatTriple(lane.computeMs)}</td>
            <td>${rate.format(lane.requestsPerSecond)}</td>
            <td>${rate.format(lane.rowsPerSecond)}</td>
            <td>${milliseconds.format(lane.averageBatchSize)}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  }

  /** Draws queue + compute time at each percentile, one group of bars per lane. */
  private renderChart(snapshot: MetricsSnapshot) {
    const bars = lanes.flatMap(({ key, title }) =>
      (['p50', 'p95', 'p99'] as const).map((p) => ({
        label: `${title} ${p}`,
        queue: finite(snapshot[key].queueMs[p]),
        compute: finite(snapshot[key].computeMs[p]),
      })),
    );
    const largest = Math.max(1, ...bars.map((bar) => bar.queue + bar.compute));
    const rowHeight = 22;
    const labelWidth = 120;
    const plotWidth = 360;
    const height = bars.length * rowHeight + 24;
    if (bars.every((bar) => bar.queue + bar.compute === 0)) return nothing;

    return html`<svg viewBox="0 0 ${labelWidth + plotWidth + 80} ${height}" role="img" aria-labelledby="metrics-chart-title" data-testid="metrics-chart">
      <title id="metrics-chart-title">Queue and compute time per lane and percentile, in milliseconds</title>
      ${bars.map((bar, i) => {
        const y = i * rowHeight + 4;
        const queueWidth = (bar.queue / largest) * plotWidth;
        const computeWidth = (bar.compute / largest) * plotWidth;
        return svg`<text x="0" y=${y + 14} font-size="12" fill="currentColor">${bar.label}</text>
          <rect x=${labelWidth} y=${y} width=${queueWidth} height="16" fill="var(--tandem-muted, #888)"></rect>
          <rect x=${labelWidth + queueWidth} y=${y} width=${computeWidth} height="16" fill="var(--tandem-accent, #1f5fbf)"></rect>
          <text x=${labelWidth + queueWidth + computeWidth + 6} y=${y + 14} font-size="12" fill="currentColor">${milliseconds.format(bar.queue + bar.compute)}</text>`;
      })}
      <text x=${labelWidth} y=${height - 4} font-size="11" fill="currentColor">grey: queue, blue: compute</text>
    </svg>`;
  }

  private async refresh(): Promise<void> {
    if (!this.source) return;
    try {
      this.snapshot = await this.source();
    } catch {
      // The next tick tries again; a failing worker shows its own error in the app.
    }
  }

  /** Downloads a fresh snapshot, not the one shown, which may be up to a second old. */
  private async exportJson(): Promise<void> {
    await this.refresh();
    if (!this.snapshot) return;
    const blob = new Blob([JSON.stringify({ exportedAt: new Date().toISOString(), ...this.snapshot }, null, 2)], { type: 'application/json' });
    saveFile(blob, 'tandem-metrics.json', this.renderRoot);
  }
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

function formatTriple(values: { p50: number; p95: number; p99: number }): string {
  if (!Number.isFinite(values.p50)) return '–';
  return `${milliseconds.format(values.p50)} / ${milliseconds.format(values.p95)} / ${milliseconds.format(values.p99)}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-metrics-panel': MetricsPanel;
  }
}
