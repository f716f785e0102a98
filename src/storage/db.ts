/**
 * The IndexedDB schema. Every migration lives in `upgrade`; the version number only goes up.
 * The worker is the only writer.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RowError } from '../shared/errors';
import type { JobSummary } from '../shared/protocol';

/** A stored job: the summary the UI sees plus what the worker needs to resume and export it. */
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
export interface ChunkRecord {
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
}

export interface TandemDB extends DBSchema {
  jobs: { key: string; value: JobRecord; indexes: { byModel: string } };
  /** Input files, kept so that a job can resume and export after a reload. */
  files: { key: string; value: { jobId: string; file: Blob } };
  chunks: { key: [string, number]; value: ChunkRecord };
}

export const databaseName = 'tandem';

export type Database = IDBPDatabase<TandemDB>;

export function openDatabase(name = databaseName): Promise<Database> {
  return openDB<TandemDB>(name, 1, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
        jobs.createIndex('byModel', 'modelId');
        db.createObjectStore('files', { keyPath: 'jobId' });
        db.createObjectStore('chunks', { keyPath: ['jobId', 'index'] });
      }
    },
  });
}
