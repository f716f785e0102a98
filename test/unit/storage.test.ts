import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type ChunkRecord, type Database, type JobRecord } from '../../src/storage/db';
import { commitChunk, deleteJob, getJob, getJobFile, insertJob, listJobs, mergeChunks, readChunks, toSummary, updateJob } from '../../src/storage/jobs';

const openDatabases: Database[] = [];
let databaseCount = 0;

/** Opens a fresh database with a name no other test uses. */
async function freshDatabase(): Promise<Database> {
  databaseCount += 1;
  const db = await openDatabase(`tandem-test-${databaseCount}-${Date.now()}`);
  openDatabases.push(db);
  return db;
}

afterEach(() => {
  for (const db of openDatabases.splice(0)) db.close();
});

function makeJob(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    modelId: 'churn-sha/wasm',
    modelName: 'churn',
    fileName: `${id}.csv`,
    fileSize: 12,
    status: 'running',
    rowsDone: 0,
    errorCount: 0,
    rowsTotal: null,
    createdAt: 1_000,
    updatedAt: 1_000,
    runMs: 0,
    cachedFrom: null,
    idColumn: 'customerID',
    labelColumn: 'Churn',
    evaluation: null,
    sampleErrors: [],
    message: null,
    fileHash: null,
    fileLastModified: 500,
    preprocessingKey: 'churn-v1',
    header: ['customerID', 'tenure', 'Churn'],
    chunkCount: 0,
    bytesDone: 0,
    ...overrides,
  };
}

function makeChunk(jobId: string, index: number, rowCount = 3): ChunkRecord {
  const firstRow = index * rowCount + 1;
  return {
    jobId,
    index,
    firstRow,
    rowCount,
    probabilities: Float32Array.from({ length: rowCount }, (_, i) => (firstRow + i) / 100),
    labels: Int8Array.from({ length: rowCount }, (_, i) => (i % 2 === 0 ? 1 : 0)),
    errors: [],
  };
}

async function collect(chunks: AsyncGenerator<ChunkRecord>): Promise<ChunkRecord[]> {
  const collected: ChunkRecord[] = [];
  for await (const chunk of chunks) collected.push(chunk);
  return collected;
}

describe('job storage', () => {
  it('round-trips job and file', async () => {
    const db = await freshDatabase();
    const job = makeJob('job-1');
    const contents = 'customerID,tenure,Churn\nC1,5,No\nC2,,Yes\n';

    await insertJob(db, job, new Blob([contents], { type: 'text/csv' }));
    const storedFile = await getJobFile(db, 'job-1');

    expect(await getJob(db, 'job-1')).toEqual(job);
    expect(storedFile).toBeInstanceOf(Blob);
    expect(await storedFile!.text()).toBe(contents);
    expect(storedFile!.type).toBe('text/csv');
  });

  it('stores job without file', async () => {
    const db = await freshDatabase();

    await insertJob(db, makeJob('job-1'), null);

    expect(await getJob(db, 'job-1')).toBeDefined();
    expect(await getJobFile(db, 'job-1')).toBeUndefined();
  });

  it('returns undefined for unknown job', async () => {
    const db = await freshDatabase();

    expect(await getJob(db, 'missing')).toBeUndefined();
  });

  it('updates stored job', async () => {
    const db = await freshDatabase();
    await insertJob(db, makeJob('job-1'), null);

    await updateJob(db, makeJob('job-1', { status: 'paused', rowsDone: 40 }));
    const stored = await getJob(db, 'job-1');

    expect(stored?.status).toBe('paused');
    expect(stored?.rowsDone).toBe(40);
  });

  it('commits chunk with checkpoint', async () => {
    const db = await freshDatabase();
    await insertJob(db, makeJob('job-1'), null);
    const chunk = makeChunk('job-1', 0);
    chunk.errors = [{ row: 2, column: 'tenure', value: 'abc', reason: '"tenure" must be a number', key: 'C2' }];
    chunk.probabilities[1] = NaN;

    await commitChunk(db, makeJob('job-1', { chunkCount: 1, rowsDone: 3, errorCount: 1, bytesDone: 40 }), chunk);
    const tx = db.transaction(['jobs', 'chunks']);
    const [storedJob, storedChunk] = await Promise.all([tx.objectStore('jobs').get('job-1'), tx.objectStore('chunks').get(['job-1', 0])]);

    expect(storedJob?.chunkCount).toBe(1);
    expect(storedJob?.rowsDone).toBe(3);
    expect(storedJob?.bytesDone).toBe(40);
    expect(storedChunk?.probabilities).toBeInstanceOf(Float32Array);
    expect(Array.from(storedChunk!.probabilities)).toEqual(Array.from(chunk.probabilities));
    expect(Array.from(storedChunk!.labels)).toEqual(Array.from(chunk.labels));
    expect(storedChunk?.errors).toEqual(chunk.errors);
  });

  it('merges consecutive chunks into one', () => {
    const first = makeChunk('job-1', 0);
    const second = makeChunk('job-1', 1);
    second.errors = [{ row: 5, column: 'tenure', value: 'x', reason: '"tenure" must be a number' }];
    second.probabilities[1] = NaN;

    const merged = mergeChunks([first, second], 'job-1', 4);

    expect(merged.index).toBe(4);
    expect(merged.firstRow).toBe(1);
    expect(merged.rowCount).toBe(6);
    expect(Array.from(merged.probabilities)).toEqual([...Array.from(first.probabilities), ...Array.from(second.probabilities)]);
    expect(Array.from(merged.labels)).toEqual([1, 0, 1, 1, 0, 1]);
    expect(merged.errors).toEqual(second.errors);
    expect(mergeChunks([second], 'job-1', 7)).toMatchObject({ index: 7, firstRow: 4, rowCount: 3 });
  });

  it('reads chunks in order', async () => {
    const db = await freshDatabase();
    await insertJob(db, makeJob('job-1'), null);
    // Committed out of order, so the order read back comes from the chunk numbers, not the insertion order.
    for (const index of [2, 0, 1]) await commitChunk(db, makeJob('job-1', { chunkCount: 3 }), makeChunk('job-1', index));

    const chunks = await collect(readChunks(db, 'job-1', 3));

    expect(chunks.map((chunk) => chunk.index)).toEqual([0, 1, 2]);
    expect(chunks.map((chunk) => chunk.firstRow)).toEqual([1, 4, 7]);
  });

  it('reads only requested chunk count', async () => {
    const db = await freshDatabase();
    for (const index of [0, 1, 2]) await commitChunk(db, makeJob('job-1', { chunkCount: index + 1 }), makeChunk('job-1', index));

    expect(await collect(readChunks(db, 'job-1', 2))).toHaveLength(2);
  });

  it('names missing chunk index', async () => {
    const db = await freshDatabase();
    for (const index of [0, 2]) await commitChunk(db, makeJob('job-1', { chunkCount: 3 }), makeChunk('job-1', index));

    const read: number[] = [];
    const reading = (async () => {
      for await (const chunk of readChunks(db, 'job-1', 3)) read.push(chunk.index);
    })();

    await expect(reading).rejects.toThrow('Chunk 1 of job job-1 is missing');
    expect(read).toEqual([0]);
  });

  it('deletes job, file and chunks', async () => {
    const db = await freshDatabase();
    await insertJob(db, makeJob('job-1'), new Blob(['a,b\n1,2\n']));
    for (const index of [0, 1]) await commitChunk(db, makeJob('job-1', { chunkCount: 2 }), makeChunk('job-1', index));

    await deleteJob(db, 'job-1');

    expect(await getJob(db, 'job-1')).toBeUndefined();
    expect(await getJobFile(db, 'job-1')).toBeUndefined();
    expect(await db.count('chunks')).toBe(0);
  });

  it('keeps other jobs on delete', async () => {
    const db = await freshDatabase();
    for (const id of ['job-1', 'job-10']) {
      await insertJob(db, makeJob(id), new Blob([id]));
      await commitChunk(db, makeJob(id, { chunkCount: 1 }), makeChunk(id, 0));
    }

    await deleteJob(db, 'job-1');

    expect(await getJob(db, 'job-10')).toBeDefined();
    expect(await getJobFile(db, 'job-10')).toBeDefined();
    expect(await collect(readChunks(db, 'job-10', 1))).toHaveLength(1);
  });

  it('lists jobs newest first', async () => {
    const db = await freshDatabase();
    await insertJob(db, makeJob('old', { createdAt: 100 }), null);
    await insertJob(db, makeJob('new', { createdAt: 300 }), null);
    await insertJob(db, makeJob('middle', { createdAt: 200, modelId: 'other/wasm' }), null);

    const jobs = await listJobs(db);

    expect(jobs.map((job) => job.id)).toEqual(['new', 'middle', 'old']);
  });

  it('filters listed jobs by model', async () => {
    const db = await freshDatabase();
    await insertJob(db, makeJob('a', { createdAt: 100, modelId: 'churn/wasm' }), null);
    await insertJob(db, makeJob('b', { createdAt: 300, modelId: 'churn/wasm' }), null);
    await insertJob(db, makeJob('c', { createdAt: 200, modelId: 'fashion/webgpu' }), null);

    expect((await listJobs(db, 'churn/wasm')).map((job) => job.id)).toEqual(['b', 'a']);
    expect((await listJobs(db, 'fashion/webgpu')).map((job) => job.id)).toEqual(['c']);
    expect(await listJobs(db, 'unknown/wasm')).toEqual([]);
  });

  it('strips storage fields from summary', () => {
    const summary = toSummary(makeJob('job-1', { fileHash: 'ab', chunkCount: 4 }));

    for (const field of ['fileHash', 'fileLastModified', 'preprocessingKey', 'header', 'chunkCount', 'bytesDone']) {
      expect(summary, field).not.toHaveProperty(field);
    }
    expect(summary.id).toBe('job-1');
    expect(summary.labelColumn).toBe('Churn');
  });
});
