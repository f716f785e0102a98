/**
 * Types that cross the worker boundary. The worker's API object (`src/worker/api.ts`) is typed
 * with these, and the main thread imports only these and that API type.
 */
import type { RowError } from './errors';
import type { Evaluation } from './evaluation';
import type { ModelDetails } from './derive-manifest';
import type { ModelManifest } from './manifest';
import type { RangeWarning } from './tabular';

export type BackendName = 'webgpu' | 'wasm';
export type BackendPreference = 'auto' | BackendName;

export interface ModelInfo {
  /** The session's key, `<sha256>/<backend>`: one model can be loaded on both backends. */
  id: string;
  /** The model file's SHA-256: part of the key of every cached result. */
  sha256: string;
  manifestUrl: string;
  manifest: ModelManifest;
  backend: BackendName;
  /** The reason this backend runs the model, in a sentence for the UI. */
  backendReason: string;
  inputNames: string[];
  outputNames: string[];
  loadMs: number;
  /** The metadata the model file records about itself, for the model info panel, or null when the file cannot be read. */
  details?: ModelDetails | null;
}

export interface TabularPrediction {
  /**
   * Probability of the positive class (for churn: churn = Yes); for a multi-class model, the
   * probability of the predicted class; for a regression, the predicted value.
   */
  probability: number;
  label: string;
  /** For a multi-class model: every class's probability, in the manifest's label order. */
  classes?: ClassProbability[];
  /** The record's numbers outside their manifest range: the model extrapolates for them. Empty when none. */
  rangeWarnings: RangeWarning[];
  backend: BackendName;
  /** Time waiting behind other work in the worker, in milliseconds. */
  queueMs: number;
  /** Time to encode and run the model, in milliseconds. */
  computeMs: number;
}

export type JobStatus = 'queued' | 'running' | 'paused' | 'interrupted' | 'completed' | 'failed' | 'cancelled';

/** A batch job as the UI shows it: the stored record without the input file. */
export interface JobSummary {
  id: string;
  /** `tabular` for a CSV file, `image` for images and zip files. Jobs stored before images existed have none. */
  kind?: 'tabular' | 'image';
  modelId: string;
  modelName: string;
  fileName: string;
  fileSize: number;
  status: JobStatus;
  /** Data rows read so far, good and bad; the checkpoint a resumed job continues from. */
  rowsDone: number;
  /** Rows whose result is an error instead of a prediction. */
  errorCount: number;
  /**
   * Rows scored with a warning: a number outside the model's range. Absent in jobs stored before
   * range warnings, and for image jobs.
   */
  warningCount?: number;
  /** Rows in the whole file, once it has been read to the end. */
  rowsTotal: number | null;
  createdAt: number;
  updatedAt: number;
  /** Milliseconds spent running, summed over resumes. */
  runMs: number;
  /** Set when the results were copied from an earlier job on the same file and model. */
  cachedFrom: string | null;
  idColumn: string | null;
  labelColumn: string | null;
  evaluation: Evaluation | null;
  /** The first few row errors, for display; the export has all of them. */
  sampleErrors: RowError[];
  /** A file-level failure message, when status is `failed`. */
  message: string | null;
  /** The settings a CSV file is read with, detected or chosen. Absent for image jobs. */
  dialect?: CsvReadSettings;
}

/** The delimiter, encoding and decimal mark a CSV file is read with. */
export interface CsvReadSettings {
  delimiter: string;
  /** A WHATWG encoding label, such as `utf-8`, `utf-16le` or `windows-1252`. */
  encoding: string;
  decimal: '.' | ',';
}

export interface JobProgress {
  jobId: string;
  status: JobStatus;
  rowsDone: number;
  errorCount: number;
  bytesDone: number;
  bytesTotal: number;
  /** Estimated total rows from the bytes read so far; exact once the file is read. */
  rowsTotalEstimate: number | null;
  rowsPerSecond: number;
  secondsLeft: number | null;
}

export interface LaneMetrics {
  requests: number;
  rows: number;
  queueMs: { p50: number; p95: number; p99: number };
  computeMs: { p50: number; p95: number; p99: number };
  requestsPerSecond: number;
  rowsPerSecond: number;
  averageBatchSize: number;
}

export interface MetricsSnapshot {
  backend: BackendName | null;
  realtime: LaneMetrics;
  batch: LaneMetrics;
}

export interface ClassProbability {
  label: string;
  probability: number;
}

export interface ImagePrediction {
  /** The most probable classes, most probable first. */
  top: ClassProbability[];
  /** The model's raw outputs, one per label in manifest order. */
  logits: number[];
  /** The image the model saw, `previewWidth` x `previewHeight`, 0-255: one gray value or an RGB triple a pixel. */
  preview: Uint8ClampedArray;
  previewWidth: number;
  previewHeight: number;
  backend: BackendName;
  queueMs: number;
  computeMs: number;
}

/** One row of an image job's results, as the results grid shows it. */
export interface ImageResultRow {
  /** 1-based position in the input. */
  row: number;
  name: string;
  prediction: string | null;
  probability: number | null;
  top: ClassProbability[];
  error: string | null;
  /** The image the model saw, `previewWidth` x `previewHeight` gray values or RGB triples, or null for an error row. */
  preview: Uint8Array | null;
  previewWidth: number;
  previewHeight: number;
}

export interface ImageResultQuery {
  offset: number;
  limit: number;
  /** Only rows predicted as this label. */
  label?: string;
  /** Only rows whose top probability is below this value. */
  maxProbability?: number;
  /** Only rows with an error. */
  errorsOnly?: boolean;
}

export interface ImageResultPage {
  /** Rows matching the query in the whole job. */
  total: number;
  rows: ImageResultRow[];
}
