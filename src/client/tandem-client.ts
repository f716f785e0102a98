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
  CsvReadSettings,
  ImagePrediction,
  ImageResultPage,
  ImageResultQuery,
  JobProgress,
  JobSummary,
  MetricsSnapshot,
  ModelInfo,
  TabularPrediction,
} from '../shared/protocol';
import type { FaultKind, TandemWorkerApi } from '../worker/api-types';

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

export interface ClientOptions {
  /**
   * URL of the built worker module, resolved against the page. Without it the client starts the
   * worker that Vite builds next to this module.
   */
  workerUrl?: string | URL;
}

const workerName = 'tandem-inference';
const sharedClientKey = Symbol.for('tandem.shared-client');

/**
 * Starts a module worker from `url`. Browsers reject a worker script from another origin, so for
 * one the worker starts from a same-origin blob module that imports `url`. The imported module
 * keeps its own URL as `import.meta.url`, so the files it locates relative to itself still
 * resolve, and the server of `url` must allow the page's origin through CORS.
 */
function startWorker(url: URL): Worker {
  if (url.origin === location.origin) return new Worker(url, { type: 'module', name: workerName });
  const loader = new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(loader), { type: 'module', name: workerName });
}

export class TandemClient {
  private static instance: TandemClient | null = null;

  private readonly worker: Worker;
  private readonly api: Comlink.Remote<TandemWorkerApi>;
  private readonly models = new Map<string, Promise<ModelInfo>>();
  private readonly workerErrorListeners = new Set<(message: string) => void>();

  /**
   * Returns the page's one client, starting its worker on first use. `options` apply only to the
   * call that starts it. The client is also stored on `globalThis`, so separately built bundles on
   * one page (the app and the widget) share the worker and its sessions.
   */
  static shared(options: ClientOptions = {}): TandemClient {
    const registry = globalThis as { [sharedClientKey]?: TandemClient };
    // NOTE: a client from another bundle is used as is, so both bundles must come from one build of Tandem.
    TandemClient.instance ??= registry[sharedClientKey] ?? new TandemClient(options);
    registry[sharedClientKey] = TandemClient.instance;
    return TandemClient.instance;
  }

  private constructor(options: ClientOptions) {
    installErrorTransfer();
    this.worker = options.workerUrl
      ? startWorker(new URL(options.workerUrl, location.href))
      : new Worker(new URL('../worker/index.ts', import.meta.url), { type: 'module', name: workerName });
    this.worker.addEventListener('error', (event) => {
      log.error('The inference worker failed', event.message);
      for (const listener of this.workerErrorListeners) listener(event.message || 'the worker script could not be loaded');
    });
    this.api = Comlink.wrap<TandemWorkerApi>(this.worker);
  }

  /**
   * Calls `listener` when the worker fails to load or throws outside a call. Calls already sent
   * to a worker that never started stay pending, so callers use this to stop waiting.
   * Returns a function that removes the listener.
   */
  onWorkerError(listener: (message: string) => void): () => void {
    this.workerErrorListeners.add(listener);
    return () => this.workerErrorListeners.delete(listener);
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

  createJob(modelId: string, file: File, settings?: Partial<CsvReadSettings>): Promise<JobSummary> {
    return this.api.createJob(modelId, file, settings);
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

  /** Simulates a failure in the worker, for tests and support; see {@link TandemWorkerApi.injectFault}. */
  injectFault(kind: FaultKind): Promise<void> {
    return this.api.injectFault(kind);
  }
}
