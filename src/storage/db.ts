/**
 * The IndexedDB schema. Every migration lives in `upgrade`; the version number only goes up.
 * The worker is the only writer.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RowError, RowWarning } from '../shared/errors';
import type { ModelManifest } from '../shared/manifest';
import type { JobSummary } from '../shared/protocol';

/** A stored job: the summary the UI shows plus what the worker needs to resume and export it. */
export interface JobRecord extends JobSummary {
  /** Lower-case SHA-256 of the input file, computed only when another job's file has the same size. */
  fileHash: string | null;
  fileLastModified: number;
  /** Identifies the preprocessing: results are reused only when the model and this match. */
  preprocessingKey: string;
  /** The file's header row, as read. */
  header: string[];
  /** Chunks committed so far; chunk `i` is stored under [id, i]. */
  chunkCount: number;
  /** Bytes of the file read so far, for progress. */
  bytesDone: number;
}

/** Results for a run of consecutive rows, committed with the job's checkpoint in one transaction. */
export interface ChunkRecord extends Partial<ImageChunkFields> {
  jobId: string;
  index: number;
  /** 1-based data row number of the chunk's first row. */
  firstRow: number;
  rowCount: number;
  /** One per row: probability of the positive class, or NaN where the row has an error. */
  probabilities: Float32Array;
  /** One per row: 1 or 0 from the label column, or -1 where the file has no usable label. */
  labels: Int8Array;
  errors: RowError[];
  /** Rows scored with a caveat. Absent when there is none, and in jobs stored before range warnings. */
  warnings?: RowWarning[];
  /** One per row of a tabular multi-class job: the predicted class index, or -1 for an error row. */
  classIndices?: Int16Array;
}

/** The extra per-row results of an image job's chunk. */
export interface ImageChunkFields {
  /** One per row: the file name, with its folder inside a zip. */
  names: string[];
  /** Three per row: the class indices of the top three classes, most probable first (-1 for an error row). */
  topIndices: Int16Array;
  /** Three per row: their probabilities. */
  topProbabilities: Float32Array;
  /** One small grayscale image per row (the model's input size): what the model saw. */
  previews: Uint8Array;
  /** One per row: the lower-case SHA-256 of the image file, or '' for an error row. Absent in jobs stored before version 5. */
  hashes?: string[];
}

/** A cached image result, keyed by model, preprocessing and the image file's SHA-256. */
export interface ImageResultRecord {
  key: [string, string, string];
  topIndices: number[];
  topProbabilities: number[];
  preview: Uint8Array;
  /**
   * The model's `embedding` output for the image, for models that have one. Entries stored before
   * version 5 lack it and count as a cache miss for such a model.
   */
  embedding?: Float32Array;
}

/** One product of a catalogue: an image whose embedding is stored in `imageResults`. */
export interface CatalogueItem {
  /** The file name, with its folder inside a zip. */
  name: string;
  /** Lower-case SHA-256 of the image file: with the model and preprocessing, the key of its embedding. */
  hash: string;
  /** The class with the highest probability. */
  category: string;
  /** The image the model saw, grayscale at the model's input size. */
  preview: Uint8Array;
  /** The photo's URL for pages to show, when the catalogue was made from URLs. */
  url?: string;
}

/** A named set of products to search for similar ones, kept so the search index can be rebuilt after a reload. */
export interface CatalogueRecord {
  id: string;
  name: string;
  /** The model file's SHA-256. */
  modelId: string;
  preprocessingKey: string;
  createdAt: number;
  /** The image job the catalogue was embedded by; the job may since have been deleted. */
  jobId: string;
  items: CatalogueItem[];
  /** Set when the catalogue was made with the approximate index forced; absent means `auto`. */
  search?: 'approximate';
}

export interface StoredFiles {
  jobId: string;
  /** The input of a CSV job. */
  file?: Blob;
  /** The inputs of an image job: images and zip files, in input order. */
  files?: File[];
}

export interface TandemDB extends DBSchema {
  jobs: { key: string; value: JobRecord; indexes: { byModel: string } };
  /** Input files, kept so that a job can resume and export after a reload. */
  files: { key: string; value: StoredFiles };
  chunks: { key: [string, number]; value: ChunkRecord };
  imageResults: { key: [string, string, string]; value: ImageResultRecord };
  /** The backend `auto` chose for a model on this device, so later loads skip the timing. */
  backendChoices: { key: string; value: BackendChoiceRecord };
  /** Models the user opened from a file or URL, so that a reload keeps them and their jobs resume. */
  models: { key: string; value: StoredModelRecord };
  /** Catalogues for similar-product search, by id. */
  catalogues: { key: string; value: CatalogueRecord; indexes: { byModel: string } };
}

export interface StoredModelRecord {
  /** The model file's SHA-256, lower-case hex. */
  sha256: string;
  fileName: string;
  /** The model file as opened. */
  bytes: Blob;
  /** The manifest it came with, or the one derived from it, with the user's changes. */
  manifest: ModelManifest;
  manifestSource: 'manifest' | 'derived';
  /** The derivation notes of the manifest, for the model info panel. */
  notes: string[];
  savedAt: number;
}

export interface BackendChoiceRecord {
  /** The model file's SHA-256. */
  modelSha256: string;
  backend: 'webgpu' | 'wasm';
  reason: string;
  decidedAt: number;
  /** The browser and device the timing ran on; a different one times again. */
  device: string;
}

export const databaseName = 'tandem';

export type Database = IDBPDatabase<TandemDB>;

export function openDatabase(name = databaseName): Promise<Database> {
  return openDB<TandemDB>(name, 5, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
        jobs.createIndex('byModel', 'modelId');
        db.createObjectStore('files', { keyPath: 'jobId' });
        db.createObjectStore('chunks', { keyPath: ['jobId', 'index'] });
      }
      if (oldVersion < 2) {
        db.createObjectStore('imageResults', { keyPath: 'key' });
      }
      if (oldVersion < 3) {
        db.createObjectStore('backendChoices', { keyPath: 'modelSha256' });
      }
      if (oldVersion < 4) {
        db.createObjectStore('models', { keyPath: 'sha256' });
      }
      if (oldVersion < 5) {
        // Version 5 adds catalogues; image results and chunks gain optional fields, so stored data stays valid.
        db.createObjectStore('catalogues', { keyPath: 'id' }).createIndex('byModel', 'modelId');
      }
    },
    // A newer version of the app in another tab needs this connection closed to upgrade.
    blocking(_currentVersion, _blockedVersion, event) {
      (event.target as IDBDatabase).close();
    },
  });
}
