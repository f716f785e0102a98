/**
 * Batch jobs: a CSV file read as a stream, encoded, scored on the scheduler's batch lane and
 * committed to IndexedDB chunk by chunk, each chunk in one transaction with the job's checkpoint.
 * A job that stops for any reason resumes from its checkpoint with no row lost or scored twice.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import { matchColumns, type ColumnMapping } from '../shared/columns';
import { InvalidValueError, TandemError, describeError, type RowError, type RowWarning } from '../shared/errors';
import { evaluate } from '../shared/evaluation';
import { hashBlob } from '../shared/hash';
import { createLogger } from '../shared/logger';
import type { JobProgress, JobStatus } from '../shared/protocol';
import { describeRangeWarning, labelParser } from '../shared/tabular';
import type { ChunkRecord, Database, ImageResultRecord, JobRecord } from '../storage/db';
import { commitChunk, getJob, getJobFile, getJobFiles, insertJob, listJobs, mergeChunks, readChunks, updateJob } from '../storage/jobs';
import { ChunkBudget, yieldToEventLoop } from './chunk-budget';
import { readImageChunks, scoreImageEntries } from './image-job';
import { imageSpecOf } from './image-run';
import { getModel, type LoadedModel } from './models';
import { type CsvDialect, type CsvReadOptions } from './readers/csv';
import { isJsonLinesName, jsonLinesDelimiter, readTable } from './readers/jsonl';
import type { Scheduler } from './scheduler';
import { scoreEncodedRows } from './tabular-run';

const log = createLogger('job');

/** Row errors kept on the job record for display; the chunks hold all of them. */
const sampleErrorLimit = 20;
const progressIntervalMs = 100;
/**
 * A CSV job commits its results and checkpoint about this often, in one transaction that contains
 * the reader chunks scored since the last commit. Fewer, larger transactions cost less than one
 * per reader chunk, and a crash loses at most this much work.
 */
const commitIntervalMs = 100;
/** A commit also starts once this many rows wait for one, which bounds the memory they hold. */
const commitMaxRows = 65_536;

type StopRequest = 'pause' | 'cancel';

function lockName(jobId: string): string {
  return `tandem-job-${jobId}`;
}

/** Names an image batch: the file, the folder all files share, or a count. */
function batchName(files: readonly File[]): string {
  if (files.length === 1) return files[0]!.name;
  const folders = new Set(files.map((file) => file.webkitRelativePath.split('/')[0] ?? ''));
  const [folder] = folders;
  return folders.size === 1 && folder ? `${folder} (${files.length} files)` : `${files.length} files`;
}

function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

function modelLockName(modelSha256: string): string {
  return `tandem-model-${modelSha256}`;
}

function newJobId(): string {
  return crypto.randomUUID();
}

/** Reads the header row of a CSV file and the dialect it was read with. */
async function readHeader(file: Blob, options: CsvReadOptions): Promise<{ header: string[]; dialect: CsvDialect } | null> {
  for await (const chunk of readTable(file, options)) return chunk.rows[0] ? { header: chunk.rows[0], dialect: chunk.dialect } : null;
  return null;
}

/** Returns the read options a job was created with. Detection fills in whatever is not forced. */
function readOptionsOf(job: JobRecord): CsvReadOptions {
  return job.dialect ? { delimiter: job.dialect.delimiter, encoding: job.dialect.encoding, decimal: job.dialect.decimal } : {};
}

function tabularOf(model: LoadedModel) {
  const tabular = model.manifest.tabular;
  if (!tabular || !model.encoder) {
    throw new TandemError('invalid-input', `The model "${model.manifest.name}" takes images; choose a folder or zip of images for it, not a CSV file.`);
  }
  return { tabular, encoder: model.encoder };
}

export class JobManager {
  private readonly stopRequests = new Map<string, StopRequest>();
  private storageFull = false;

  constructor(
    private readonly db: Database,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Stores `file` as a new job for `model`. When a completed job already scored a file with the
   * same bytes on the same model and preprocessing, its results are copied and the new job is
   * returned completed, with `cachedFrom` set, and no inference runs.
   */
  async create(model: LoadedModel, file: File, options: CsvReadOptions = {}): Promise<JobRecord> {
    const { tabular } = tabularOf(model);
    if (isJsonLinesName(file.name) && options.delimiter === undefined) options = { ...options, delimiter: jsonLinesDelimiter };
    const read = await readHeader(file, options);
    if (!read) throw new TandemError('empty-file', `The file "${file.name}" is empty. Choose a CSV file with a header row and at least one data row.`);
    const { header, dialect } = read;
    const mapping = matchColumns(header, tabular);

    const now = Date.now();
    const job: JobRecord = {
      id: newJobId(),
      kind: 'tabular',
      modelId: model.info.sha256,
      modelName: model.manifest.name,
      fileName: file.name,
      fileSize: file.size,
      fileLastModified: file.lastModified,
      fileHash: null,
      preprocessingKey: model.preprocessingKey,
      header,
      dialect: { delimiter: dialect.delimiter, encoding: dialect.encoding, decimal: dialect.decimal },
      status: 'queued',
      rowsDone: 0,
      errorCount: 0,
      warningCount: 0,
      rowsTotal: null,
      createdAt: now,
      updatedAt: now,
      runMs: 0,
      cachedFrom: null,
      idColumn: mapping.idColumn >= 0 ? header[mapping.idColumn]! : null,
      labelColumn: mapping.labelColumn >= 0 ? header[mapping.labelColumn]! : null,
      evaluation: null,
      sampleErrors: [],
      message: mapping.positionWarning ?? null,
      chunkCount: 0,
      bytesDone: 0,
    };

    const cached = await this.findCachedResults(job, file);
    if (cached) return this.copyResults(cached, job, file);

    await insertJob(this.db, job, file);
    log.info(`created job ${job.id} for ${file.name} (${file.size} bytes)`);
    return job;
  }

  /**
   * Stores images and zip files as a new image job. Identical images are served from the image
   * cache while the job runs, so no job-level cache lookup is needed here.
   */
  async createImages(model: LoadedModel, files: File[]): Promise<JobRecord> {
    imageSpecOf(model);
    if (files.length === 0) throw new TandemError('empty-file', 'No files were chosen. Choose images, a folder of images or a zip file.');
    const now = Date.now();
    const job: JobRecord = {
      id: newJobId(),
      kind: 'image',
      modelId: model.info.sha256,
      modelName: model.manifest.name,
      fileName: batchName(files),
      fileSize: files.reduce((sum, file) => sum + file.size, 0),
      fileLastModified: Math.max(...files.map((file) => file.lastModified)),
      fileHash: null,
      preprocessingKey: model.preprocessingKey,
      header: ['file'],
      status: 'queued',
      rowsDone: 0,
      errorCount: 0,
      rowsTotal: null,
      createdAt: now,
      updatedAt: now,
      runMs: 0,
      cachedFrom: null,
      idColumn: 'file',
      labelColumn: null,
      evaluation: null,
      sampleErrors: [],
      message: null,
      chunkCount: 0,
      bytesDone: 0,
    };
    await insertJob(this.db, job, files);
    log.info(`created image job ${job.id} for ${job.fileName} (${job.fileSize} bytes)`);
    return job;
  }

  /** Runs or resumes a job in this tab; rejects with `job-busy` when another tab is running it. */
  async run(jobId: string, onProgress: (progress: JobProgress) => void): Promise<JobRecord> {
    const result = await navigator.locks.request(lockName(jobId), { ifAvailable: true }, async (lock) => {
      if (!lock) return null;
      const job = await this.get(jobId);
      // One job at a time per model, in this tab and across tabs: a later job waits here, queued.
      return navigator.locks.request(modelLockName(job.modelId), () => this.runLocked(jobId, onProgress));
    });
    if (!result) {
      throw new TandemError('job-busy', 'This job is already running in another tab or window. Its progress shows there; wait for it to finish.');
    }
    return result;
  }

  /** Makes the next chunk commit fail as a full quota would: fault injection for tests and support. */
  simulateFullStorage(): void {
    this.storageFull = true;
  }

  private async commit(job: JobRecord, chunk: ChunkRecord, cacheEntries: ImageResultRecord[] = []): Promise<void> {
    if (this.storageFull) {
      this.storageFull = false;
      throw new DOMException('The quota was exceeded (simulated).', 'QuotaExceededError');
    }
    await commitChunk(this.db, job, chunk, cacheEntries);
  }

  requestStop(jobId: string, request: StopRequest): void {
    this.stopRequests.set(jobId, request);
  }

  /**
   * Lists jobs newest first. A job stored as running whose lock no tab holds was stopped by a
   * crash, a reload or a closed tab, so it is marked `interrupted` and the UI offers to resume it.
   */
  async list(modelSha256?: string): Promise<JobRecord[]> {
    const jobs = await listJobs(this.db, modelSha256);
    const held = new Set(((await navigator.locks.query()).held ?? []).map((lock) => lock.name));
    for (const job of jobs) {
      if ((job.status === 'running' || job.status === 'queued') && !held.has(lockName(job.id)) && job.rowsDone > 0) {
        job.status = 'interrupted';
        await updateJob(this.db, job);
      }
    }
    return jobs;
  }

  async get(jobId: string): Promise<JobRecord> {
    const job = await getJob(this.db, jobId);
    if (!job) throw new TandemError('job-not-found', `No job with id ${jobId} is stored. It may have been deleted.`);
    return job;
  }

  private async findCachedResults(job: JobRecord, file: Blob): Promise<JobRecord | null> {
    const candidates = (await listJobs(this.db, job.modelId)).filter(
      (other) =>
        other.status === 'completed' &&
        other.preprocessingKey === job.preprocessingKey &&
        other.fileSize === job.fileSize &&
        JSON.stringify(other.dialect ?? null) === JSON.stringify(job.dialect ?? null),
    );
    if (candidates.length === 0) return null;

    // Hashing reads the whole file, so it happens only when a stored file has the same size.
    job.fileHash = await hashBlob(file);
    for (const candidate of candidates) {
      if (candidate.fileHash === null) {
        const stored = await getJobFile(this.db, candidate.id);
        if (!stored) continue;
        candidate.fileHash = await hashBlob(stored);
        await updateJob(this.db, candidate);
      }
      if (candidate.fileHash === job.fileHash) return candidate;
    }
    return null;
  }

  private async copyResults(source: JobRecord, job: JobRecord, file: Blob): Promise<JobRecord> {
    const copy: JobRecord = {
      ...source,
      id: job.id,
      fileName: job.fileName,
      fileLastModified: job.fileLastModified,
      fileHash: job.fileHash,
      createdAt: job.createdAt,
      updatedAt: job.createdAt,
      runMs: 0,
      cachedFrom: source.id,
      chunkCount: 0,
    };
    copy.status = 'running';
    await insertJob(this.db, copy, file);
    for await (const chunk of readChunks(this.db, source.id, source.chunkCount)) {
      copy.chunkCount = chunk.index + 1;
      await commitChunk(this.db, copy, { ...chunk, jobId: copy.id });
    }
    copy.status = 'completed';
    await updateJob(this.db, copy);
    log.info(`job ${copy.id} reuses the results of job ${source.id}: same file and model`);
    return copy;
  }

  private async runLocked(jobId: string, onProgress: (progress: JobProgress) => void): Promise<JobRecord> {
    const job = await this.get(jobId);
    if (job.status === 'completed' || job.status === 'cancelled' || job.status === 'failed') return job;
    this.stopRequests.delete(jobId);

    const model = getModel(job.modelId);
    const input = job.kind === 'image' ? await getJobFiles(this.db, jobId) : await getJobFile(this.db, jobId);
    if (!input) return this.fail(job, 'The input files of this job are no longer stored. Score the files again.');

    job.status = 'running';
    await updateJob(this.db, job);
    log.info(`job ${job.id} ${job.rowsDone > 0 ? `resumes after row ${job.rowsDone}` : 'starts'}`);

    const reporter = new ProgressReporter(job, job.fileSize, onProgress);
    try {
      const stopped = Array.isArray(input)
        ? await this.scoreImages(job, input, model, reporter)
        : await this.scoreFile(job, input, model, matchColumns(job.header, tabularOf(model).tabular), reporter);
      if (stopped) return this.stop(job, stopped, reporter);
    } catch (error) {
      // The job in memory may be ahead of its last committed chunk: go back to the stored checkpoint.
      Object.assign(job, await this.get(job.id));
      if (isQuotaError(error)) {
        log.error(`job ${job.id} paused: storage is full after row ${job.rowsDone}`, error);
        return this.pauseForStorage(job, reporter);
      }
      log.error(`job ${job.id} failed`, error);
      const message = error instanceof TandemError ? error.message : `Scoring stopped at row ${job.rowsDone + 1}: ${describeError(error)}`;
      return this.fail(job, message, reporter);
    }

    if (job.rowsDone === 0) {
      const message =
        job.kind === 'image'
          ? `"${job.fileName}" contains no files. Choose images, a folder of images or a zip file of images.`
          : `The file "${job.fileName}" has a header but no data rows. Add rows below the header and score it again.`;
      return this.fail(job, message, reporter);
    }
    job.rowsTotal = job.rowsDone;
    job.evaluation = await this.evaluate(job, model);
    job.status = 'completed';
    job.updatedAt = Date.now();
    await updateJob(this.db, job);
    reporter.report(true);
    log.info(`job ${job.id} completed: ${job.rowsDone} rows, ${job.errorCount} row errors`);
    return job;
  }

  /** Scores the images after the checkpoint; returns a stop request if one came. */
  private async scoreImages(job: JobRecord, files: File[], model: LoadedModel, reporter: ProgressReporter): Promise<StopRequest | null> {
    const budget = new ChunkBudget();
    let runStarted = performance.now();
    for await (const { entries, firstRow } of readImageChunks(files, job.rowsDone)) {
      const stop = this.stopRequests.get(job.id);
      if (stop) return stop;

      const { chunk, cacheEntries } = await scoreImageEntries(this.db, this.scheduler, job, model, entries, firstRow, budget);
      const now = performance.now();
      job.rowsDone = firstRow + entries.length - 1;
      job.errorCount += chunk.errors.length;
      job.chunkCount += 1;
      job.bytesDone += entries.reduce((sum, entry) => sum + (entry.data?.size ?? 0), 0);
      job.runMs += now - runStarted;
      job.updatedAt = Date.now();
      runStarted = now;
      if (job.sampleErrors.length < sampleErrorLimit) job.sampleErrors.push(...chunk.errors.slice(0, sampleErrorLimit - job.sampleErrors.length));
      await this.commit(job, chunk, cacheEntries);
      reporter.report(false);
    }
    return null;
  }

  /** Streams the rows after the checkpoint through the model; returns a stop request if one came. */
  private async scoreFile(job: JobRecord, file: Blob, model: LoadedModel, mapping: ColumnMapping, reporter: ProgressReporter): Promise<StopRequest | null> {
    const budget = new ChunkBudget();
    const commits = new ChunkCommits(job, (record) => this.commit(job, record), (committed) => reporter.report(false, committed));
    let rowsSeen = 0;
    let headerSkipped = false;
    let runStarted = performance.now();

    try {
      for await (const csv of readTable(file, readOptionsOf(job))) {
        const stop = this.stopRequests.get(job.id);
        if (stop) {
          await commits.flush();
          return stop;
        }

        let skipped = 0;
        if (!headerSkipped) {
          skipped = 1;
          headerSkipped = true;
        }
        // On resume, rows up to the checkpoint already have stored results.
        const alreadyDone = Math.max(0, Math.min(csv.rows.length - skipped, job.rowsDone - rowsSeen));
        rowsSeen += alreadyDone;
        skipped += alreadyDone;
        const rows = skipped > 0 ? csv.rows.slice(skipped) : csv.rows;
        if (rows.length === 0) continue;
        const problems = new Map<number, string>();
        for (const [index, problem] of csv.problems) if (index >= skipped) problems.set(index - skipped, problem);
        const missingKeys = new Map<number, string[]>();
        for (const [index, keys] of csv.missingKeys ?? []) if (index >= skipped) missingKeys.set(index - skipped, keys);

        const chunk = await this.scoreRows(job, model, mapping, rows, problems, csv.dialect.decimal, rowsSeen + 1, budget, missingKeys);
        rowsSeen += rows.length;

        const now = performance.now();
        job.rowsDone = rowsSeen;
        job.errorCount += chunk.errors.length;
        job.warningCount = (job.warningCount ?? 0) + (chunk.warnings?.length ?? 0);
        job.bytesDone = csv.bytesRead;
        job.runMs += now - runStarted;
        job.updatedAt = Date.now();
        runStarted = now;
        if (job.sampleErrors.length < sampleErrorLimit) job.sampleErrors.push(...chunk.errors.slice(0, sampleErrorLimit - job.sampleErrors.length));
        await commits.add(chunk);
      }
      await commits.flush();
    } catch (error) {
      // The caller goes back to the stored checkpoint, so a commit still running must land first.
      await commits.settle();
      throw error;
    }
    return null;
  }

  /** Encodes and scores one chunk of rows; bad rows get a {@link RowError} and the rest their results. */
  private async scoreRows(
    job: JobRecord,
    model: LoadedModel,
    mapping: ColumnMapping,
    rows: string[][],
    problems: Map<number, string>,
    decimal: CsvDialect['decimal'],
    firstRow: number,
    budget: ChunkBudget,
    missingKeys: Map<number, string[]> = new Map(),
  ): Promise<ChunkRecord> {
    const { tabular, encoder } = tabularOf(model);
    const width = encoder.width;
    const count = rows.length;
    const probabilities = new Float32Array(count).fill(NaN);
    const labels = new Int8Array(count).fill(-1);
    const classIndices = new Int16Array(count).fill(-1);
    let hasClasses = false;
    const errors: RowError[] = [];
    const warnings: RowWarning[] = [];
    const encoded = new Float32Array(count * width);
    const goodRows = new Int32Array(count);
    let goodCount = 0;
    const readLabel = tabular.label && mapping.labelColumn >= 0 ? labelParser(tabular.label) : null;

    for (let i = 0; i < count; i++) {
      const values = rows[i]!;
      const key = mapping.idColumn >= 0 ? values[mapping.idColumn] : undefined;
      if (readLabel) labels[i] = readLabel(values[mapping.labelColumn]) ?? -1;
      const problem = problems.get(i);
      if (problem || values.length !== mapping.header.length) {
        const reason =
          problem ??
          `the row has ${values.length} fields but the header has ${mapping.header.length}; check the row for a missing or extra delimiter or an unclosed quote`;
        errors.push({ row: firstRow + i, column: '', value: '', reason, ...(key ? { key } : {}) });
        continue;
      }
      try {
        const outOfRange = encoder.encodeValues(values, mapping, encoded, goodCount * width, decimal);
        goodRows[goodCount++] = i;
        if (outOfRange) warnings.push({ row: firstRow + i, reason: outOfRange.map(describeRangeWarning).join('; '), ...(key ? { key } : {}) });
      } catch (error) {
        if (!(error instanceof InvalidValueError)) throw error;
        // A JSON Lines object that lacks the key is named as such, not as an empty value.
        if (missingKeys.get(i)?.includes(error.column)) {
          const reason = `key "${error.column}" is missing; give every line the keys of the first line (${mapping.header.join(', ')})`;
          errors.push({ row: firstRow + i, column: '', value: '', reason, ...(key ? { key } : {}) });
          continue;
        }
        errors.push({ row: firstRow + i, column: error.column, value: error.value, reason: error.reason, ...(key ? { key } : {}) });
      }
    }

    for (let start = 0; start < goodCount; ) {
      const size = Math.min(budget.nextRows(), goodCount - start);
      const slice = encoded.subarray(start * width, (start + size) * width);
      const scored = await this.scheduler.schedule(
        'batch',
        async () => {
          const began = performance.now();
          const scores = await scoreEncodedRows(model, slice, size);
          budget.record(size, performance.now() - began);
          return scores;
        },
        { rows: size },
      );
      for (let j = 0; j < size; j++) probabilities[goodRows[start + j]!] = scored.values[j]!;
      if (scored.classes) {
        hasClasses = true;
        for (let j = 0; j < size; j++) classIndices[goodRows[start + j]!] = scored.classes[j]!;
      }
      start += size;
      // Let queued real-time requests in before the next chunk.
      await yieldToEventLoop();
    }

    return {
      jobId: job.id,
      index: job.chunkCount,
      firstRow,
      rowCount: count,
      probabilities,
      labels,
      errors,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(hasClasses ? { classIndices } : {}),
    };
  }

  private async evaluate(job: JobRecord, model: LoadedModel) {
    if (job.labelColumn === null) return null;
    // Typed arrays sized for every row: a million rows take 5 MB and no array growth.
    let scores = new Float32Array(job.rowsDone);
    let labels = new Int8Array(job.rowsDone);
    let count = 0;
    for await (const chunk of readChunks(this.db, job.id, job.chunkCount)) {
      if (count + chunk.rowCount > scores.length) {
        // The stored chunks contain more rows than the checkpoint counts, so the arrays grow to fit them.
        const grown = Math.max(2 * scores.length, count + chunk.rowCount);
        const moreScores = new Float32Array(grown);
        const moreLabels = new Int8Array(grown);
        moreScores.set(scores);
        moreLabels.set(labels);
        scores = moreScores;
        labels = moreLabels;
      }
      for (let i = 0; i < chunk.rowCount; i++) {
        const probability = chunk.probabilities[i]!;
        const label = chunk.labels[i]!;
        if (Number.isNaN(probability) || label < 0) continue;
        scores[count] = probability;
        labels[count] = label;
        count++;
      }
    }
    if (count === 0) return null;
    return evaluate(scores.subarray(0, count), labels.subarray(0, count), model.manifest.output.threshold ?? 0.5);
  }

  private async stop(job: JobRecord, request: StopRequest, reporter: ProgressReporter): Promise<JobRecord> {
    this.stopRequests.delete(job.id);
    job.status = request === 'pause' ? 'paused' : 'cancelled';
    job.updatedAt = Date.now();
    await updateJob(this.db, job);
    reporter.report(true);
    log.info(`job ${job.id} ${job.status} after row ${job.rowsDone}`);
    return job;
  }

  /** Pauses a job whose results no longer fit in storage; everything committed so far is kept. */
  private async pauseForStorage(job: JobRecord, reporter: ProgressReporter): Promise<JobRecord> {
    job.status = 'paused';
    job.message =
      `Storage is full: this browser's quota for the site was reached after row ${job.rowsDone}. ` +
      'The results so far are kept. Delete old jobs or cached models to free space, then resume.';
    job.updatedAt = Date.now();
    try {
      await updateJob(this.db, job);
    } catch (error) {
      // The stored record is still marked running, so the job shows as interrupted and can be resumed.
      log.error(`job ${job.id}: storing the paused status failed as well`, error);
    }
    reporter.report(true);
    return job;
  }

  private async fail(job: JobRecord, message: string, reporter?: ProgressReporter): Promise<JobRecord> {
    job.status = 'failed';
    job.message = message;
    job.updatedAt = Date.now();
    await updateJob(this.db, job);
    reporter?.report(true);
    return job;
  }
}

/** Sends progress at most every {@link progressIntervalMs}, plus a final report. */
class ProgressReporter {
  private lastSent = 0;
  private readonly startedAt = performance.now();
  private readonly startRows: number;

  constructor(
    private readonly job: JobRecord,
    private readonly bytesTotal: number,
    private readonly send: (progress: JobProgress) => void,
  ) {
    this.startRows = job.rowsDone;
  }

  /** Reports the job's state, or `job`, a copy of it taken when its results were committed. */
  report(force: boolean, job: JobRecord = this.job): void {
    const now = performance.now();
    if (!force && now - this.lastSent < progressIntervalMs) return;
    this.lastSent = now;

    const seconds = (now - this.startedAt) / 1000;
    const rowsPerSecond = seconds > 0 ? (job.rowsDone - this.startRows) / seconds : 0;
    const estimate = job.rowsTotal ?? (job.bytesDone > 0 ? Math.round((job.rowsDone / job.bytesDone) * this.bytesTotal) : null);
    const rowsLeft = estimate === null ? null : Math.max(0, estimate - job.rowsDone);
    const status: JobStatus = job.status;
    try {
      this.send({
        jobId: job.id,
        status,
        rowsDone: job.rowsDone,
        errorCount: job.errorCount,
        bytesDone: job.bytesDone,
        bytesTotal: this.bytesTotal,
        rowsTotalEstimate: estimate,
        rowsPerSecond,
        secondsLeft: rowsLeft !== null && rowsPerSecond > 0 ? rowsLeft / rowsPerSecond : null,
      });
    } catch (error) {
      // A closed page cannot receive progress; the job itself carries on.
      log.warn(`progress for job ${job.id} could not be sent`, error);
    }
  }
}

/**
 * Groups a CSV job's scored chunks into commits, each one transaction with the job's checkpoint
 * (see {@link commitIntervalMs}). A commit runs while the next chunks are read and scored, and the
 * next commit waits for it, so transactions land in order. Progress is reported from what has
 * been committed, so a reload never shows fewer rows done than it showed before.
 */
class ChunkCommits {
  private pending: ChunkRecord[] = [];
  private pendingRows = 0;
  private inFlight: Promise<void> | null = null;
  private lastStarted = performance.now();

  constructor(
    private readonly job: JobRecord,
    private readonly commit: (record: ChunkRecord) => Promise<void>,
    private readonly committed: (job: JobRecord) => void,
  ) {}

  /** Adds a scored chunk, whose rows the job's fields already count, and starts a commit when one is due. */
  async add(chunk: ChunkRecord): Promise<void> {
    this.pending.push(chunk);
    this.pendingRows += chunk.rowCount;
    if (performance.now() - this.lastStarted < commitIntervalMs && this.pendingRows < commitMaxRows) return;
    await this.inFlight;
    this.start();
  }

  /** Commits everything scored so far and waits for it. */
  async flush(): Promise<void> {
    await this.inFlight;
    if (this.pending.length > 0) this.start();
    await this.inFlight;
  }

  /** Waits for a running commit to finish, successfully or not. */
  async settle(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  private start(): void {
    const job = this.job;
    const record = mergeChunks(this.pending, job.id, job.chunkCount);
    this.pending = [];
    this.pendingRows = 0;
    job.chunkCount += 1;
    this.lastStarted = performance.now();
    // IndexedDB copies the records when the commit starts, so the job can change meanwhile.
    const snapshot = { ...job };
    const running = this.commit(record).then(() => this.committed(snapshot));
    // A failure is thrown where the commit is next awaited, so this handler only keeps it from counting as unhandled.
    running.catch(() => undefined);
    this.inFlight = running;
  }
}
