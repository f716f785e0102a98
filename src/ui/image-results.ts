import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ref } from 'lit/directives/ref.js';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { ImageResultPage, ImageResultQuery, ImageResultRow } from '../shared/protocol';
import { count, percent, plural } from './format';
import { drawPreview } from './preview-image';
import { base } from './theme';

const log = createLogger('image-results');

const wholePercent = new Intl.NumberFormat('en', { style: 'percent' });

/** Results per page of the grid. */
const pageSize = 100;

/** The "low confidence only" filter keeps results whose top probability is below this. */
export const lowConfidenceThreshold = 0.6;

/** Returns one page of a job's image results; the app passes the worker client's `queryImageResults`. */
export type ImageResultSource = (jobId: string, query: ImageResultQuery) => Promise<ImageResultPage>;

/**
 * The results of an image batch job as a grid of cells, 100 per page: each cell shows the small
 * image the model saw (gray, or colour for an RGB model), the file name, and the predicted
 * category with its probability, or the file's error. Filters narrow the grid to one category, to low-confidence results or to
 * errors; the matching count is shown above the grid.
 */
@customElement('tandem-image-results')
export class ImageResults extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      .filters {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
        margin-bottom: 0.75rem;
      }

      .filters label {
        display: inline-flex;
        align-items: center;
        gap: 0.375rem;
        font-size: 0.9375rem;
      }

      input[type='checkbox'] {
        min-height: auto;
        width: 1.125rem;
        height: 1.125rem;
        accent-color: var(--tandem-accent);
      }

      .summary {
        margin: 0 0 0.5rem;
        font-size: 0.9375rem;
        font-variant-numeric: tabular-nums;
      }

      .grid {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(5.5rem, 1fr));
        gap: 0.5rem;
        transition: opacity 120ms;
      }

      .grid.loading {
        opacity: 0.5;
      }

      .cell {
        display: flex;
        flex-direction: column;
        gap: 0.125rem;
        min-width: 0;
        padding: 0.375rem;
        border: 1px solid var(--tandem-border);
        border-radius: var(--tandem-radius);
        font-size: 0.75rem;
        line-height: 1.3;
      }

      .cell.failed {
        border-color: var(--tandem-danger);
        background: var(--tandem-danger-soft);
      }

      canvas,
      .no-preview {
        width: 100%;
        aspect-ratio: 1;
        border-radius: calc(var(--tandem-radius) / 2);
        background: #000;
      }

      canvas {
        image-rendering: pixelated;
      }

      .no-preview {
        display: grid;
        place-items: center;
        background: var(--tandem-surface);
        color: var(--tandem-muted);
      }

      .name {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        color: var(--tandem-muted);
      }

      .prediction {
        font-weight: 600;
        font-size: 0.8125rem;
        overflow-wrap: anywhere;
      }

      .probability {
        font-variant-numeric: tabular-nums;
      }

      .error {
        color: var(--tandem-danger);
        overflow-wrap: anywhere;
      }

      .pager {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }

      .problem {
        margin: 0.5rem 0;
        padding: 0.5rem 0.75rem;
        border-radius: var(--tandem-radius);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
        font-size: 0.9375rem;
      }

      @media (prefers-reduced-motion: reduce) {
        .grid {
          transition: none;
        }
      }
    `,
  ];

  /** Reads a page of results. */
  @property({ attribute: false }) source: ImageResultSource | null = null;

  /** The job whose results are shown. */
  @property() jobId: string | null = null;

  /** The model's class names, offered by the category filter. */
  @property({ attribute: false }) labels: string[] = [];

  /** The size of each row's preview, the model's input size. */
  @property({ attribute: false }) previewSize: { width: number; height: number } = { width: 28, height: 28 };

  @state() private page: ImageResultPage | null = null;
  @state() private offset = 0;
  @state() private label = '';
  @state() private lowConfidenceOnly = false;
  @state() private errorsOnly = false;
  @state() private loading = false;
  @state() private problem: string | null = null;

  /** The number of the latest query: the result of an older query arriving late is dropped. */
  private queryCount = 0;

  /** Reads the current page again, for example after the job has scored more images. */
  reload(): void {
    void this.load();
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('jobId')) {
      this.offset = 0;
      this.page = null;
    }
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('jobId') || changed.has('source')) void this.load();
  }

  override render() {
    if (!this.jobId) return nothing;
    const page = this.page;
    return html`
      <div class="filters">
        <label>
          Category
          <select data-testid="filter-label" @change=${this.onLabelChange}>
            <option value="" ?selected=${this.label === ''}>All categories</option>
            ${this.labels.map((label) => html`<option .value=${label} ?selected=${this.label === label}>${label}</option>`)}
          </select>
        </label>
        <label>
          <input type="checkbox" data-testid="filter-low-confidence" .checked=${this.lowConfidenceOnly} @change=${this.onLowConfidenceChange} />
          Low confidence only (below ${wholePercent.format(lowConfidenceThreshold)})
        </label>
        <label>
          <input type="checkbox" data-testid="filter-errors" .checked=${this.errorsOnly} @change=${this.onErrorsChange} />
          Errors only
        </label>
      </div>
      ${this.problem ? html`<p class="problem" role="alert" data-testid="results-error">${this.problem}</p>` : nothing}
      <p class="summary" role="status">${page ? this.renderSummary(page) : 'Loading the results…'}</p>
      ${page ? this.renderGrid(page) : nothing}
    `;
  }

  private renderSummary(page: ImageResultPage) {
    const rowCount = page.rows.length;
    return html`<span data-testid="results-total" data-value=${page.total}>${plural(page.total, 'image matches', 'images match')}</span>
      ${rowCount > 0 ? html` · showing ${count.format(this.offset + 1)} to ${count.format(this.offset + rowCount)}` : nothing}`;
  }

  private renderGrid(page: ImageResultPage) {
    const hasPrevious = this.offset > 0;
    const hasNext = this.offset + pageSize < page.total;
    return html`
      <ul class="grid ${this.loading ? 'loading' : ''}" data-testid="results-grid" aria-busy=${this.loading ? 'true' : 'false'}>
        ${page.rows.map((row) => this.renderCell(row))}
      </ul>
      ${page.rows.length === 0 ? html`<p class="muted">No images match these filters.</p>` : nothing}
      ${hasPrevious || hasNext
        ? html`<div class="pager">
            <button data-testid="results-previous" ?disabled=${!hasPrevious || this.loading} @click=${() => this.goTo(this.offset - pageSize)}>
              Previous
            </button>
            <span class="muted">Page ${count.format(this.offset / pageSize + 1)} of ${count.format(Math.ceil(page.total / pageSize))}</span>
            <button data-testid="results-next" ?disabled=${!hasNext || this.loading} @click=${() => this.goTo(this.offset + pageSize)}>Next</button>
          </div>`
        : nothing}
    `;
  }

  private renderCell(row: ImageResultRow) {
    const { width, height } = this.previewSize;
    const preview = row.preview;
    const low = row.probability !== null && row.probability < lowConfidenceThreshold;
    return html`
      <li class="cell ${row.error ? 'failed' : ''}" data-testid="result-item" data-row=${row.row} data-label=${row.prediction ?? ''}>
        ${preview && (preview.length === width * height || preview.length === width * height * 3)
          ? html`<canvas
              width=${width}
              height=${height}
              role="img"
              aria-label=${`What the model saw of ${row.name}`}
              ${ref((element) => element && drawPreview(element as HTMLCanvasElement, preview, width, height))}
            ></canvas>`
          : html`<div class="no-preview" aria-hidden="true">no image</div>`}
        <span class="name" title=${row.name}>${row.name.split('/').pop()}</span>
        ${row.error
          ? html`<span class="error">${row.error}</span>`
          : html`<span class="prediction">${row.prediction ?? ''}</span>
              <span class="probability">${row.probability === null ? '' : percent.format(row.probability)}${low ? ' · unsure' : ''}</span>`}
      </li>
    `;
  }

  private onLabelChange(event: Event): void {
    this.label = (event.target as HTMLSelectElement).value;
    this.goTo(0);
  }

  private onLowConfidenceChange(event: Event): void {
    this.lowConfidenceOnly = (event.target as HTMLInputElement).checked;
    this.goTo(0);
  }

  private onErrorsChange(event: Event): void {
    this.errorsOnly = (event.target as HTMLInputElement).checked;
    this.goTo(0);
  }

  private goTo(offset: number): void {
    this.offset = Math.max(0, offset);
    void this.load();
  }

  private async load(): Promise<void> {
    const { source, jobId } = this;
    if (!source || !jobId) return;
    const request = ++this.queryCount;
    const query: ImageResultQuery = { offset: this.offset, limit: pageSize };
    if (this.label) query.label = this.label;
    if (this.lowConfidenceOnly) query.maxProbability = lowConfidenceThreshold;
    if (this.errorsOnly) query.errorsOnly = true;

    this.loading = true;
    try {
      const page = await source(jobId, query);
      if (request !== this.queryCount) return;
      this.page = page;
      this.problem = null;
    } catch (error) {
      if (request !== this.queryCount) return;
      log.error(`Reading the results of job ${jobId} failed`, error);
      this.problem = `The results could not be read: ${describeError(error)}`;
    } finally {
      if (request === this.queryCount) this.loading = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-image-results': ImageResults;
  }
}
