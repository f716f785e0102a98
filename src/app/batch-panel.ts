import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { JobProgress, JobSummary, ModelInfo } from '../shared/protocol';
import '../ui/evaluation-view';
import { base } from '../ui/theme';

const log = createLogger('batch');

const count = new Intl.NumberFormat('en');
const approximate = new Intl.NumberFormat('en', { maximumSignificantDigits: 3 });
const rate = new Intl.NumberFormat('en', { maximumSignificantDigits: 2 });
const seconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

/** How many of a job's stored row errors the list shows. */
const visibleRowErrors = 5;

/** Errors from the worker cross Comlink as plain `Error`s that keep their `name`, so match on it. */
function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function plural(n: number, singular: string, pluralForm: string): string {
  return `${count.format(n)} ${n === 1 ? singular : pluralForm}`;
}

/** Formats a duration in seconds as "3 s", "2 min 5 s" or "1 h 4 min". */
function formatDuration(totalSeconds: number): string {
  const whole = Math.max(0, Math.ceil(totalSeconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

/** Formats progress as "12,345 of about 20,000 rows · 8,100 rows/s · 3 s left". */
function formatProgress(progress: JobProgress): string {
  const parts: string[] = [];
  const total = progress.rowsTotalEstimate;
  const fileRead = progress.bytesTotal > 0 && progress.bytesDone >= progress.bytesTotal;
  if (total === null) parts.push(`${count.format(progress.rowsDone)} rows`);
  else if (fileRead) parts.push(`${count.format(progress.rowsDone)} of ${count.format(total)} rows`);
  else parts.push(`${count.format(progress.rowsDone)} of about ${approximate.format(total)} rows`);
  if (progress.rowsPerSecond > 0) parts.push(`${rate.format(progress.rowsPerSecond)} rows/s`);
  if (progress.secondsLeft !== null) parts.push(`${formatDuration(progress.secondsLeft)} left`);
  return parts.join(' · ');
}

function statusText(job: JobSummary): string {
  switch (job.status) {
    case 'completed':
      return job.errorCount > 0 ? `completed with ${plural(job.errorCount, 'row error', 'row errors')}` : 'completed';
    case 'failed':
      return `failed: ${job.message ?? 'no reason was recorded'}`;
    default:
      return job.status;
  }
}

/** Returns the export's file name: `churn.csv` becomes `churn-scored.csv`. */
function exportFileName(fileName: string): string {
  return `${fileName.replace(/\.csv$/i, '')}-scored.csv`;
}

function isCsv(file: File): boolean {
  return /\.csv$/i.test(file.name) || file.type === 'text/csv';
}

/** The job this panel is running, with the controller whose abort cancels it. */
interface ActiveRun {
  jobId: string;
  fileName: string;
  controller: AbortController;
  pausing: boolean;
}

/**
 * Batch scoring: pick or drop a CSV file, watch it being scored in the background, pause, cancel
 * or resume it, and export the results. Below, the model's past jobs, newest first, as stored in
 * IndexedDB. The panel runs one job at a time.
 */
@customElement('tandem-batch-panel')
export class BatchPanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      h2 {
        font-size: 1.25rem;
        margin: 0 0 0.25rem;
      }

      h3 {
        font-size: 1rem;
        margin: 1.5rem 0 0.5rem;
      }

      .drop-zone {
        display: flex;
        flex-direction: column;
        align-items: center;
        gap: 0.25rem;
        padding: 1.5rem 1rem;
        margin-top: 0.75rem;
        text-align: center;
        border: 2px dashed var(--tandem-border);
        border-radius: var(--tandem-radius);
        background: var(--tandem-background);
        cursor: pointer;
      }

      .drop-zone:hover,
      .drop-zone.dragging {
        border-color: var(--tandem-accent);
        background: var(--tandem-accent-soft);
      }

      .drop-zone:focus-within {
        outline: 3px solid var(--tandem-accent);
        outline-offset: 2px;
      }

      .drop-zone.disabled {
        cursor: not-allowed;
        opacity: 0.6;
      }

      .columns {
        font-size: 0.8125rem;
        overflow-wrap: anywhere;
      }

      .drop-zone strong {
        color: var(--tandem-accent);
      }

      .run {
        margin-top: 1rem;
        padding: 0.75rem 1rem;
        border: 1px solid var(--tandem-border);
        border-radius: var(--tandem-radius);
      }

      progress {
        width: 100%;
        height: 0.75rem;
        accent-color: var(--tandem-accent);
      }

      .progress-text {
        font-variant-numeric: tabular-nums;
        font-size: 0.9375rem;
        margin: 0.25rem 0 0.5rem;
      }

      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }

      .problem {
        margin: 0.75rem 0 0;
        padding: 0.5rem 0.75rem;
        border-radius: var(--tandem-radius);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
        font-size: 0.9375rem;
      }

      .notice {
        margin: 0.75rem 0 0;
        font-size: 0.9375rem;
      }

      .notice:empty {
        margin: 0;
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

      .row-errors {
        font-size: 0.875rem;
        margin: 0 0 0.75rem;
        padding-left: 1.25rem;
        overflow-wrap: anywhere;
      }

      tandem-evaluation-view {
        margin: 0.5rem 0 0.75rem;
      }
    `,
  ];

  /** The loaded model: files are scored with it, and the list shows its jobs. */
  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private jobs: JobSummary[] = [];
  @state() private active: ActiveRun | null = null;
  @state() private progress: JobProgress | null = null;
  @state() private problem: string | null = null;
  @state() private notice: string | null = null;
  @state() private dragging = false;

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model') && this.model) void this.refreshJobs();
  }

  override render() {
    const manifest = this.model?.manifest;
    if (!manifest) return nothing;
    if (!manifest.tabular) {
      return html`<h2>Score a file</h2>
        <p class="muted">This model reads images, and batch scoring handles CSV files only.</p>`;
    }

    const busy = this.active !== null;
    const columns = manifest.tabular.features.map((feature) => feature.name).join(', ');
    return html`
      <h2>Score a file</h2>
      <p class="muted">
        Scores every row of a CSV file on this device. The file is not uploaded, and the results stay
        in this browser until you delete them.
      </p>
      <label
        class="drop-zone ${this.dragging ? 'dragging' : ''} ${busy ? 'disabled' : ''}"
        @dragover=${this.onDragOver}
        @dragleave=${this.onDragLeave}
        @drop=${this.onDrop}
      >
        <span><strong>Choose a CSV file</strong> or drop it here</span>
        <span class="columns muted">Expected columns: ${columns}</span>
        <input
          class="visually-hidden"
          type="file"
          accept=".csv,text/csv"
          data-testid="file-input"
          ?disabled=${busy}
          @change=${this.onFileChosen}
        />
      </label>
      ${this.renderSampleButton(busy)}
      ${this.renderRun()}
      ${this.problem ? html`<p class="problem" role="alert" data-testid="batch-error">${this.problem}</p>` : nothing}
      <p class="notice" role="status" data-testid="batch-notice">${this.notice ?? ''}</p>
      <h3>Past files</h3>
      ${this.jobs.every((job) => job.id === this.active?.jobId)
        ? html`<p class="muted" data-testid="no-jobs">No files scored with this model yet.</p>`
        : html`<ul class="jobs">
            ${this.jobs.filter((job) => job.id !== this.active?.jobId).map((job) => this.renderJob(job))}
          </ul>`}
    `;
  }

  private renderRun() {
    const active = this.active;
    if (!active) return nothing;
    const progress = this.progress;
    const hasBytes = progress !== null && progress.bytesTotal > 0;

    return html`
      <section class="run" aria-label="Scoring ${active.fileName}">
        <div class="file-name">${active.fileName}</div>
        <progress
          max=${hasBytes ? progress.bytesTotal : nothing}
          value=${hasBytes ? progress.bytesDone : nothing}
          aria-label="Scoring progress"
        ></progress>
        <p class="progress-text" data-testid="progress">${progress ? formatProgress(progress) : 'Starting…'}</p>
        <div class="actions">
          <button data-testid="pause" ?disabled=${active.pausing} @click=${this.onPause}>
            ${active.pausing ? 'Pausing…' : 'Pause'}
          </button>
          <button class="danger" data-testid="cancel" @click=${this.onCancel}>Cancel</button>
        </div>
      </section>
    `;
  }

  private renderJob(job: JobSummary) {
    const inProgress = job.status === 'running' || job.status === 'queued';
    const resumable = job.status === 'paused' || job.status === 'interrupted';
    const labels = this.model?.manifest.output.labels;

    return html`
      <li class="job" data-testid="job" data-job-id=${job.id} data-status=${job.status}>
        <div class="job-head">
          <span class="file-name">${job.fileName}</span>
          <span class="status status-${job.status}" data-testid="status">${statusText(job)}</span>
        </div>
        <div class="facts">
          <span data-testid="rows" data-value=${job.rowsDone}>${plural(job.rowsDone, 'row', 'rows')}</span>
          ${this.renderSpeed(job)} · ${when.format(job.createdAt)}
        </div>
        ${job.cachedFrom ? html`<p class="facts" data-testid="cached">served from cache, no inference</p>` : nothing}
        ${this.renderRowErrors(job)}
        ${job.evaluation
          ? html`<tandem-evaluation-view
              .evaluation=${job.evaluation}
              .labels=${labels?.length === 2 ? [labels[0]!, labels[1]!] : ['No', 'Yes']}
            ></tandem-evaluation-view>`
          : nothing}
        <div class="actions">
          <button data-testid="export" ?disabled=${inProgress} @click=${() => this.exportJob(job)}>Export CSV</button>
          ${resumable
            ? html`<button class="primary" data-testid="resume" ?disabled=${this.active !== null} @click=${() => this.runJob(job)}>
                Resume
              </button>`
            : nothing}
          <button class="danger" data-testid="delete" ?disabled=${inProgress} @click=${() => this.deleteJob(job)}>
            Delete
          </button>
        </div>
      </li>
    `;
  }

  private renderSpeed(job: JobSummary) {
    if (job.cachedFrom || job.runMs <= 0 || job.rowsDone === 0) return nothing;
    const perSecond = job.rowsDone / (job.runMs / 1000);
    const duration = job.runMs < 1000 ? `${Math.round(job.runMs)} ms` : `${seconds.format(job.runMs / 1000)} s`;
    return html` · <span data-testid="speed">${rate.format(perSecond)} rows/s in ${duration}</span>`;
  }

  private renderRowErrors(job: JobSummary) {
    if (job.sampleErrors.length === 0) return nothing;
    const visibleErrors = job.sampleErrors.slice(0, visibleRowErrors);
    const more = job.errorCount - visibleErrors.length;

    return html`
      <ul class="row-errors" data-testid="row-errors">
        ${visibleErrors.map(
          (error) => html`<li>
            ${error.column
              ? `Row ${count.format(error.row)}, column ${error.column}: "${error.value}" — ${error.reason}`
              : `Row ${count.format(error.row)}: ${error.reason}`}
          </li>`,
        )}
        ${more > 0 ? html`<li class="muted">and ${plural(more, 'more row', 'more rows')}; the export lists every error.</li>` : nothing}
      </ul>
    `;
  }

  private renderSampleButton(busy: boolean) {
    const sampleFile = this.model?.manifest.dataset?.['sample_file'];
    if (typeof sampleFile !== 'string') return nothing;
    return html`<p>
      <button class="link" data-testid="sample-file" ?disabled=${busy} @click=${() => this.scoreSample(sampleFile)}>
        Try it with the sample file
      </button>
    </p>`;
  }

  /** Fetches the manifest's sample data file (shipped with the app) and scores it like a chosen file. */
  private async scoreSample(path: string): Promise<void> {
    if (!this.model) return;
    const url = new URL(path, this.model.manifestUrl);
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const name = url.pathname.split('/').pop() || 'sample.csv';
      await this.scoreFile(new File([await response.blob()], name, { type: 'text/csv' }));
    } catch (error) {
      this.problem = `The sample file at ${url.href} could not be fetched: ${error instanceof Error ? error.message : String(error)}.`;
    }
  }

  private onDragOver(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = this.active ? 'none' : 'copy';
    this.dragging = true;
  }

  private onDragLeave(): void {
    this.dragging = false;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    const file = event.dataTransfer?.files[0];
    if (file && !this.active) void this.scoreFile(file);
  }

  private onFileChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    // Clearing the input lets the user choose the same file again, which the result cache serves at once.
    input.value = '';
    if (file) void this.scoreFile(file);
  }

  private onPause(): void {
    const active = this.active;
    if (!active) return;
    this.active = { ...active, pausing: true };
    TandemClient.shared()
      .pauseJob(active.jobId)
      .catch((error: unknown) => {
        log.error(`Pausing job ${active.jobId} failed`, error);
        this.problem = `Pausing failed: ${describeError(error)}`;
      });
  }

  private onCancel(): void {
    this.active?.controller.abort();
  }

  private async scoreFile(file: File): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.problem = null;
    this.notice = null;
    if (!isCsv(file)) {
      this.problem = `${file.name} is not a CSV file. Choose a file whose name ends in .csv.`;
      return;
    }

    let job: JobSummary;
    try {
      job = await TandemClient.shared().createJob(model.id, file);
    } catch (error) {
      log.warn(`Creating a job for ${file.name} failed`, error);
      this.problem = describeError(error);
      return;
    }

    if (job.status === 'completed') {
      this.notice = `${job.fileName} was scored before, so its stored results are shown.`;
      await this.refreshJobs();
      return;
    }
    await this.runJob(job);
  }

  private async runJob(job: JobSummary): Promise<void> {
    const controller = new AbortController();
    this.active = { jobId: job.id, fileName: job.fileName, controller, pausing: false };
    this.progress = null;
    this.problem = null;
    this.notice = null;
    await this.refreshJobs();

    try {
      const summary = await TandemClient.shared().runJob(job.id, {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.jobId === job.id) this.progress = progress;
        },
      });
      this.notice = this.describeEnd(summary);
    } catch (error) {
      if (isAbortError(error)) {
        this.notice = `Cancelled ${job.fileName}.`;
      } else {
        log.error(`Job ${job.id} failed`, error);
        this.problem = `Scoring ${job.fileName} failed: ${describeError(error)}`;
      }
    } finally {
      this.active = null;
      this.progress = null;
      await this.refreshJobs();
    }
  }

  private describeEnd(summary: JobSummary): string {
    switch (summary.status) {
      case 'completed':
        return `Scored ${plural(summary.rowsDone, 'row', 'rows')} of ${summary.fileName}.`;
      case 'paused':
        return `Paused ${summary.fileName} after ${plural(summary.rowsDone, 'row', 'rows')}. Resume it from the list.`;
      default:
        return `${summary.fileName}: ${statusText(summary)}.`;
    }
  }

  private async refreshJobs(): Promise<void> {
    const model = this.model;
    if (!model) return;
    try {
      const jobs = await TandemClient.shared().listJobs(model.id);
      if (model !== this.model) return;
      this.jobs = [...jobs].sort((a, b) => b.createdAt - a.createdAt);
    } catch (error) {
      log.error(`Listing the jobs of model ${model.id} failed`, error);
      this.problem = `The list of past files could not be read: ${describeError(error)}`;
    }
  }

  private async exportJob(job: JobSummary): Promise<void> {
    try {
      const blob = await TandemClient.shared().exportResults(job.id);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = exportFileName(job.fileName);
      link.hidden = true;
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      // Revoking the URL in the same task can abort the download in some browsers, so it lives a while.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      log.error(`Exporting job ${job.id} failed`, error);
      this.problem = `Exporting ${job.fileName} failed: ${describeError(error)}`;
    }
  }

  private async deleteJob(job: JobSummary): Promise<void> {
    try {
      await TandemClient.shared().deleteJob(job.id);
      this.notice = `Deleted ${job.fileName} and its results.`;
    } catch (error) {
      log.error(`Deleting job ${job.id} failed`, error);
      this.problem = `Deleting ${job.fileName} failed: ${describeError(error)}`;
    }
    await this.refreshJobs();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-batch-panel': BatchPanel;
  }
}
