import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { exportFileName, partialExportNotice } from '../ui/export-name';
import { saveFile } from '../ui/save-file';
import { TandemError, describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { CsvReadSettings, JobProgress, JobSummary, ModelInfo } from '../shared/protocol';
import { formatProgress, plural, type UnitNames } from '../ui/format';
import { JobActionEvent, statusText } from '../ui/job-list';
import '../ui/job-list';
import { base } from '../ui/theme';

/** How often the list is read again while another tab runs a job of this model. */
const otherTabRefreshMs = 1000;

const log = createLogger('batch');

const rowUnits: UnitNames = { one: 'row', other: 'rows' };

/** Errors from the worker cross Comlink as plain `Error`s that keep their `name`, so match on it. */
function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function isCsv(file: File): boolean {
  return /\.(csv|tsv|txt|jsonl|ndjson)$/i.test(file.name) || file.type === 'text/csv' || file.type === 'text/tab-separated-values';
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

      .file-name {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
    `,
  ];

  /** The loaded model: files are scored with it, and the list shows its jobs. */
  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private jobs: JobSummary[] = [];
  /** Whether the stored jobs of the current model are still being read for the first time. */
  @state() private listing = true;
  @state() private active: ActiveRun | null = null;
  @state() private progress: JobProgress | null = null;
  @state() private problem: string | null = null;
  @state() private notice: string | null = null;
  @state() private dragging = false;

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model') && this.model) {
      this.listing = true;
      void this.refreshJobs();
    }
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
        <span><strong>Choose a CSV or JSON Lines file</strong> or drop it here</span>
        <span class="columns muted">Expected columns: ${columns}</span>
        <input
          class="visually-hidden"
          type="file"
          accept=".csv,.tsv,.txt,.jsonl,.ndjson,text/csv,text/tab-separated-values"
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
      <tandem-job-list
        .jobs=${this.jobs.filter((job) => job.id !== this.active?.jobId)}
        ?busy=${busy}
        ?listing=${this.listing}
        .evaluationLabels=${this.evaluationLabels()}
        emptyText="No files scored with this model yet."
        @job-action=${this.onJobAction}
      ></tandem-job-list>
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
        <p class="progress-text" data-testid="progress">${progress ? formatProgress(progress, rowUnits) : 'Starting…'}</p>
        <div class="actions">
          <button data-testid="pause" ?disabled=${active.pausing} @click=${this.onPause}>
            ${active.pausing ? 'Pausing…' : 'Pause'}
          </button>
          <button class="danger" data-testid="cancel" @click=${this.onCancel}>Cancel</button>
        </div>
      </section>
    `;
  }

  /** Returns the class names for a job's evaluation, from the model's two output labels. */
  private evaluationLabels(): [string, string] {
    const labels = this.model?.manifest.output.labels;
    return labels?.length === 2 ? [labels[0]!, labels[1]!] : ['No', 'Yes'];
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

  private onJobAction(event: JobActionEvent): void {
    const { job } = event;
    switch (event.action) {
      case 'export':
        void this.exportJob(job);
        break;
      case 'resume':
        void this.runJob(job);
        break;
      case 'delete':
        void this.deleteJob(job);
        break;
      case 'reread':
        if (event.settings) void this.rereadJob(job, event.settings);
        break;
      case 'open':
        // The list here is not openable: a CSV job has no results view.
        break;
    }
  }

  /** Scores a job's stored file again, read with other settings, as a new job. */
  private async rereadJob(job: JobSummary, settings: CsvReadSettings): Promise<void> {
    this.problem = null;
    try {
      const created = await TandemClient.shared().rereadJob(job.id, settings);
      await this.refreshJobs();
      if (created.status !== 'completed') await this.runJob(created);
    } catch (error) {
      log.error(`Reading job ${job.id} again failed`, error);
      this.problem = `Reading ${job.fileName} again failed: ${describeError(error)}`;
    }
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
      this.problem = `${file.name} is not a CSV or JSON Lines file. Choose a file whose name ends in .csv, .tsv, .txt, .jsonl or .ndjson.`;
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
      } else if (error instanceof TandemError && error.code === 'job-busy') {
        // The job lock did its work, so this tab follows the other tab's run through the stored checkpoints.
        log.info(`Job ${job.id} is running in another tab`);
        this.notice = `${job.fileName} is already running in another tab or window. Its progress shows here as it runs.`;
        this.followOtherTab = true;
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

  private refreshTimer: number | undefined;
  /** Set when this tab's run was rejected because another tab runs the job, so the next list refresh polls again. */
  private followOtherTab = false;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.refreshTimer);
  }

  private async refreshJobs(): Promise<void> {
    const model = this.model;
    if (!model) return;
    try {
      const jobs = await TandemClient.shared().listJobs(model.id);
      if (model !== this.model) return;
      this.jobs = [...jobs].sort((a, b) => b.createdAt - a.createdAt);
      // A job running in another tab shows its progress here through the stored checkpoints.
      // Right after a job-busy rejection the other tab may not have stored the job as running yet.
      const elsewhere = this.followOtherTab || jobs.some((job) => (job.status === 'running' || job.status === 'queued') && job.id !== this.active?.jobId);
      this.followOtherTab = false;
      window.clearTimeout(this.refreshTimer);
      if (elsewhere && this.isConnected) this.refreshTimer = window.setTimeout(() => void this.refreshJobs(), otherTabRefreshMs);
    } catch (error) {
      log.error(`Listing the jobs of model ${model.id} failed`, error);
      this.problem = `The list of past files could not be read: ${describeError(error)}`;
    } finally {
      if (model === this.model) this.listing = false;
    }
  }

  private async exportJob(job: JobSummary): Promise<void> {
    this.notice = partialExportNotice(job);
    try {
      saveFile(await TandemClient.shared().exportResults(job.id), exportFileName(job), this.renderRoot);
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
