/**
 * `npm run bench`: builds the app, serves the build on 127.0.0.1, and measures it in headless
 * Chromium on the WASM backend: start-up time, real-time latency idle and during a batch job, batch
 * throughput and heap, and a CPU profile of the worker. In a second, fresh browser profile it times
 * an image batch job of the product-photo model on Fashion-MNIST PNG images. It also scores the
 * same CSV file and the same images in Node.js with onnxruntime-node as baselines. A third
 * profile embeds the images and times similar-product queries (bench/similar.mjs). Writes
 * bench/results.json and bench/RESULTS.md.
 *
 * Usage: npm run bench -- [--rows N] [--profile-rows N] [--requests N] [--images N] [--skip-images] [--only-similar] [--only-start]
 */
import { execFile } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { build, preview } from 'vite';
import {
  createImageJob,
  createJob,
  inspectStoredJob,
  launchBrowser,
  measureRealtime,
  openAndTimeFirstPrediction,
  openModelPage,
  readImageAccuracy,
  runJob,
  sampleHeap,
  traceWasmCompilation,
  withTimeout,
} from './browser.mjs';
import { ensureBenchCsv, ensureFashionZip, fashionTestImages } from './generate-data.mjs';
import { batchPhases, splitProfile, startPhases } from './profile.mjs';
import { writeReport } from './report.mjs';
import { measureSimilar, mergeSimilarResults } from './similar.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The benchmark builds into its own folder, so it never replaces the dist/ that tests may be serving.
const buildDir = 'bench/.build/dist';
const nativeBundle = 'bench/.build/native/native.mjs';
const nativeImagesBundle = 'bench/.build/native/native-images.mjs';
/** The image model, as the page's `model` parameter names it. */
const imageManifest = 'models/product-photo/manifest.json';
const dataDir = 'bench/data';
const backend = 'wasm';
/** Real-time requests sent before the idle measurement and not counted: JIT and cache warm-up. */
const warmupRequests = 20;
/** Return visits timed for `warm_start_ms`, which is their median. */
const warmLoads = 5;
/** The pause between two timed return visits. */
const visitGapMs = 1000;
/** How long a page may take to show its first prediction before the benchmark gives up. */
const loadTimeoutMs = 120_000;
const megabyte = 1024 * 1024;
const heapIntervalMs = 200;
/** Interval of the timer whose late ticks measure how long the worker's event loop was busy. */
const lagIntervalMs = 10;
/**
 * Mean gap between the requests of the sparse run: well above the scheduler's interaction hold
 * (50 ms in src/worker/api.ts when this was written), so each request finds the batch running.
 */
const sparseIntervalMs = 150;

const usage = `Usage: npm run bench -- [options]

  --rows N          data rows in the batch CSV (default 1000000)
  --profile-rows N  data rows in the separate CPU-profiled batch run (default: --rows, at most 200000; 0 skips it)
  --requests N      real-time requests, idle and during the batch (default 500)
  --images N        Fashion-MNIST test images in the image batch, the first N (default ${fashionTestImages}, at most ${fashionTestImages})
  --skip-images     skip the image batch, its Node.js baseline and the similar products
  --only-similar    measure only the similar products (embedding --images images, then queries)
                    and merge similar_p95_ms and embed_images_per_s into the existing bench/results.json
  --only-start      measure only the cold and warm starts (median of ${warmLoads} return visits, with a
                    CPU profile and a Chrome trace of one more) and merge them into bench/results.json
  --help            print this text`;

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      'profile-rows': { type: 'string' },
      requests: { type: 'string', default: '500' },
      images: { type: 'string', default: String(fashionTestImages) },
      'skip-images': { type: 'boolean', default: false },
      'only-similar': { type: 'boolean', default: false },
      'only-start': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const count = (name, text, min, max = Infinity) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
      throw new Error(`Invalid --${name} ${text}: give a whole number ${range}.\n\n${usage}`);
    }
    return value;
  };
  const rows = count('rows', values.rows, 1);
  const profileRows = values['profile-rows'] === undefined ? Math.min(rows, 200_000) : count('profile-rows', values['profile-rows'], 0);
  const images = values['skip-images'] ? 0 : count('images', values.images, 1, fashionTestImages);
  if (values['only-similar'] && values['skip-images']) throw new Error(`--only-similar needs the images, so it cannot be combined with --skip-images.\n\n${usage}`);
  return { rows, profileRows, requests: count('requests', values.requests, 1), images, onlySimilar: values['only-similar'], onlyStart: values['only-start'] };
}

/** Returns the `p`-th percentile (0 to 100) of `values` by the nearest-rank method. */
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarise(values) {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: values.length > 0 ? Math.max(...values) : NaN };
}

/** Throws unless a batch run completed with every row of the file scored. */
function checkBatch(name, batch, rows) {
  const summary = batch.summary;
  if (summary.status !== 'completed') throw new Error(`The batch job ${name} ended ${summary.status}: ${summary.message ?? 'no message'}.`);
  if (summary.rowsDone !== rows) throw new Error(`The batch job ${name} scored ${summary.rowsDone} rows, expected ${rows}.`);
}

/** Puts a data file where the preview server serves it, as a hard link when the file system allows. */
function publish(path, name) {
  const target = join(buildDir, 'bench-data', name);
  mkdirSync(dirname(target), { recursive: true });
  rmSync(target, { force: true });
  try {
    linkSync(path, target);
  } catch {
    copyFileSync(path, target);
  }
  return `bench-data/${name}`;
}

async function buildApp() {
  log(`building the app into ${buildDir}`);
  await build({ root: repoRoot, logLevel: 'warn', build: { outDir: buildDir, emptyOutDir: true } });
}

async function bundleNative() {
  log('bundling bench/native.ts and bench/native-images.ts');
  await build({ root: repoRoot, configFile: 'bench/vite.native.config.ts', logLevel: 'warn' });
}

async function runNative(csvPath, rows) {
  log(`scoring ${csvPath} in Node.js with onnxruntime-node`);
  const timeout = 120_000 + rows * 0.5;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [nativeBundle, '--csv', csvPath], { timeout, maxBuffer: 16 * megabyte });
    return { ...JSON.parse(stdout.trim().split('\n').pop()), loadAverage: loadavg()[0] };
  } catch (error) {
    const reason = error.killed ? `timed out after ${Math.round(timeout / 1000)} s` : (error.stderr || error.message).trim();
    throw new Error(`The Node.js baseline (${nativeBundle}) failed: ${reason}`);
  }
}

/** Averages native runs: times and phases are means, and rows per second follow from the mean time. */
function averageNative(runs) {
  const mean = (pick) => runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
  const seconds = mean((run) => run.seconds);
  return {
    ...runs[0],
    seconds,
    rowsPerSecond: runs[0].rows / seconds,
    phasesMs: Object.fromEntries(Object.keys(runs[0].phasesMs).map((phase) => [phase, mean((run) => run.phasesMs[phase])])),
    runs: runs.map((run) => ({ rowsPerSecond: run.rowsPerSecond, seconds: run.seconds, loadAverage: run.loadAverage })),
  };
}

async function runNativeImages(zipPath, images) {
  log(`scoring ${zipPath} in Node.js with onnxruntime-node`);
  const timeout = 120_000 + images * 20;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [nativeImagesBundle, '--zip', zipPath], { timeout, maxBuffer: 16 * megabyte });
    return { ...JSON.parse(stdout.trim().split('\n').pop()), loadAverage: loadavg()[0] };
  } catch (error) {
    const reason = error.killed ? `timed out after ${Math.round(timeout / 1000)} s` : (error.stderr || error.message).trim();
    throw new Error(`The Node.js image baseline (${nativeImagesBundle}) failed: ${reason}`);
  }
}

/** Averages native image runs like {@link averageNative}. The accuracy is the first run's, and `runs` keeps each run's. */
function averageNativeImages(runs) {
  const mean = (pick) => runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
  const seconds = mean((run) => run.seconds);
  return {
    ...runs[0],
    seconds,
    imagesPerSecond: runs[0].images / seconds,
    phasesMs: Object.fromEntries(Object.keys(runs[0].phasesMs).map((phase) => [phase, mean((run) => run.phasesMs[phase])])),
    runs: runs.map((run) => ({ imagesPerSecond: run.imagesPerSecond, seconds: run.seconds, accuracy: run.accuracy, loadAverage: run.loadAverage })),
  };
}

function machine() {
  const cores = cpus();
  return { cpu: cores[0]?.model.trim() ?? 'unknown', cores: cores.length, memory_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10 };
}

/**
 * Waits until a service worker controls the page, which happens once it has precached the app, and
 * returns the time since navigation start. Returns null when the page registers none in time.
 */
async function waitForServiceWorker(page, timeoutMs) {
  try {
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: timeoutMs });
  } catch {
    log('no service worker controls the page; the warm start runs without the precache');
    return null;
  }
  return page.evaluate(() => performance.now());
}

/**
 * Measures the cold start (a fresh profile) and `warmLoads` warm starts (return visits in the
 * same profile), and fills `measured` with them. Returns the last warm page, left open.
 */
async function measureStarts(context, pageUrl, measured) {
  log('cold start: first load in a fresh profile');
  const cold = await openAndTimeFirstPrediction(context, pageUrl, loadTimeoutMs);
  if (cold.backend !== backend) throw new Error(`The page runs on ${cold.backend}, not ${backend}. Check how the page reads the ?backend parameter.`);
  measured.coldStartMs = cold.firstPredictionMs;
  measured.coldTimeline = cold.timeline;
  measured.pageErrors.push(...cold.errors);
  // A warm start is a return visit, made after the first visit has filled the caches. Without
  // this wait the service worker's precache would download the runtime during the warm load.
  measured.offlineCopyMs = await waitForServiceWorker(cold.page, loadTimeoutMs);
  await cold.tools.detach();
  await cold.page.close();

  // Single loads vary a lot on a shared machine, so the warm start is the median of several.
  measured.warmRuns = [];
  let warm;
  for (let load = 1; load <= warmLoads; load++) {
    if (warm) {
      await warm.tools.detach();
      await warm.page.close();
      // A return visit does not start the instant the last one closed: let its background work end.
      await sleep(visitGapMs);
    }
    log(`warm start ${load} of ${warmLoads}: a return visit in the same profile`);
    warm = await openAndTimeFirstPrediction(context, pageUrl, loadTimeoutMs);
    measured.pageErrors.push(...warm.errors);
    measured.warmRuns.push({ firstPredictionMs: warm.firstPredictionMs, timeline: warm.timeline });
  }
  measured.warmStartMs = percentile(measured.warmRuns.map((run) => run.firstPredictionMs), 50);
  measured.warmTimeline = measured.warmRuns.find((run) => run.firstPredictionMs === measured.warmStartMs).timeline;
  return warm;
}

/** Loads the page once more with the worker under the CPU profiler from its first line. */
async function profileStart(context, pageUrl, measured) {
  log('start profile: a return visit with the worker under the CPU profiler');
  const profiled = await openAndTimeFirstPrediction(context, pageUrl, loadTimeoutMs, { profileWorkerStart: true });
  measured.startProfile = {
    firstPredictionMs: profiled.firstPredictionMs,
    workerStartMs: profiled.timeline.workerStartMs,
    ...splitProfile(profiled.startProfile, join(buildDir, 'assets'), startPhases),
  };
  measured.pageErrors.push(...profiled.errors);
  await profiled.tools.detach();
  await profiled.page.close();
}

/** Loads the page once more with Chrome tracing on, to show how V8 compiled the runtime's WebAssembly. */
async function traceStart(context, pageUrl, measured) {
  log('start trace: a return visit with Chrome tracing on');
  measured.startTrace = await traceWasmCompilation(context, pageUrl, loadTimeoutMs);
}

/** Runs every browser measurement and returns the raw numbers. */
async function measureBrowser(url, options, csv) {
  const pageUrl = `${url}?backend=${backend}`;
  const launched = await launchBrowser();
  const measured = { browserVersion: launched.version, pageErrors: [] };
  try {
    const { page, tools } = await measureStarts(launched.context, pageUrl, measured);

    log(`real-time: ${options.requests} requests, idle`);
    measured.idle = await withTimeout(measureRealtime(page, options.requests, warmupRequests), 300_000, 'The idle real-time measurement');

    log(`batch alone: ${options.rows} rows, no real-time requests`);
    measured.batchAlone = await runBatch(page, tools, csv.url, options.rows, 0);
    await deleteJob(page, measured.batchAlone.created.jobId);

    // The requests are spread over the time the batch took alone.
    const intervalMs = Math.max(5, measured.batchAlone.batch.runMs / options.requests);
    log(`batch: ${options.rows} rows with ${options.requests} real-time requests, ${intervalMs.toFixed(0)} ms apart on average`);
    const withRequests = await runBatch(page, tools, csv.url, options.rows, options.requests, intervalMs);
    Object.assign(measured, withRequests);
    await deleteJob(page, measured.created.jobId);

    log(`batch with sparse requests: ${options.rows} rows, a request every ${sparseIntervalMs} ms on average until the job ends`);
    measured.batchSparse = await runBatch(page, tools, csv.url, options.rows, options.requests, sparseIntervalMs, true);

    if (options.profileRows > 0) measured.batchProfile = await profileBatch(page, tools, measured.batchSparse.created.jobId, options.profileRows, csv.profileUrl);
    await tools.detach();
    await page.close();

    await profileStart(launched.context, pageUrl, measured);
    await traceStart(launched.context, pageUrl, measured);
    return measured;
  } finally {
    await launched.close();
  }
}

/**
 * Times an image batch job on the zip file at `zipUrl` in a browser of its own. The fresh profile
 * keeps the image result cache empty, so every image is decoded, preprocessed and scored.
 */
async function measureImages(url, zipUrl, images) {
  const pageUrl = `${url}?${new URLSearchParams({ model: imageManifest, backend })}`;
  const launched = await launchBrowser();
  try {
    log(`image batch: ${images} Fashion-MNIST images on ${imageManifest}, in a fresh profile`);
    const opened = await openModelPage(launched.context, pageUrl, 120_000);
    if (opened.backend !== backend) throw new Error(`The image page runs on ${opened.backend}, not ${backend}. Check how the page reads the ?backend parameter.`);
    const { page } = opened;
    const created = await withTimeout(createImageJob(page, zipUrl, `fashion-test-png-${images}.zip`), 120_000 + images * 5, 'Creating the image job (storing the zip file in IndexedDB)');
    if (created.status !== 'queued') throw new Error(`The new image job is ${created.status}, but the benchmark needs a job that runs.`);
    const run = await withTimeout(runJob(page, created.jobId), 180_000 + images * 20, `The ${images}-image batch job`);
    const checked = await withTimeout(readImageAccuracy(page, created.jobId), 120_000, 'Reading the image results back');
    await page.close();
    return { modelLoadMs: opened.loadMs, created, run, checked, pageErrors: opened.errors };
  } finally {
    await launched.close();
  }
}

/**
 * Creates a batch job for the CSV at `csvUrl` and runs it, sending `requests` real-time requests
 * `intervalMs` apart on average while it runs (see `runJob`), with the page's and the worker's
 * heap sampled throughout.
 */
async function runBatch(page, tools, csvUrl, rows, requests, intervalMs = 5, stopWhenDone = false) {
  const heap = sampleHeap(tools, heapIntervalMs);
  let created;
  let batch;
  let peaks;
  let lags = [];
  try {
    created = await withTimeout(createJob(page, csvUrl, `churn-${rows}-${requests}.csv`), 120_000 + rows * 0.2, 'Creating the batch job (storing the file in IndexedDB)');
    if (created.status !== 'queued') {
      throw new Error(`The new batch job is ${created.status}${created.cachedFrom ? ', served from the result cache' : ''}, but the benchmark needs a job that runs.`);
    }
    await tools.startLagMonitor(lagIntervalMs);
    try {
      batch = await withTimeout(runJob(page, created.jobId, { requests, intervalMs, stopWhenDone }), 180_000 + rows * 1 + requests * intervalMs * 2, `The ${rows}-row batch job`);
    } finally {
      lags = await tools.stopLagMonitor();
    }
  } finally {
    peaks = await heap.stop();
  }
  const stored = await withTimeout(inspectStoredJob(page, created.jobId), 120_000, 'Reading the stored job back');
  return { created, batch: { ...batch, workerLagsMs: lags }, heap: peaks, stored };
}

/** Runs a second batch job under the worker's CPU profiler and splits the profile into phases. */
async function profileBatch(page, tools, previousJobId, rows, csvUrl) {
  log(`batch profile: ${rows} rows under the worker's CPU profiler`);
  // Deleting the earlier job keeps this one from being served from the result cache.
  await deleteJob(page, previousJobId);
  const created = await withTimeout(createJob(page, csvUrl, `churn-profile-${rows}.csv`), 120_000 + rows * 0.2, 'Creating the profiled batch job');
  await tools.startProfiler(1000);
  let run;
  try {
    run = await withTimeout(runJob(page, created.jobId), 180_000 + rows * 2, `The ${rows}-row profiled batch job`);
  } finally {
    run = { ...run, profile: await tools.stopProfiler() };
  }
  const stored = await inspectStoredJob(page, created.jobId);
  return { rows, runMs: run.runMs, chunkCount: stored.chunkCount, ...splitProfile(run.profile, join(buildDir, 'assets'), batchPhases) };
}

/** Deletes a job with its stored file and results, so the next job on the same file runs. */
async function deleteJob(page, jobId) {
  await withTimeout(
    page.evaluate((id) => window.tandem.client.deleteJob(id), jobId),
    120_000,
    `Deleting job ${jobId}`,
  );
}

/** Returns the rows the job had reported done at `ms` after it started, from its progress reports. */
function rowsDoneAt(progress, ms) {
  let rows = 0;
  for (const report of progress) if (report.ms <= ms) rows = report.rowsDone;
  return rows;
}

/** Summarises how long the worker's event loop and the page's main thread were busy during a run. */
function blockingOf(batch) {
  const lags = batch.workerLagsMs;
  const longTasks = batch.mainThreadLongTasksMs;
  return {
    worker_timer_lag_ms: summarise(lags),
    worker_ticks: lags.length,
    worker_ticks_late_over_16_ms: lags.filter((lag) => lag > 16).length,
    main_thread_long_tasks: longTasks.length,
    main_thread_long_task_max_ms: longTasks.length > 0 ? Math.max(...longTasks) : 0,
  };
}

/**
 * Returns the image keys and their details, or nulls when the image batch was skipped. Throws
 * unless both sides scored every image.
 */
function collectImageResults(options, images) {
  if (!images) return { images_per_s: null, native_images_per_s: null, details: null };
  const { native, measured } = images;
  const { summary, runMs, batchLane } = measured.run;
  if (summary.status !== 'completed') throw new Error(`The image batch job ended ${summary.status}: ${summary.message ?? 'no message'}.`);
  // The zip's labels.csv is an entry too, and the job reports it as a row error.
  const scored = summary.rowsDone - summary.errorCount;
  if (scored !== options.images) throw new Error(`The image batch job scored ${scored} images, expected ${options.images}.`);
  if (native.images !== options.images) throw new Error(`The Node.js image baseline scored ${native.images} images, expected ${options.images}.`);
  const laneTasks = batchLane.averageBatchSize > 0 ? options.images / batchLane.averageBatchSize : 0;
  const { metrics } = JSON.parse(readFileSync(join('public', imageManifest), 'utf8'));
  return {
    images_per_s: options.images / (runMs / 1000),
    native_images_per_s: native.imagesPerSecond,
    details: {
      images: options.images,
      zip_bytes: measured.created.fileBytes,
      model_load_ms: measured.modelLoadMs,
      create_job_ms: measured.created.createMs,
      run_job_ms: runMs,
      images_per_s_including_create: options.images / ((runMs + measured.created.createMs) / 1000),
      entries: summary.rowsDone,
      entry_errors: summary.errorCount,
      sample_errors: summary.sampleErrors,
      accuracy: measured.checked.accuracy,
      manifest_accuracy: metrics?.accuracy ?? null,
      manifest_test_rows: metrics?.test_rows ?? null,
      lane: batchLane,
      lane_tasks_estimate: laneTasks,
      infer_ms_estimate: laneTasks * batchLane.computeMs.p50,
      main_thread_long_tasks: measured.run.mainThreadLongTasksMs.length,
      native,
    },
  };
}

/** Builds the start-up details for results.json: each load's timeline, and the median time of each start mark. */
function startDetails(measured) {
  const markNames = new Set(measured.warmRuns.flatMap((run) => Object.keys(run.timeline.marks ?? {})));
  const warmMarks = {};
  for (const name of markNames) {
    const times = measured.warmRuns.map((run) => run.timeline.marks?.[name]).filter((ms) => ms !== undefined);
    warmMarks[name] = percentile(times, 50);
  }
  return {
    cold: measured.coldTimeline,
    warm: measured.warmTimeline,
    warm_loads_ms: measured.warmRuns.map((run) => run.firstPredictionMs),
    warm_marks_median_ms: warmMarks,
    warm_worker_start_median_ms: percentile(measured.warmRuns.map((run) => run.timeline.workerStartMs), 50),
    offline_copy_ms: measured.offlineCopyMs,
    trace: measured.startTrace ?? null,
  };
}

function collectResults(options, native, measured, images) {
  const { batch, idle } = measured;
  const during = batch.predictions.filter((request) => request.duringBatch);
  const summary = batch.summary;
  checkBatch('with requests', batch, options.rows);
  checkBatch('without requests', measured.batchAlone.batch, options.rows);
  checkBatch('with sparse requests', measured.batchSparse.batch, options.rows);

  if (measured.heap.samples === 0) throw new Error('No heap sample succeeded during the batch, so the DevTools session on the page or on its worker failed.');

  // The page-side breakdown uses the run without real-time requests, because its batch-lane
  // metrics cover that run only and no request delays the batch.
  const alone = measured.batchAlone.batch;
  const sparse = measured.batchSparse.batch;
  const sparseDuring = sparse.predictions.filter((request) => request.duringBatch);
  const lane = alone.batchLane;
  // The scheduler keeps percentiles only, so total inference time is estimated from the median task.
  const laneTasks = lane.averageBatchSize > 0 ? options.rows / lane.averageBatchSize : 0;
  // The last progress report of the scoring loop comes at most 100 ms after the last chunk's commit.
  const scoring = alone.progress.filter((report) => report.status === 'running');
  const imageResults = collectImageResults(options, images);

  return {
    cold_start_ms: measured.coldStartMs,
    warm_start_ms: measured.warmStartMs,
    realtime_p50_ms_idle: percentile(idle.map((request) => request.roundTripMs), 50),
    realtime_p95_ms_idle: percentile(idle.map((request) => request.roundTripMs), 95),
    realtime_p95_ms_during_batch: percentile(during.map((request) => request.roundTripMs), 95),
    // The batch alone: the end-to-end rate of the file. The runs with requests have their own
    // rates under details.realtime_during_batch and details.realtime_sparse_during_batch.
    batch_rows_per_s: options.rows / (alone.runMs / 1000),
    native_rows_per_s: native.rowsPerSecond,
    // The larger peak of the runs with and without requests.
    batch_peak_heap_mb: Math.max(measured.heap.pageBytes + measured.heap.workerBytes, measured.batchAlone.heap.pageBytes + measured.batchAlone.heap.workerBytes) / megabyte,
    images_per_s: imageResults.images_per_s,
    native_images_per_s: imageResults.native_images_per_s,
    machine: machine(),
    browser_version: measured.browserVersion,
    backend,
    date: new Date().toISOString(),
    rows: options.rows,
    details: {
      csv_bytes: measured.created.fileBytes,
      realtime_idle: {
        requests: idle.length,
        warmup_requests: warmupRequests,
        round_trip_ms: summarise(idle.map((request) => request.roundTripMs)),
        queue_ms: summarise(idle.map((request) => request.queueMs)),
        compute_ms: summarise(idle.map((request) => request.computeMs)),
      },
      realtime_during_batch: {
        requests: batch.predictions.length,
        requests_during_batch: during.length,
        mean_interval_ms: during.length > 1 ? (during[during.length - 1].sentMs - during[0].sentMs) / (during.length - 1) : null,
        rows_done_by_last_request: rowsDoneAt(batch.progress, batch.predictions.at(-1)?.sentMs ?? 0),
        round_trip_ms: summarise(during.map((request) => request.roundTripMs)),
        queue_ms: summarise(during.map((request) => request.queueMs)),
        compute_ms: summarise(during.map((request) => request.computeMs)),
        batch_rows_per_s: options.rows / (batch.runMs / 1000),
        run_job_ms: batch.runMs,
        row_errors: summary.errorCount,
        roc_auc: summary.evaluation?.rocAuc ?? null,
      },
      batch: {
        create_job_ms: measured.batchAlone.created.createMs,
        run_job_ms: alone.runMs,
        rows_per_s_including_create: options.rows / ((alone.runMs + measured.batchAlone.created.createMs) / 1000),
        row_errors: alone.summary.errorCount,
        roc_auc: alone.summary.evaluation?.rocAuc ?? null,
      },
      realtime_sparse_during_batch: {
        mean_interval_target_ms: sparseIntervalMs,
        requests: sparse.predictions.length,
        requests_during_batch: sparseDuring.length,
        round_trip_ms: summarise(sparseDuring.map((request) => request.roundTripMs)),
        queue_ms: summarise(sparseDuring.map((request) => request.queueMs)),
        compute_ms: summarise(sparseDuring.map((request) => request.computeMs)),
        batch_rows_per_s: options.rows / (sparse.runMs / 1000),
      },
      batch_without_requests: {
        rows_per_s: options.rows / (alone.runMs / 1000),
        run_job_ms: alone.runMs,
        peak_heap_mb: (measured.batchAlone.heap.pageBytes + measured.batchAlone.heap.workerBytes) / megabyte,
        lane,
        lane_tasks_estimate: laneTasks,
        infer_ms_estimate: laneTasks * lane.computeMs.p50,
        scoring_end_ms: scoring.length > 0 ? scoring[scoring.length - 1].ms : null,
      },
      blocking: {
        lag_timer_interval_ms: lagIntervalMs,
        without_requests: blockingOf(alone),
        with_requests: blockingOf(batch),
        with_sparse_requests: blockingOf(sparse),
      },
      heap: {
        page_peak_mb: measured.heap.pageBytes / megabyte,
        worker_peak_mb: measured.heap.workerBytes / megabyte,
        samples: measured.heap.samples,
        failed_samples: measured.heap.failedSamples,
        interval_ms: heapIntervalMs,
      },
      start: startDetails(measured),
      native,
      stored_job: measured.stored,
      batch_profile: measured.batchProfile ?? null,
      start_profile: measured.startProfile,
      images: imageResults.details,
      page_errors: [...measured.pageErrors, ...(images?.measured.pageErrors ?? [])],
    },
  };
}

/** Serves the benchmark build on a free port of 127.0.0.1 while `work(url)` runs. */
async function withPreview(work) {
  const server = await preview({
    root: repoRoot,
    logLevel: 'warn',
    build: { outDir: buildDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  try {
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview did not report a local URL.');
    log(`serving ${buildDir} at ${url}`);
    return await work(url);
  } finally {
    await server.close();
  }
}

/**
 * `--only-start`: measures the cold and warm starts, with the start profile and trace, and merges
 * cold_start_ms, warm_start_ms and their details into the existing bench/results.json.
 */
async function runStartOnly() {
  const started = Date.now();
  await buildApp();
  const measured = { pageErrors: [] };
  await withPreview(async (url) => {
    const pageUrl = `${url}?backend=${backend}`;
    const launched = await launchBrowser();
    try {
      measured.browserVersion = launched.version;
      const warm = await measureStarts(launched.context, pageUrl, measured);
      await warm.tools.detach();
      await warm.page.close();
      await profileStart(launched.context, pageUrl, measured);
      await traceStart(launched.context, pageUrl, measured);
    } finally {
      await launched.close();
    }
  });
  const results = JSON.parse(readFileSync('bench/results.json', 'utf8'));
  results.cold_start_ms = measured.coldStartMs;
  results.warm_start_ms = measured.warmStartMs;
  results.details = { ...results.details, start: startDetails(measured), start_profile: measured.startProfile };
  results.details.start_measured = { date: new Date().toISOString().slice(0, 10), load_average: loadavg()[0], page_errors: measured.pageErrors };
  writeReport(results, 'bench');
  log(`start done in ${Math.round((Date.now() - started) / 1000)} s: warm ${Math.round(measured.warmStartMs)} ms; merged into bench/results.json and bench/RESULTS.md`);
}

/** `--only-similar`: measures the similar products and merges their keys into bench/results.json. */
async function runSimilarOnly(options) {
  const started = Date.now();
  log(`preparing the ${options.images}-image Fashion-MNIST zip`);
  const zipPath = await ensureFashionZip(dataDir, options.images);
  await buildApp();
  const zipUrl = publish(zipPath, 'fashion-test-png.zip');
  const similar = await withPreview((url) => measureSimilar(url, zipUrl, options.images, { manifest: imageManifest, backend, log }));
  const results = JSON.parse(readFileSync('bench/results.json', 'utf8'));
  writeReport(mergeSimilarResults(results, similar), 'bench');
  log(`similar products done in ${Math.round((Date.now() - started) / 1000)} s: merged into bench/results.json and bench/RESULTS.md`);
}

async function main() {
  process.chdir(repoRoot);
  const options = readOptions();
  if (options.onlySimilar) return runSimilarOnly(options);
  if (options.onlyStart) return runStartOnly();
  const started = Date.now();
  const loadAverageAtStart = loadavg()[0];

  log(`preparing ${options.rows}-row CSV in ${dataDir}`);
  const csvPath = await ensureBenchCsv(dataDir, options.rows);
  const profilePath = options.profileRows > 0 ? await ensureBenchCsv(dataDir, options.profileRows) : null;
  let zipPath = null;
  if (options.images > 0) {
    log(`preparing the ${options.images}-image Fashion-MNIST zip`);
    zipPath = await ensureFashionZip(dataDir, options.images);
  }
  await buildApp();
  const csv = {
    url: publish(csvPath, 'churn.csv'),
    profileUrl: profilePath ? publish(profilePath, 'churn-profile.csv') : null,
  };
  const zipUrl = zipPath ? publish(zipPath, 'fashion-test-png.zip') : null;

  await bundleNative();
  const nativeBefore = await runNative(csvPath, options.rows);
  log(`native: ${Math.round(nativeBefore.rowsPerSecond)} rows/s`);
  const nativeImagesBefore = zipPath ? await runNativeImages(zipPath, options.images) : null;
  if (nativeImagesBefore) log(`native images: ${Math.round(nativeImagesBefore.imagesPerSecond)} images/s, accuracy ${nativeImagesBefore.accuracy}`);

  const server = await preview({
    root: repoRoot,
    logLevel: 'warn',
    build: { outDir: buildDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  let measured;
  let imagesMeasured = null;
  let similarMeasured = null;
  try {
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview did not report a local URL.');
    log(`serving ${buildDir} at ${url}`);
    measured = await measureBrowser(url, options, csv);
    if (zipUrl) imagesMeasured = await measureImages(url, zipUrl, options.images);
    if (zipUrl) similarMeasured = await measureSimilar(url, zipUrl, options.images, { manifest: imageManifest, backend, log });
  } finally {
    await server.close();
  }

  // Other programs on the machine change the speed of both sides, so the native baseline runs a
  // second time after the browser's measurements and is the mean of the two runs.
  const nativeAfter = await runNative(csvPath, options.rows);
  log(`native, second run: ${Math.round(nativeAfter.rowsPerSecond)} rows/s`);
  const native = averageNative([nativeBefore, nativeAfter]);
  let images = null;
  if (zipPath) {
    const nativeImagesAfter = await runNativeImages(zipPath, options.images);
    log(`native images, second run: ${Math.round(nativeImagesAfter.imagesPerSecond)} images/s`);
    images = { native: averageNativeImages([nativeImagesBefore, nativeImagesAfter]), measured: imagesMeasured };
  }

  // The raw measurements, with every request and progress report, for a closer look.
  writeFileSync('bench/.build/raw.json', `${JSON.stringify({ ...measured, imageBatch: imagesMeasured })}\n`);
  const results = mergeSimilarResults(collectResults(options, native, measured, images), similarMeasured);
  results.details.load_average = { start: loadAverageAtStart, end: loadavg()[0] };
  writeReport(results, 'bench');
  log(`done in ${Math.round((Date.now() - started) / 1000)} s: bench/results.json and bench/RESULTS.md`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
