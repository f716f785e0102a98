/**
 * The type of the one object the worker exposes through Comlink. The main thread imports this
 * type and nothing else from `src/worker/`.
 */
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

export interface PredictOptions {
  /**
   * Requests on one channel supersede each other: a request still queued when a newer one on the
   * same channel arrives is rejected with an AbortError, so the latest input wins.
   */
  channel?: string;
}

export type ProgressCallback = (progress: JobProgress) => void;

/** The worker's API; the similar-product methods are in {@link CatalogueApi}. */
export interface TandemWorkerApi extends CatalogueApi {
  /** Fetches, verifies and compiles a model; a model already loaded is returned at once. */
  loadModel(manifestUrl: string, backend: BackendPreference): Promise<ModelInfo>;

  /**
   * Checks and stores a model file the user opened, with the parsed JSON of its manifest if one
   * came with it, and returns the manifest URL to load it with (`stored:<sha256>`).
   * `maxBytes` lowers the size limit below the device's.
   */
  openModel(file: Blob, fileName: string, manifest?: unknown, maxBytes?: number): Promise<string>;

  /** Fetches a model file from a URL and stores it as {@link openModel} does. */
  openModelUrl(url: string, maxBytes?: number): Promise<string>;

  /** Replaces the manifest of an opened model; load it again to use the change. */
  updateModelManifest(sha256: string, manifest: unknown): Promise<string>;

  /** Scores one record keyed by feature name on the real-time lane. */
  predict(modelId: string, record: Record<string, unknown>, options?: PredictOptions): Promise<TabularPrediction>;

  /** Classifies one image (PNG, JPEG, WebP, GIF or BMP) on the real-time lane. */
  predictImage(modelId: string, image: Blob, options?: PredictOptions): Promise<ImagePrediction>;

  /** Stores images and zip files of images as a new batch job and returns it. */
  createImageJob(modelId: string, files: File[]): Promise<JobSummary>;

  /** Returns one page of an image job's results, optionally filtered. */
  queryImageResults(jobId: string, query: ImageResultQuery): Promise<ImageResultPage>;

  /**
   * Stores a file as a new batch job and returns it; a cache hit returns a completed job.
   * `settings` forces how the CSV is read; what it leaves out is detected.
   */
  createJob(modelId: string, file: File, settings?: Partial<CsvReadSettings>): Promise<JobSummary>;

  /** Creates a new job on the stored file of a CSV job, read with other settings. */
  rereadJob(jobId: string, settings: Partial<CsvReadSettings>): Promise<JobSummary>;

  /** Runs or resumes a job until it completes, fails, or is paused or cancelled. */
  runJob(jobId: string, onProgress: ProgressCallback): Promise<JobSummary>;

  /** Stops a running job after its current chunk; it keeps its checkpoint and can be resumed. */
  pauseJob(jobId: string): Promise<void>;

  /** Stops a running job after its current chunk and marks it cancelled. */
  cancelJob(jobId: string): Promise<void>;

  listJobs(modelId?: string): Promise<JobSummary[]>;
  deleteJob(jobId: string): Promise<void>;

  /**
   * Returns a job's results as CSV in input order: for a CSV job, the input rows with
   * `prediction`, `probability`, `error` and `warning` appended; for an image job, `file`, `prediction`,
   * `probability`, `top3` and `error`.
   */
  exportResults(jobId: string): Promise<Blob>;

  metrics(): Promise<MetricsSnapshot>;

  /** Returns at once; the page's heartbeat uses it to notice a worker that stopped. */
  ping(): Promise<number>;

  /**
   * Simulates a failure, for tests and support: `webgpu-device-lost` destroys the WebGPU device,
   * `worker-crash` ends this worker as a crash would, and `storage-full` makes the next chunk
   * commit fail with a QuotaExceededError.
   */
  injectFault(kind: FaultKind): Promise<void>;
}

export type FaultKind = 'webgpu-device-lost' | 'worker-crash' | 'storage-full';
