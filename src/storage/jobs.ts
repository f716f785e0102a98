/** Reads and writes of batch jobs, their input files and their result chunks. */
import type { RowError } from '../shared/errors';
import type { JobSummary } from '../shared/protocol';
import type { ChunkRecord, Database, ImageResultRecord, JobRecord } from './db';

export function toSummary(job: JobRecord): JobSummary {
  const { fileHash: _hash, fileLastModified: _modified, preprocessingKey: _key, header: _header, chunkCount: _chunks, bytesDone: _bytes, ...summary } = job;
  return summary;
}

/** Stores a new job and its input file (or files, for an image job) in one transaction. */
export async function insertJob(db: Database, job: JobRecord, input: Blob | File[] | null): Promise<void> {
  const tx = db.transaction(['jobs', 'files'], 'readwrite');
  const stored = input === null ? undefined : Array.isArray(input) ? { jobId: job.id, files: input } : { jobId: job.id, file: input };
  await Promise.all([tx.objectStore('jobs').put(job), stored ? tx.objectStore('files').put(stored) : undefined, tx.done]);
}

export async function updateJob(db: Database, job: JobRecord): Promise<void> {
  await db.put('jobs', job);
}

export function getJob(db: Database, jobId: string): Promise<JobRecord | undefined> {
  return db.get('jobs', jobId);
}

export async function getJobFile(db: Database, jobId: string): Promise<Blob | undefined> {
  return (await db.get('files', jobId))?.file;
}

export async function getJobFiles(db: Database, jobId: string): Promise<File[] | undefined> {
  return (await db.get('files', jobId))?.files;
}

/** Returns the jobs of one model, or of every model, newest first. */
export async function listJobs(db: Database, modelId?: string): Promise<JobRecord[]> {
  const jobs = modelId ? await db.getAllFromIndex('jobs', 'byModel', modelId) : await db.getAll('jobs');
  return jobs.sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * Commits one chunk of results and the job's new checkpoint in the same transaction, so that after
 * a crash the stored results and the checkpoint always agree: no row is lost or scored twice.
 */
export async function commitChunk(db: Database, job: JobRecord, chunk: ChunkRecord, imageResults: readonly ImageResultRecord[] = []): Promise<void> {
  const tx = db.transaction(['jobs', 'chunks', 'imageResults'], 'readwrite');
  const cache = tx.objectStore('imageResults');
  await Promise.all([tx.objectStore('chunks').put(chunk), tx.objectStore('jobs').put(job), ...imageResults.map((result) => cache.put(result)), tx.done]);
}

/** Looks up many cached image results in one transaction; the result has one entry per key. */
export async function getImageResults(db: Database, keys: readonly [string, string, string][]): Promise<(ImageResultRecord | undefined)[]> {
  if (keys.length === 0) return [];
  const tx = db.transaction('imageResults', 'readonly');
  const results = await Promise.all(keys.map((key) => tx.store.get(key)));
  await tx.done;
  return results;
}

/** Yields a job's chunks in row order, one at a time, so a large job is never held whole. */
export async function* readChunks(db: Database, jobId: string, chunkCount: number): AsyncGenerator<ChunkRecord> {
  for (let index = 0; index < chunkCount; index++) {
    const chunk = await db.get('chunks', [jobId, index]);
    if (!chunk) throw new Error(`Chunk ${index} of job ${jobId} is missing from storage.`);
    yield chunk;
  }
}

/** Deletes a job with its file and chunks. */
export async function deleteJob(db: Database, jobId: string): Promise<void> {
  const tx = db.transaction(['jobs', 'files', 'chunks'], 'readwrite');
  const range = IDBKeyRange.bound([jobId, 0], [jobId, Infinity]);
  await Promise.all([
    tx.objectStore('jobs').delete(jobId),
    tx.objectStore('files').delete(jobId),
    tx.objectStore('chunks').delete(range),
    tx.done,
  ]);
}

/** Joins consecutive scored chunks of a CSV job into one record stored as chunk `index`. */
export function mergeChunks(chunks: readonly ChunkRecord[], jobId: string, index: number): ChunkRecord {
  if (chunks.length === 1) return { ...chunks[0]!, jobId, index };
  let rowCount = 0;
  for (const chunk of chunks) rowCount += chunk.rowCount;
  const probabilities = new Float32Array(rowCount);
  const labels = new Int8Array(rowCount);
  const errors: RowError[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    probabilities.set(chunk.probabilities, offset);
    labels.set(chunk.labels, offset);
    errors.push(...chunk.errors);
    offset += chunk.rowCount;
  }
  return { jobId, index, firstRow: chunks[0]!.firstRow, rowCount, probabilities, labels, errors };
}
