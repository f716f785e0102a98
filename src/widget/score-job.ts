/** The handle `scoreFile()` returns for one batch job. */
import { abortError } from '../shared/errors';
import type { JobProgress, JobSummary } from '../shared/protocol';
import { JobProgressEvent } from './events';

export interface ScoreJobEventMap {
  progress: JobProgressEvent;
}

/** The steps of a job, run by the widget: create the stored job, then run it while reporting progress. */
export interface JobRunner {
  create(): Promise<JobSummary>;
  run(jobId: string, onProgress: (progress: JobProgress) => void, signal: AbortSignal): Promise<JobSummary>;
}

/**
 * One file being scored in the background. It fires `progress` ({@link JobProgressEvent}) after
 * each committed chunk. `done` resolves with the final summary. It rejects with an `AbortError`
 * when the job is cancelled, and with a `TandemError` when the file cannot be scored.
 */
export class ScoreJob extends EventTarget {
  /** The stored job's id, for `exportResults()`; null until the worker has stored the file. */
  id: string | null = null;

  /** The final summary: status `completed`, with `rowsDone` and `errorCount`. */
  readonly done: Promise<JobSummary>;

  private readonly controller = new AbortController();

  constructor(runner: JobRunner, signal?: AbortSignal) {
    super();
    if (signal?.aborted) this.controller.abort(signal.reason);
    signal?.addEventListener('abort', () => this.controller.abort(signal.reason), { once: true });
    this.done = this.start(runner);
  }

  /** Cancels the job after its current chunk, as aborting the `signal` given to `scoreFile()` does. */
  cancel(): void {
    this.controller.abort();
  }

  private async start(runner: JobRunner): Promise<JobSummary> {
    // Yield once, so a caller can add listeners before the first event.
    await Promise.resolve();
    if (this.controller.signal.aborted) throw abortError('The job was cancelled before it started.');
    const created = await runner.create();
    this.id = created.id;
    // A file scored before with the same model is served from the stored results.
    if (created.status === 'completed') return created;
    return runner.run(created.id, (progress) => this.dispatchEvent(new JobProgressEvent(progress)), this.controller.signal);
  }
}

export interface ScoreJob {
  addEventListener<K extends keyof ScoreJobEventMap>(type: K, listener: (this: ScoreJob, event: ScoreJobEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ScoreJobEventMap>(type: K, listener: (this: ScoreJob, event: ScoreJobEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}
