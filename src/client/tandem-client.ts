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
import type { CatalogueApi } from '../shared/similar';
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

/** While a job runs, the worker is pinged this often, and declared lost if it misses one reply. */
const heartbeatIntervalMs = 1000;
/** A busy worker replies within milliseconds, because batch work yields between chunks, so 5 s is ample. */
const heartbeatTimeoutMs = 5000;

/** The worker stopped responding: it crashed, ran out of memory or was closed. */
export class WorkerLostError extends Error {
  override name = 'WorkerLostError';

  constructor() {
    super('The inference worker stopped answering.');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function splitModelKey(key: string): [string, BackendPreference] {
  const at = key.lastIndexOf('#');
  return [key.slice(0, at), key.slice(at + 1) as BackendPreference];
}
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

  private worker: Worker;
  private api: Comlink.Remote<TandemWorkerApi>;
  private readonly options: ClientOptions;
  private readonly models = new Map<string, Promise<ModelInfo>>();
  private readonly workerErrorListeners = new Set<(message: string) => void>();
  private readonly restartListeners = new Set<() => void>();
  private restarting: Promise<void> | null = null;

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
    this.options = options;
    this.worker = this.startWorker();
    this.api = Comlink.wrap<TandemWorkerApi>(this.worker);
  }

  private startWorker(): Worker {
    const worker = this.options.workerUrl
      ? startWorker(new URL(this.options.workerUrl, location.href))
      : new Worker(new URL('../worker/index.ts', import.meta.url), { type: 'module', name: workerName });
    worker.addEventListener('error', (event) => {
      log.error('The inference worker failed', event.message);
      for (const listener of this.workerErrorListeners) listener(event.message || 'the worker script could not be loaded');
    });
    return worker;
  }

  /**
   * Replaces a worker that stopped responding with a new one and loads the same models into it.
   * Model ids stay the same, since they are derived from the model files.
   */
  private restartWorker(): Promise<void> {
    this.restarting ??= (async () => {
      log.warn('The inference worker stopped responding. Starting a new one.');
      this.worker.terminate();
      this.worker = this.startWorker();
      this.api = Comlink.wrap<TandemWorkerApi>(this.worker);
      const loads = [...this.models.keys()].map((key) => {
        const [manifestUrl, backend] = splitModelKey(key);
        const pending = this.api.loadModel(manifestUrl, backend);
        this.models.set(key, pending);
        return pending.catch((error) => log.error(`reloading ${manifestUrl} after the restart failed`, error));
      });
      await Promise.all(loads);
      for (const listener of this.restartListeners) listener();
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  /** Calls `listener` after a worker that stopped responding was replaced. Returns a function that removes it. */
  onWorkerRestart(listener: () => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  /**
   * Rejects with a {@link WorkerLostError} when the worker misses a heartbeat: it crashed, ran out
   * of memory or was closed. `stop` ends the watch.
   */
  private watchWorker(): { lost: Promise<never>; stop: () => void } {
    let timer: number | undefined;
    let stopped = false;
    const lost = new Promise<never>((_, reject) => {
      const beat = async () => {
        const answered = await Promise.race([this.api.ping().then(() => true), sleep(heartbeatTimeoutMs).then(() => false)]);
        if (stopped) return;
        if (!answered) reject(new WorkerLostError());
        else timer = window.setTimeout(beat, heartbeatIntervalMs);
      };
      timer = window.setTimeout(beat, heartbeatIntervalMs);
    });
    lost.catch(() => undefined);
    return {
      lost,
      stop: () => {
        stopped = true;
        window.clearTimeout(timer);
      },
    };
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

  /**
   * Checks and stores a model file the user opened (with its manifest's JSON, if any) and returns
   * the manifest URL that loads it, `stored:<sha256>`.
   */
  openModel(file: Blob, fileName: string, manifest?: unknown, maxBytes?: number): Promise<string> {
    return this.api.openModel(file, fileName, manifest, maxBytes);
  }

  /** Fetches a model file from a URL in the worker and stores it as {@link openModel} does. */
  openModelUrl(url: string, maxBytes?: number): Promise<string> {
    return this.api.openModelUrl(new URL(url, location.href).href, maxBytes);
  }

  /** Replaces an opened model's manifest; the next {@link loadModel} of its URL uses it. */
  async updateModelManifest(sha256: string, manifest: unknown): Promise<string> {
    const manifestUrl = await this.api.updateModelManifest(sha256, manifest);
    for (const key of [...this.models.keys()]) if (key.startsWith(`${manifestUrl}#`)) this.models.delete(key);
    return manifestUrl;
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

  /** The similar-product methods of the worker API: catalogues and their nearest-neighbour search. */
  get catalogues(): CatalogueApi {
    return this.api;
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

  /** Creates a new job on the stored file of a CSV job, read with other settings. */
  rereadJob(jobId: string, settings: Partial<CsvReadSettings>): Promise<JobSummary> {
    return this.api.rereadJob(jobId, settings);
  }

  /** Runs (or resumes) a job to its end. Resolves with the final summary unless cancelled. */
  async runJob(jobId: string, options: RunOptions = {}): Promise<JobSummary> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw abortError();

    const onAbort = () => void this.api.cancelJob(jobId);
    signal?.addEventListener('abort', onAbort, { once: true });
    const report = Comlink.proxy((progress: JobProgress) => onProgress?.(progress));
    try {
      // A job whose worker is lost resumes in a new worker from its last committed chunk.
      for (;;) {
        const watch = this.watchWorker();
        try {
          const summary = await Promise.race([this.api.runJob(jobId, report), watch.lost]);
          if (summary.status === 'cancelled' && signal?.aborted) throw abortError(`Job ${jobId} was cancelled.`);
          return summary;
        } catch (error) {
          if (!(error instanceof WorkerLostError)) throw error;
          await this.restartWorker();
          if (signal?.aborted) throw abortError(`Job ${jobId} was cancelled.`);
        } finally {
          watch.stop();
        }
      }
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
