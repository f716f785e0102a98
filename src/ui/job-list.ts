import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CsvReadSettings, JobSummary } from '../shared/protocol';
import './evaluation-view';
import { count, formatRate, plural, type UnitNames } from './format';
import { base } from './theme';

const seconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

/** How many of a job's stored row errors the list shows. */
const visibleRowErrors = 5;

/** The names of a job's items and of its failed items: rows of a CSV file, or images. */
interface JobUnits {
  item: UnitNames;
  error: UnitNames;
}

const tabularUnits: JobUnits = { item: { one: 'row', other: 'rows' }, error: { one: 'row error', other: 'row errors' } };
const imageUnits: JobUnits = { item: { one: 'image', other: 'images' }, error: { one: 'error', other: 'errors' } };

function unitsOf(job: JobSummary): JobUnits {
  return job.kind === 'image' ? imageUnits : tabularUnits;
}

/**
 * Describes a job's status: "completed", "completed with 2 row errors and 1 row outside the
 * model's range", "failed: <reason>", "paused".
 */
export function statusText(job: JobSummary): string {
  const units = unitsOf(job);
  switch (job.status) {
    case 'completed': {
      const notes: string[] = [];
      if (job.errorCount > 0) notes.push(plural(job.errorCount, units.error.one, units.error.other));
      if ((job.warningCount ?? 0) > 0) notes.push(`${plural(job.warningCount!, 'row', 'rows')} outside the model's range`);
      const text = notes.length > 0 ? `completed with ${notes.join(' and ')}` : 'completed';
      // A completed job's message is a warning about how the file was read.
      return job.message ? `${text}. ${job.message}` : text;
    }
    case 'failed':
      return `failed: ${job.message ?? 'no reason was recorded'}`;
    case 'paused':
      return job.message ? `paused: ${job.message}` : 'paused';
    default:
      return job.status;
  }
}

/** The buttons of a listed job. `open` is the job's name, shown as a button when the list is `openable`. */
export type JobAction = 'open' | 'export' | 'resume' | 'delete' | 'reread';

const delimiterNames: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'vertical bar' };
const encodingNames: Record<string, string> = { 'utf-8': 'UTF-8', 'windows-1252': 'Latin-1 (Windows-1252)', 'utf-16le': 'UTF-16 LE', 'utf-16be': 'UTF-16 BE' };

/** Describes how a CSV file was read, for example "comma-separated, UTF-8, decimal point". */
export function describeDialect(settings: CsvReadSettings): string {
  if (settings.delimiter === 'jsonl') return 'JSON Lines, UTF-8';
  const delimiter = delimiterNames[settings.delimiter] ?? JSON.stringify(settings.delimiter);
  const encoding = encodingNames[settings.encoding] ?? settings.encoding;
  return `${delimiter}-separated, ${encoding}, decimal ${settings.decimal === ',' ? 'comma' : 'point'}`;
}

/** Fired when a button of a listed job is pressed. The list itself changes nothing. */
export class JobActionEvent extends Event {
  static readonly eventName = 'job-action';

  constructor(
    readonly action: JobAction,
    readonly job: JobSummary,
    /** For `reread`: how to read the file this time. */
    readonly settings?: CsvReadSettings,
  ) {
    super(JobActionEvent.eventName, { bubbles: true, composed: true });
  }
}

/**
 * A list of batch jobs with their status, counts, speed, first errors and evaluation, and
 * Export, Resume and Delete buttons. Jobs of CSV files count rows; jobs of images count images.
 *
 * @fires job-action - {@link JobActionEvent} when a job's name (if `openable`) or one of its buttons is pressed.
 */
@customElement('tandem-job-list')
export class JobList extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      ul.jobs {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
      }

      li.job {
        padding: 0.75rem clamp(0.75rem, 2.5vw, 1rem);
        border: 1px solid var(--tandem-border);
        border-radius: var(--tandem-radius);
      }

      li.job.selected {
        border-color: var(--tandem-accent);
        box-shadow: inset 3px 0 0 var(--tandem-accent);
      }

      .job-head {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        gap: 0.25rem 1rem;
      }

      .file-name {
        font-weight: 600;
        overflow-wrap: anywhere;
      }

      button.file-name {
        text-align: left;
      }

      .status {
        font-size: 0.875rem;
        font-weight: 600;
      }

      .status-completed {
        color: var(--tandem-success);
      }

      .status-failed {
        color: var(--tandem-danger);
      }

      .facts {
        font-size: 0.875rem;
        color: var(--tandem-muted);
        font-variant-numeric: tabular-nums;
        margin: 0.125rem 0 0.5rem;
      }

      .dialect summary {
        cursor: pointer;
      }

      .reread {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
        margin: 0 0 0.75rem;
        font-size: 0.875rem;
      }

      .reread label {
        display: grid;
        gap: 0.25rem;
      }

      .row-errors {
        font-size: 0.875rem;
        margin: 0 0 0.75rem;
        padding-left: 1.25rem;
        overflow-wrap: anywhere;
      }

      tandem-evaluation-view {
        margin: 0.5rem 0 0.75rem;
      }

      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
    `,
  ];

  /** The jobs to show, in display order. */
  @property({ attribute: false }) jobs: JobSummary[] = [];

  /** Disables Resume, because the owner runs one job at a time and one is running. */
  @property({ type: Boolean }) busy = false;

  /** Shows each job's name as a button that fires an `open` action. */
  @property({ type: Boolean }) openable = false;

  /** The job whose details the owner shows, marked in the list. */
  @property({ attribute: false }) selectedJobId: string | null = null;

  /** The negative and positive class names for a job's evaluation, such as ["No", "Yes"]. */
  @property({ attribute: false }) evaluationLabels: [string, string] = ['No', 'Yes'];

  /** The text shown when there are no jobs. */
  @property() emptyText = 'No jobs yet.';

  /** Whether the owner is still reading the stored jobs, so an empty list means nothing yet. */
  @property({ type: Boolean }) listing = false;

  override render() {
    if (this.jobs.length === 0 && this.listing) return html`<p class="muted" data-testid="jobs-listing">Reading the list of past files…</p>`;
    if (this.jobs.length === 0) return html`<p class="muted" data-testid="no-jobs">${this.emptyText}</p>`;
    return html`<ul class="jobs">
      ${this.jobs.map((job) => this.renderJob(job))}
    </ul>`;
  }

  private renderJob(job: JobSummary) {
    const inProgress = job.status === 'running' || job.status === 'queued';
    const resumable = job.status === 'paused' || job.status === 'interrupted';
    const selected = job.id === this.selectedJobId;
    const units = unitsOf(job);

    return html`
      <li class="job ${selected ? 'selected' : ''}" data-testid="job" data-job-id=${job.id} data-status=${job.status}>
        <div class="job-head">
          ${this.openable
            ? html`<button class="link file-name" data-testid="open-results" aria-pressed=${selected ? 'true' : 'false'} @click=${() => this.fire('open', job)}>
                ${job.fileName}
              </button>`
            : html`<span class="file-name">${job.fileName}</span>`}
          <span class="status status-${job.status}" data-testid="status">${statusText(job)}</span>
        </div>
        <div class="facts">
          <span data-testid="rows" data-value=${job.rowsDone}>${plural(job.rowsDone, units.item.one, units.item.other)}</span>
          ${this.renderSpeed(job, units)} · ${when.format(job.createdAt)}
        </div>
        ${job.cachedFrom ? html`<p class="facts" data-testid="cached">served from cache, no inference</p>` : nothing}
        ${job.dialect ? this.renderDialect(job, job.dialect, inProgress) : nothing}
        ${this.renderRowErrors(job, units)}
        ${job.evaluation
          ? html`<tandem-evaluation-view .evaluation=${job.evaluation} .labels=${this.evaluationLabels}></tandem-evaluation-view>`
          : nothing}
        <div class="actions">
          <button data-testid="export" ?disabled=${inProgress} @click=${() => this.fire('export', job)}>Export CSV</button>
          ${resumable
            ? html`<button class="primary" data-testid="resume" ?disabled=${this.busy} @click=${() => this.fire('resume', job)}>Resume</button>`
            : nothing}
          <button class="danger" data-testid="delete" ?disabled=${inProgress} @click=${() => this.fire('delete', job)}>Delete</button>
        </div>
      </li>
    `;
  }

  /** Shows how the file was read, and a form to read it again another way. */
  private renderDialect(job: JobSummary, dialect: CsvReadSettings, inProgress: boolean) {
    const option = (value: string, label: string, current: string) => html`<option value=${value} ?selected=${value === current}>${label}</option>`;
    return html`<details class="dialect">
      <summary class="facts">Read as <span data-testid="dialect">${describeDialect(dialect)}</span></summary>
      <form class="reread" @submit=${(event: SubmitEvent) => this.onReread(event, job)}>
        <label>Delimiter
          <select name="delimiter" data-testid="reread-delimiter">
            ${Object.entries(delimiterNames).map(([value, label]) => option(value, label, dialect.delimiter))}
          </select>
        </label>
        <label>Encoding
          <select name="encoding" data-testid="reread-encoding">
            ${Object.entries(encodingNames).map(([value, label]) => option(value, label, dialect.encoding))}
          </select>
        </label>
        <label>Decimal mark
          <select name="decimal" data-testid="reread-decimal">
            ${option('.', 'point (1.5)', dialect.decimal)} ${option(',', 'comma (1,5)', dialect.decimal)}
          </select>
        </label>
        <button type="submit" data-testid="reread" ?disabled=${inProgress || this.busy}>Score again this way</button>
      </form>
    </details>`;
  }

  private onReread(event: SubmitEvent, job: JobSummary): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const settings: CsvReadSettings = {
      delimiter: String(data.get('delimiter')),
      encoding: String(data.get('encoding')),
      decimal: data.get('decimal') === ',' ? ',' : '.',
    };
    this.dispatchEvent(new JobActionEvent('reread', job, settings));
  }

  private renderSpeed(job: JobSummary, units: JobUnits) {
    if (job.cachedFrom || job.runMs <= 0 || job.rowsDone === 0) return nothing;
    const perSecond = job.rowsDone / (job.runMs / 1000);
    const duration = job.runMs < 1000 ? `${Math.round(job.runMs)} ms` : `${seconds.format(job.runMs / 1000)} s`;
    return html` · <span data-testid="speed">${formatRate(perSecond, units.item)} in ${duration}</span>`;
  }

  private renderRowErrors(job: JobSummary, units: JobUnits) {
    if (job.sampleErrors.length === 0) return nothing;
    const visibleErrors = job.sampleErrors.slice(0, visibleRowErrors);
    const more = job.errorCount - visibleErrors.length;

    return html`
      <ul class="row-errors" data-testid="row-errors">
        ${visibleErrors.map((error) => {
          // An image job's error is about a whole file, named in `value`.
          if (job.kind === 'image') return html`<li>${error.value}: ${error.reason}</li>`;
          return html`<li>
            ${error.column
              ? `Row ${count.format(error.row)}, column ${error.column}: "${error.value}" — ${error.reason}`
              : `Row ${count.format(error.row)}: ${error.reason}`}
          </li>`;
        })}
        ${more > 0
          ? html`<li class="muted">and ${plural(more, `more ${units.item.one}`, `more ${units.item.other}`)}; the export lists every error.</li>`
          : nothing}
      </ul>
    `;
  }

  private fire(action: JobAction, job: JobSummary): void {
    this.dispatchEvent(new JobActionEvent(action, job));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-job-list': JobList;
  }
  interface HTMLElementEventMap {
    'job-action': JobActionEvent;
  }
}
