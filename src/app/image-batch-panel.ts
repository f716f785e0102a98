import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { exportFileName, imageExport, partialExportNotice } from '../ui/export-name';
import { saveFile } from '../ui/save-file';
import { TandemError, describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { ImageResultQuery, JobProgress, JobSummary, ModelInfo } from '../shared/protocol';
import { count, formatProgress, plural, type UnitNames } from '../ui/format';
import type { ImageResults } from '../ui/image-results';
import '../ui/image-results';
import { JobActionEvent, statusText } from '../ui/job-list';
import '../ui/job-list';
import { filesFromDrop, hasDirectoryPicker, pickFolder, selectFolderFiles, type FolderFiles } from '../ui/pick-files';
import { base } from '../ui/theme';

const log = createLogger('image-batch');

const imageUnits: UnitNames = { one: 'image', other: 'images' };
/** Interval between list reads while another tab runs one of the listed jobs. */
const otherTabRefreshMs = 1000;

/** How many skipped file names a notice lists before "and N more". */
const listedSkippedFiles = 3;

/** Errors from the worker cross Comlink as plain `Error`s that keep their `name`, so match on it. */
function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Returns the model's input size from its manifest's `image.size`, which is also the size of each result's preview. */
function previewSizeOf(model: ModelInfo): { width: number; height: number } {
  const size = model.manifest.image?.['size'] as { width?: unknown; height?: unknown } | undefined;
  const width = typeof size?.width === 'number' ? size.width : 28;
  const height = typeof size?.height === 'number' ? size.height : 28;
  return { width, height };
}

/** The job this panel is running, with the controller whose abort cancels it. */
interface ActiveRun {
  jobId: string;
  fileName: string;
  controller: AbortController;
  pausing: boolean;
}

/**
 * Batch tagging of photos. The user picks or drops images, zip files of images or a whole folder
 * and watches them being classified in the background, with pause, cancel and resume. A finished
 * job exports its tags as CSV and shows its results in a filterable grid. Below, the model's
 * past jobs, newest first, as stored in IndexedDB. The panel runs one job at a time.
 */
@customElement('tandem-image-batch-panel')
export class ImageBatchPanel extends LitElement {
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
        gap: 0.5rem;
        padding: 1.25rem 1rem;
        margin-top: 0.75rem;
        text-align: center;
        border: 2px dashed var(--tandem-border);
        border-radius: var(--tandem-radius);
        background: var(--tandem-background);
      }

      .drop-zone.dragging {
        border-color: var(--tandem-accent);
        background: var(--tandem-accent-soft);
      }

      .drop-zone.disabled {
        opacity: 0.6;
      }

      .choices {
        display: flex;
        flex-wrap: wrap;
        justify-content: center;
        gap: 0.5rem;
      }

      .pick {
        display: inline-flex;
        align-items: center;
        min-height: 2.25rem;
        padding: 0.375rem 0.875rem;
        border: 1px solid var(--tandem-accent);
        border-radius: var(--tandem-radius);
        background: var(--tandem-accent);
        color: var(--tandem-accent-text);
        font-size: 0.9375rem;
        cursor: pointer;
      }

      .pick:focus-within {
        outline: 3px solid var(--tandem-accent);
        outline-offset: 2px;
      }

      .pick.disabled {
        cursor: not-allowed;
        opacity: 0.55;
      }

      .hint {
        font-size: 0.8125rem;
      }

      .run {
        margin-top: 1rem;
        padding: 0.75rem 1rem;
        border: 1px solid var(--tandem-border);
        border-radius: var(--tandem-radius);
      }

      .file-name {
        font-weight: 600;
        overflow-wrap: anywhere;
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
        overflow-wrap: anywhere;
      }

      .notice {
        margin: 0.75rem 0 0;
        font-size: 0.9375rem;
        overflow-wrap: anywhere;
      }

      .notice:empty {
        margin: 0;
      }

      .results {
        margin-top: 1.5rem;
        padding-top: 1rem;
        border-top: 1px solid var(--tandem-border);
      }

      .results-head {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        justify-content: space-between;
        gap: 0.5rem;
        margin-bottom: 0.5rem;
      }

      .results-head h3 {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  /** The loaded image model: photos are tagged with it, and the list shows its jobs. */
  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private jobs: JobSummary[] = [];
  /** Whether the stored jobs of the current model are still being read for the first time. */
  @state() private listing = true;
  @state() private active: ActiveRun | null = null;
  @state() private progress: JobProgress | null = null;
  @state() private problem: string | null = null;
  @state() private notice: string | null = null;
  @state() private dragging = false;
  /** The job whose results the grid shows. */
  @state() private openJobId: string | null = null;

  @query('input[data-testid="folder-input"]') private folderInput!: HTMLInputElement | null;
  @query('tandem-image-results') private results!: ImageResults | null;

  private readonly querySource = (jobId: string, query: ImageResultQuery) => TandemClient.shared().queryImageResults(jobId, query);

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model') && this.model) {
      this.openJobId = null;
      this.listing = true;
      void this.refreshJobs();
    }
  }

  override render() {
    const manifest = this.model?.manifest;
    if (!manifest) return nothing;
    const busy = this.active !== null;

    return html`
      <h2>Tag many photos</h2>
      <p class="muted">
        Tags every photo in a set of files, a folder or a zip file, on this device. Nothing is uploaded, and the
        results stay in this browser until you delete them.
      </p>
      <div
        class="drop-zone ${this.dragging ? 'dragging' : ''} ${busy ? 'disabled' : ''}"
        @dragover=${this.onDragOver}
        @dragleave=${this.onDragLeave}
        @drop=${this.onDrop}
      >
        <div class="choices">
          <label class="pick ${busy ? 'disabled' : ''}">
            Choose photos or zip files
            <input
              class="visually-hidden"
              type="file"
              multiple
              accept="image/*,.zip,application/zip"
              data-testid="images-input"
              ?disabled=${busy}
              @change=${this.onFilesChosen}
            />
          </label>
          <button data-testid="choose-folder" ?disabled=${busy} @click=${this.onChooseFolder}>Choose a folder</button>
          <input type="file" webkitdirectory hidden data-testid="folder-input" ?disabled=${busy} @change=${this.onFolderChosen} />
        </div>
        <span class="hint muted">or drop photos, folders or zip files here. PNG, JPEG, WebP, GIF and BMP photos are read.</span>
      </div>
      ${this.renderRun()}
      ${this.problem ? html`<p class="problem" role="alert" data-testid="batch-error">${this.problem}</p>` : nothing}
      <p class="notice" role="status" data-testid="batch-notice">${this.notice ?? ''}</p>
      <h3>Past batches</h3>
      <tandem-job-list
        .jobs=${this.jobs.filter((job) => job.id !== this.active?.jobId)}
        ?busy=${busy}
        ?listing=${this.listing}
        openable
        .selectedJobId=${this.openJobId}
        emptyText="No photos tagged with this model yet."
        @job-action=${this.onJobAction}
      ></tandem-job-list>
      ${this.renderResults()}
    `;
  }

  private renderRun() {
    const active = this.active;
    if (!active) return nothing;
    const progress = this.progress;
    const total = progress?.rowsTotalEstimate ?? null;

    return html`
      <section class="run" aria-label="Tagging ${active.fileName}">
        <div class="file-name">${active.fileName}</div>
        <progress
          max=${total !== null && total > 0 ? total : nothing}
          value=${total !== null && total > 0 && progress ? Math.min(progress.rowsDone, total) : nothing}
          aria-label="Tagging progress"
        ></progress>
        <p class="progress-text" data-testid="progress">${progress ? formatProgress(progress, imageUnits) : 'Starting…'}</p>
        <div class="actions">
          <button data-testid="pause" ?disabled=${active.pausing} @click=${this.onPause}>${active.pausing ? 'Pausing…' : 'Pause'}</button>
          <button class="danger" data-testid="cancel" @click=${this.onCancel}>Cancel</button>
        </div>
      </section>
    `;
  }

  private renderResults() {
    const model = this.model;
    const job = this.jobs.find((candidate) => candidate.id === this.openJobId);
    if (!model || !job) return nothing;
    return html`
      <section class="results" aria-label="Results of ${job.fileName}">
        <div class="results-head">
          <h3>Results of ${job.fileName}</h3>
          <button data-testid="close-results" @click=${() => (this.openJobId = null)}>Close</button>
        </div>
        <tandem-image-results
          .source=${this.querySource}
          jobId=${job.id}
          .labels=${model.manifest.output.labels ?? []}
          .previewSize=${previewSizeOf(model)}
        ></tandem-image-results>
      </section>
    `;
  }

  private onDragOver(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = this.active ? 'none' : 'copy';
    this.dragging = true;
  }

  private onDragLeave(): void {
    this.dragging = false;
  }

  private async onDrop(event: DragEvent): Promise<void> {
    event.preventDefault();
    this.dragging = false;
    if (!event.dataTransfer || this.active) return;
    try {
      const dropped = await filesFromDrop(event.dataTransfer);
      await this.tagFiles(dropped, 'The drop contains no photos or zip files.');
    } catch (error) {
      log.error('Reading the dropped files failed', error);
      this.problem = `The dropped files could not be read: ${describeError(error)}`;
    }
  }

  private onFilesChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    // Clearing the input lets the user choose the same files again.
    input.value = '';
    if (files.length > 0) void this.tagFiles({ files, skipped: [] }, 'No files were chosen.');
  }

  private onFolderChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length > 0) void this.tagFiles(selectFolderFiles(files), 'The folder contains no photos or zip files.');
  }

  /** Opens the File System Access folder picker where the browser has one, and the folder input elsewhere. */
  private async onChooseFolder(): Promise<void> {
    if (!hasDirectoryPicker()) {
      this.folderInput?.click();
      return;
    }
    try {
      const folder = await pickFolder();
      await this.tagFiles(folder, 'The folder contains no photos or zip files.');
    } catch (error) {
      // The user closed the picker.
      if (isAbortError(error)) return;
      // A browser that exposes the picker but blocks it here (for example in a cross-origin frame) still has the input.
      if (error instanceof Error && error.name === 'SecurityError') {
        this.folderInput?.click();
        return;
      }
      log.error('Reading the chosen folder failed', error);
      this.problem = `The folder could not be read: ${describeError(error)}`;
    }
  }

  private onJobAction(event: JobActionEvent): void {
    const { job } = event;
    switch (event.action) {
      case 'open':
        this.openJobId = job.id;
        void this.updateComplete.then(() => this.results?.scrollIntoView({ block: 'nearest' }));
        break;
      case 'export':
        void this.exportJob(job);
        break;
      case 'resume':
        void this.runJob(job);
        break;
      case 'delete':
        void this.deleteJob(job);
        break;
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

  /** Starts a job for the chosen files; `emptyMessage` is shown when there are none. */
  private async tagFiles({ files, skipped }: FolderFiles, emptyMessage: string): Promise<void> {
    const model = this.model;
    if (!model || this.active) return;
    this.problem = null;
    this.notice = null;
    const skippedNote = this.describeSkipped(skipped);
    if (files.length === 0) {
      this.problem = [emptyMessage, skippedNote].filter(Boolean).join(' ');
      return;
    }

    let job: JobSummary;
    try {
      job = await TandemClient.shared().createImageJob(model.id, files);
    } catch (error) {
      log.warn(`Creating an image job for ${plural(files.length, 'file', 'files')} failed`, error);
      this.problem = describeError(error);
      return;
    }
    await this.runJob(job, skippedNote);
  }

  /** Describes files left out of a folder: "Skipped 2 files that are not photos or zip files: labels.csv, notes.txt." */
  private describeSkipped(skipped: string[]): string {
    if (skipped.length === 0) return '';
    const listed = skipped.slice(0, listedSkippedFiles).join(', ');
    const more = skipped.length > listedSkippedFiles ? ` and ${count.format(skipped.length - listedSkippedFiles)} more` : '';
    const description = skipped.length === 1 ? '1 file that is not a photo or zip file' : `${count.format(skipped.length)} files that are not photos or zip files`;
    return `Skipped ${description}: ${listed}${more}.`;
  }

  private async runJob(job: JobSummary, note = ''): Promise<void> {
    const controller = new AbortController();
    this.active = { jobId: job.id, fileName: job.fileName, controller, pausing: false };
    this.progress = null;
    this.problem = null;
    this.notice = note || null;
    await this.refreshJobs();

    try {
      const summary = await TandemClient.shared().runJob(job.id, {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.jobId === job.id) this.progress = progress;
        },
      });
      this.notice = [this.describeEnd(summary), note].filter(Boolean).join(' ');
      // A finished batch opens its results, the next thing a user wants to see.
      if (summary.status === 'completed') this.openJobId = summary.id;
    } catch (error) {
      if (isAbortError(error)) {
        this.notice = `Cancelled ${job.fileName}.`;
      } else if (error instanceof TandemError && error.code === 'job-busy') {
        // The job lock did its work, so this tab follows the other tab's run through the stored checkpoints.
        log.info(`Job ${job.id} is running in another tab`);
        this.notice = `${job.fileName} is already running in another tab or window. Its progress shows in the list here as it runs.`;
        this.followOtherTab = true;
      } else {
        log.error(`Job ${job.id} failed`, error);
        this.problem = `Tagging ${job.fileName} failed: ${describeError(error)}`;
      }
    } finally {
      this.active = null;
      this.progress = null;
      await this.refreshJobs();
      // Resuming a job that is open adds results to it.
      if (this.openJobId === job.id) this.results?.reload();
    }
  }

  private describeEnd(summary: JobSummary): string {
    switch (summary.status) {
      case 'completed':
        return `Tagged ${plural(summary.rowsDone - summary.errorCount, 'photo', 'photos')} from ${summary.fileName}${
          summary.errorCount > 0 ? `; ${plural(summary.errorCount, 'file', 'files')} could not be read` : ''
        }.`;
      case 'paused':
        return `Paused ${summary.fileName} after ${plural(summary.rowsDone, 'image', 'images')}. Resume it from the list.`;
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
      this.jobs = [...jobs].filter((job) => job.kind === 'image').sort((a, b) => b.createdAt - a.createdAt);
      if (this.openJobId && !this.jobs.some((job) => job.id === this.openJobId)) this.openJobId = null;
      // A job running in another tab shows its progress here through the stored checkpoints, and
      // right after a job-busy rejection the other tab may not have stored the job as running yet.
      const elsewhere = this.followOtherTab || this.jobs.some((job) => (job.status === 'running' || job.status === 'queued') && job.id !== this.active?.jobId);
      this.followOtherTab = false;
      window.clearTimeout(this.refreshTimer);
      if (elsewhere && this.isConnected) this.refreshTimer = window.setTimeout(() => void this.refreshJobs(), otherTabRefreshMs);
    } catch (error) {
      log.error(`Listing the jobs of model ${model.id} failed`, error);
      this.problem = `The list of past batches could not be read: ${describeError(error)}`;
    } finally {
      if (model === this.model) this.listing = false;
    }
  }

  private async exportJob(job: JobSummary): Promise<void> {
    this.notice = partialExportNotice(job, imageExport);
    try {
      saveFile(await TandemClient.shared().exportResults(job.id), exportFileName(job, imageExport), this.renderRoot);
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
    'tandem-image-batch-panel': ImageBatchPanel;
  }
}
