/**
 * The one object the worker exposes through Comlink. Its type, {@link TandemWorkerApi}, is the
 * protocol between the page and the worker.
 */
import * as Comlink from 'comlink';
import { InvalidValueError, TandemError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { MetricsSnapshot, TabularPrediction } from '../shared/protocol';
import { openDatabase, type Database } from '../storage/db';
import { deleteJob, getJobFile, toSummary } from '../storage/jobs';
import type { TandemWorkerApi } from './api-types';
import type { JobManager } from './batch-job';
import { createCatalogueApi } from './catalogue-api';
import { prepareImage } from './image-input';
import { imageSpecOf, scoreImages, topClasses } from './image-run';
import { openModel, openModelUrl, updateStoredManifest } from './byo-models';
import { forgetModel, getModel, loadModel } from './models';
import { loseWebGpuDevice } from './engine';
import { Scheduler } from './scheduler';
import { labelFor, scoreEncodedRows } from './tabular-run';

// Batch work waits 50 ms after each real-time request: about three frames of typing or dragging.
const log = createLogger('api');
const scheduler = new Scheduler(undefined, { interactionHoldMs: 50 });
let database: Promise<Database> | null = null;
let jobManager: Promise<JobManager> | null = null;
let lastBackend: MetricsSnapshot['backend'] = null;

function db(): Promise<Database> {
  database ??= openDatabase();
  return database;
}

/**
 * Returns the job manager. The batch code (file readers, zip reading, export, evaluation) is
 * imported on first use, so the worker script that a page needs to predict stays small.
 */
function jobs(): Promise<JobManager> {
  jobManager ??= Promise.all([db(), import('./batch-job')]).then(([opened, { JobManager }]) => new JobManager(opened, scheduler));
  jobManager.catch(() => (jobManager = null));
  return jobManager;
}

export const api: TandemWorkerApi = {
  ...createCatalogueApi(db, jobs, scheduler),

  async loadModel(manifestUrl, backend) {
    const model = await loadModel(manifestUrl, backend);
    lastBackend = model.info.backend;
    return model.info;
  },

  openModel(file, fileName, manifest, maxBytes) {
    return openModel({ file, fileName, manifest, maxBytes });
  },

  openModelUrl(url, maxBytes) {
    return openModelUrl(url, maxBytes);
  },

  async updateModelManifest(sha256, manifest) {
    const manifestUrl = await updateStoredManifest(sha256, manifest);
    forgetModel(manifestUrl);
    return manifestUrl;
  },

  async predict(modelId, record, options = {}) {
    const model = getModel(modelId);
    const encoder = model.encoder;
    if (!encoder) throw new TandemError('invalid-input', `The model "${model.manifest.name}" takes images, not records.`);
    const enqueued = performance.now();
    return scheduler.schedule(
      'realtime',
      async (): Promise<TabularPrediction> => {
        const started = performance.now();
        const encoded = new Float32Array(encoder.width);
        const rangeWarnings = encoder.encodeRecord(record, encoded, 0) ?? [];
        const scores = await scoreEncodedRows(model, encoded, 1);
        const probability = scores.values[0]!;
        const labels = model.manifest.output.labels ?? [];
        const classes = scores.probabilities ? Array.from(scores.probabilities, (value, k) => ({ label: labels[k] ?? String(k), probability: value })) : undefined;
        return {
          probability,
          label: labelFor(model, probability, scores.classes?.[0] ?? -1),
          ...(classes ? { classes } : {}),
          rangeWarnings,
          backend: model.info.backend,
          queueMs: started - enqueued,
          computeMs: performance.now() - started,
        };
      },
      { channel: options.channel },
    );
  },

  async predictImage(modelId, image, options = {}) {
    const model = getModel(modelId);
    const spec = imageSpecOf(model);
    const enqueued = performance.now();
    // Decoding runs before the request is queued: it is asynchronous and does not hold up other work.
    const name = image instanceof File ? image.name : 'The image';
    let prepared;
    try {
      prepared = await prepareImage(image instanceof File ? image.name : 'image.png', image, spec);
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      throw new TandemError('invalid-input', `${name} could not be classified because ${error.reason}.`);
    }
    return scheduler.schedule(
      'realtime',
      async () => {
        const started = performance.now();
        const scores = await scoreImages(model, prepared.tensor, 1);
        return {
          top: topClasses(scores.probabilities, 0, model.manifest.output.labels ?? [], 3).map(({ label, probability }) => ({ label, probability })),
          logits: Array.from(scores.logits),
          preview: prepared.preview,
          previewWidth: spec.size.width,
          previewHeight: spec.size.height,
          backend: model.info.backend,
          queueMs: started - enqueued,
          computeMs: performance.now() - started,
        };
      },
      { channel: options.channel },
    );
  },

  async createImageJob(modelId, files) {
    return toSummary(await (await jobs()).createImages(getModel(modelId), files));
  },

  async queryImageResults(jobId, query) {
    const job = await (await jobs()).get(jobId);
    const { queryImageResults } = await import('./export');
    return queryImageResults(await db(), job, getModel(job.modelId), query);
  },

  async createJob(modelId, file, settings = {}) {
    return toSummary(await (await jobs()).create(getModel(modelId), file, settings));
  },

  async rereadJob(jobId, settings) {
    const manager = await jobs();
    const job = await manager.get(jobId);
    const file = await getJobFile(await db(), jobId);
    if (!file) throw new TandemError('job-not-found', `The input file of job ${jobId} is no longer stored. Choose the file again.`);
    const named = new File([file], job.fileName, { type: 'text/csv', lastModified: Date.now() });
    return toSummary(await manager.create(getModel(job.modelId), named, settings));
  },

  async runJob(jobId, onProgress) {
    return toSummary(await (await jobs()).run(jobId, onProgress));
  },

  async pauseJob(jobId) {
    (await jobs()).requestStop(jobId, 'pause');
  },

  async cancelJob(jobId) {
    (await jobs()).requestStop(jobId, 'cancel');
  },

  async listJobs(modelId) {
    const sha256 = modelId ? getModel(modelId).info.sha256 : undefined;
    return (await (await jobs()).list(sha256)).map(toSummary);
  },

  async deleteJob(jobId) {
    const manager = await jobs();
    manager.requestStop(jobId, 'cancel');
    await deleteJob(await db(), jobId);
  },

  async exportResults(jobId) {
    const manager = await jobs();
    const job = await manager.get(jobId);
    const { exportImageJob, exportJob } = await import('./export');
    if (job.kind === 'image') return exportImageJob(await db(), job, getModel(job.modelId));
    const file = await getJobFile(await db(), jobId);
    if (!file) throw new TandemError('job-not-found', `The input file of job ${jobId} is no longer stored, so its rows cannot be exported. Score the file again.`);
    return exportJob(await db(), job, file, getModel(job.modelId));
  },

  async ping() {
    return Date.now();
  },

  async injectFault(kind) {
    log.warn(`injecting fault ${kind}`);
    if (kind === 'webgpu-device-lost') {
      await loseWebGpuDevice();
      return;
    }
    if (kind === 'storage-full') {
      (await jobs()).simulateFullStorage();
      return;
    }
    // Closing after the reply is sent leaves the page with a worker that never responds again.
    setTimeout(() => self.close(), 0);
  },

  async metrics() {
    return { backend: lastBackend, realtime: scheduler.metrics('realtime'), batch: scheduler.metrics('batch') };
  },
};

export function exposeApi(): void {
  Comlink.expose(api);
}
