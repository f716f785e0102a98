/**
 * The main-thread bridge to the inference worker. One worker serves the whole page: every element
 * that loads a model shares its sessions, so each model file is fetched and compiled once.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../shared/error-transfer';
import { abortError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type {
  BackendPreference,
  ImagePrediction,
  ImageResultPage,
  ImageResultQuery,
  JobProgress,
  JobSummary,
  MetricsSnapshot,
  ModelInfo,
  TabularPrediction,
} from '../shared/protocol';
import type { TandemWorkerApi } from '../worker/api-types';

const log = createLogger('client');

export interface RealtimeResult extends TabularPrediction {
  /** Main-thread round trip, from the call to the resolved promise, in milliseconds. */
  roundTripMs: number;
}

export interface RunOptions {
  onProgress?: (progress: JobProgress) => void;
  /** Aborting cancels the job after its current chunk; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
}

export class TandemClient {
  private static instance: TandemClient | null = null;

  private readonly worker: Worker;
  private readonly api: Comlink.Remote<TandemWorkerApi>;
  private readonly models = new Map<string, Promise<ModelInfo>>();

  /** Returns the page's one client, starting its worker on first use. */
  static shared(): TandemClient {
    TandemClient.instance ??= new TandemClient();
    return TandemClient.instance;
  }

  private constructor() {
    installErrorTransfer();
    this.worker = new Worker(new URL('../worker/index.ts', import.meta.url), { type: 'module', name: 'tandem-inference' });
    this.worker.addEventListener('error', (event) => log.error('The inference worker failed', event.message));
    this.api = Comlink.wrap<TandemWorkerApi>(this.worker);
  }

  loadModel(manifestUrl: string, backend: BackendPreference = 'auto'): Promise<ModelInfo> {
    const absolute = new URL(manifestUrl, location.href).href;
    const key = `${absolute}#${backend}`;
    let pending = this.models.get(key);
    if (!pending) {
      pending = this.api.loadModel(absolute, backend);
      // A failed load is not cached, so a retry fetches again.
      pending.catch(() => this.models.delete(key));
      this.models.set(key, pending);
    }
    return pending;
  }

  async predict(modelId: string, record: Record<string, unknown>, channel?: string): Promise<RealtimeResult> {
    const started = performance.now();
    const prediction = await this.api.predict(modelId, record, { channel });
    return { ...prediction, roundTripMs: performance.now() - started };
  }

  /** Classifies one image; the result carries the main-thread round trip as `roundTripMs`. */
  async predictImage(modelId: string, image: Blob, channel?: string): Promise<ImagePrediction & { roundTripMs: number }> {
    const started = performance.now();
    const prediction = await this.api.predictImage(modelId, image, { channel });
    return { ...prediction, roundTripMs: performance.now() - started };
  }

  createImageJob(modelId: string, files: File[]): Promise<JobSummary> {
    return this.api.createImageJob(modelId, files);
  }

  queryImageResults(jobId: string, query: ImageResultQuery): Promise<ImageResultPage> {
    return this.api.queryImageResults(jobId, query);
  }

  createJob(modelId: string, file: File): Promise<JobSummary> {
    return this.api.createJob(modelId, file);
  }

  /** Runs (or resumes) a job to its end. Resolves with the final summary unless cancelled. */
  async runJob(jobId: string, options: RunOptions = {}): Promise<JobSummary> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw abortError();

    const onAbort = () => void this.api.cancelJob(jobId);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const summary = await this.api.runJob(jobId, Comlink.proxy((progress: JobProgress) => onProgress?.(progress)));
      if (summary.status === 'cancelled' && signal?.aborted) throw abortError(`Job ${jobId} was cancelled.`);
      return summary;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Creates a job for `file` and runs it to its end. */
  async scoreFile(modelId: string, file: File, options: RunOptions = {}): Promise<JobSummary> {
    const job = await this.createJob(modelId, file);
    if (job.status === 'completed') return job;
    return this.runJob(job.id, options);
  }

  pauseJob(jobId: string): Promise<void> {
    return this.api.pauseJob(jobId);
  }

  cancelJob(jobId: string): Promise<void> {
    return this.api.cancelJob(jobId);
  }

  listJobs(modelId?: string): Promise<JobSummary[]> {
    return this.api.listJobs(modelId);
  }

  deleteJob(jobId: string): Promise<void> {
    return this.api.deleteJob(jobId);
  }

  exportResults(jobId: string): Promise<Blob> {
    return this.api.exportResults(jobId);
  }

  metrics(): Promise<MetricsSnapshot> {
    return this.api.metrics();
  }
}
