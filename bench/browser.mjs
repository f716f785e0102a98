/**
 * The browser half of the benchmark: Debian's Chromium driven by playwright-core, as in the
 * end-to-end tests, plus Chrome DevTools Protocol sessions on the page and on its inference
 * worker for heap usage and CPU profiles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/**
 * Marks the first frame that shows a real-time probability: `window.__benchFirstPredictionMs`,
 * in milliseconds since navigation start. The probability element sits in nested shadow roots,
 * so the check walks them. It runs once per animation frame until it finds the element.
 */
function markFirstPrediction() {
  const selector = '[data-testid="probability"][data-value]';
  const find = (root) => {
    if (root.querySelector(selector)) return true;
    for (const element of root.querySelectorAll('*')) {
      if (element.shadowRoot && find(element.shadowRoot)) return true;
    }
    return false;
  };
  const check = () => {
    if (find(document)) window.__benchFirstPredictionMs = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

/** Rejects with a message naming `operation` when `promise` takes longer than `ms`. */
export async function withTimeout(promise, ms, operation) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${operation} timed out after ${Math.round(ms / 1000)} s.`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts Chromium with a fresh temporary profile. `close()` ends it and deletes the profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      args: chromiumArgs,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Chromium at ${chromiumPath} failed to start: ${error.message}. Install it with "apt-get install chromium" or set CHROMIUM_PATH.`);
  }
  await context.addInitScript(markFirstPrediction);
  return {
    context,
    version: context.browser()?.version() ?? 'unknown',
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A CDP session on a page plus one on the page's dedicated worker. Playwright gives no CDP session
 * for a worker, so the page session auto-attaches to it and sends commands through
 * `Target.sendMessageToTarget`. With `profileWorkerStart` the worker is held at its first line
 * until its CPU profiler runs, so the profile covers the worker's whole start.
 */
export class PageDevTools {
  static async open(context, page, { profileWorkerStart = false } = {}) {
    const session = await context.newCDPSession(page);
    const tools = new PageDevTools(session);
    tools.workerProfiling = new Promise((resolve, reject) => {
      session.on('Target.attachedToTarget', (event) => {
        if (event.targetInfo.type !== 'worker') return;
        tools.workerSessionId = event.sessionId;
        if (!event.waitingForDebugger) return resolve(false);
        tools
          .startProfiler(1000)
          .then(() => tools.sendToWorker('Runtime.runIfWaitingForDebugger'))
          .then(() => resolve(true), reject);
      });
    });
    // A failure is reported where the caller awaits the promise, not as an unhandled rejection first.
    tools.workerProfiling.catch(() => undefined);
    session.on('Target.detachedFromTarget', (event) => {
      if (event.sessionId === tools.workerSessionId) tools.workerSessionId = null;
    });
    session.on('Target.receivedMessageFromTarget', (event) => tools.onWorkerMessage(event.message));
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: profileWorkerStart, flatten: false });
    return tools;
  }

  constructor(session) {
    this.session = session;
    this.workerSessionId = null;
    /** Resolves to true once the worker's profiler runs from its start, false when it was not asked for. */
    this.workerProfiling = null;
    this.nextId = 0;
    this.pending = new Map();
  }

  /** Starts the worker's CPU profiler, sampling every `intervalMicros` microseconds. */
  async startProfiler(intervalMicros) {
    await this.sendToWorker('Profiler.enable');
    await this.sendToWorker('Profiler.setSamplingInterval', { interval: intervalMicros });
    await this.sendToWorker('Profiler.start');
  }

  /** Stops the worker's CPU profiler and returns its profile. */
  async stopProfiler() {
    const { profile } = await this.sendToWorker('Profiler.stop', {}, 120_000);
    await this.sendToWorker('Profiler.disable').catch(() => undefined);
    return profile;
  }

  /** Sends a command to the page's worker. Rejects when no worker is attached or the reply times out. */
  async sendToWorker(method, params = {}, timeoutMs = 30_000) {
    const sessionId = this.workerSessionId;
    if (!sessionId) throw new Error(`No worker is attached to the page, so ${method} cannot run in it. Wait for the model to load first.`);
    const id = ++this.nextId;
    const reply = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    await this.session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
    try {
      return await withTimeout(reply, timeoutMs, `The worker command ${method}`);
    } finally {
      this.pending.delete(id);
    }
  }

  onWorkerMessage(text) {
    const message = JSON.parse(text);
    const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!waiter) return;
    if (message.error) waiter.reject(new Error(`Worker DevTools error: ${message.error.message}`));
    else waiter.resolve(message.result);
  }

  /**
   * Starts a timer in the worker that fires every `intervalMs` and records how late each tick
   * runs. A late tick means that other tasks kept the worker's event loop busy for that long.
   */
  async startLagMonitor(intervalMs = 10) {
    const expression = `(() => {
      const state = { lags: [], expected: performance.now() + ${intervalMs} };
      state.timer = setInterval(() => {
        const now = performance.now();
        state.lags.push(Math.max(0, now - state.expected));
        state.expected = now + ${intervalMs};
      }, ${intervalMs});
      globalThis.__benchLagMonitor = state;
    })()`;
    await this.sendToWorker('Runtime.evaluate', { expression });
  }

  /** Stops the worker's lag monitor and returns the lag of every tick, in milliseconds. */
  async stopLagMonitor() {
    const expression = `(() => {
      const state = globalThis.__benchLagMonitor;
      clearInterval(state.timer);
      delete globalThis.__benchLagMonitor;
      return state.lags;
    })()`;
    const reply = await this.sendToWorker('Runtime.evaluate', { expression, returnByValue: true }, 60_000);
    return reply.result.value ?? [];
  }

  async pageHeapBytes() {
    return (await this.session.send('Runtime.getHeapUsage')).usedSize;
  }

  async workerHeapBytes() {
    return (await this.sendToWorker('Runtime.getHeapUsage', {}, 5_000)).usedSize;
  }

  async detach() {
    await this.session.detach().catch(() => undefined);
  }
}

/**
 * Samples the JavaScript heap (V8 `usedSize`) of the page and of its worker every `intervalMs`
 * until `stop()`, which returns the peak of each. A sample that fails (the worker is busy past
 * the timeout) is counted and skipped.
 */
export function sampleHeap(tools, intervalMs = 200) {
  const peaks = { pageBytes: 0, workerBytes: 0, samples: 0, failedSamples: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const [page, worker] = await Promise.allSettled([tools.pageHeapBytes(), tools.workerHeapBytes()]);
      if (page.status === 'fulfilled') peaks.pageBytes = Math.max(peaks.pageBytes, page.value);
      if (worker.status === 'fulfilled') peaks.workerBytes = Math.max(peaks.workerBytes, worker.value);
      if (page.status === 'fulfilled' && worker.status === 'fulfilled') peaks.samples++;
      else peaks.failedSamples++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peaks;
    },
  };
}

/**
 * Opens the app in a new page and returns the time from navigation start to the first frame that
 * shows a real-time probability, in milliseconds, with the page and its DevTools sessions.
 */
export async function openAndTimeFirstPrediction(context, url, timeoutMs, { profileWorkerStart = false } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  const tools = await PageDevTools.open(context, page, { profileWorkerStart });
  await page.goto(url, { timeout: timeoutMs });
  try {
    await page.waitForFunction(() => window.__benchFirstPredictionMs !== undefined && window.tandem !== undefined, null, { timeout: timeoutMs });
  } catch (error) {
    throw new Error(`The page at ${url} showed no prediction within ${timeoutMs / 1000} s (${error.message}). Page errors: ${errors.join(' | ') || 'none'}.`);
  }
  const startProfile = profileWorkerStart && (await tools.workerProfiling) ? await tools.stopProfiler() : null;
  const firstPredictionMs = await page.evaluate(() => window.__benchFirstPredictionMs);
  const backend = await page.evaluate(() => window.tandem.model.backend);
  const timeline = await readStartTimeline(page, tools);
  return { page, tools, errors, firstPredictionMs, backend, timeline, startProfile };
}

/**
 * Opens the app in a new page and waits until it has loaded its model (`window.tandem` is set).
 * For a model page that shows no real-time probability, such as an image model's.
 */
export async function openModelPage(context, url, timeoutMs) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(url, { timeout: timeoutMs });
  try {
    await page.waitForFunction(() => window.tandem !== undefined, null, { timeout: timeoutMs });
  } catch (error) {
    throw new Error(`The page at ${url} loaded no model within ${timeoutMs / 1000} s (${error.message}). Page errors: ${errors.join(' | ') || 'none'}.`);
  }
  const model = await page.evaluate(() => ({ backend: window.tandem.model.backend, loadMs: window.tandem.model.loadMs }));
  return { page, errors, ...model };
}

/**
 * Lists the resources that the page and its worker fetched, and the first time of each of the
 * app's start marks (`tandem:*`, src/shared/start-marks.ts).
 */
function listResources() {
  const marks = {};
  for (const mark of performance.getEntriesByType('mark')) {
    if (mark.name.startsWith('tandem:')) marks[mark.name.slice('tandem:'.length)] ??= mark.startTime;
  }
  return {
    timeOrigin: performance.timeOrigin,
    marks,
    resources: performance.getEntriesByType('resource').map((entry) => ({
      name: new URL(entry.name).pathname.split('/').pop(),
      startMs: entry.startTime,
      endMs: entry.responseEnd,
      // 0 when the response came from the HTTP cache, or after a 304 revalidation its header size only.
      transferBytes: entry.transferSize,
      bodyBytes: entry.decodedBodySize,
    })),
  };
}

/**
 * Returns the page's start-up timeline in milliseconds since navigation start: the page's own
 * milestones, and the resources fetched by the page and by the worker, with the worker's times
 * shifted onto the page's clock. The model's own load time comes from `ModelInfo.loadMs`.
 */
async function readStartTimeline(page, tools) {
  const pageSide = await page.evaluate(`(() => {
    const navigation = performance.getEntriesByType('navigation')[0];
    return {
      ...(${listResources.toString()})(),
      responseEndMs: navigation.responseEnd,
      domContentLoadedMs: navigation.domContentLoadedEventEnd,
      loadEventMs: navigation.loadEventEnd,
      modelLoadMs: window.tandem.model.loadMs,
    };
  })()`);
  const reply = await tools.sendToWorker('Runtime.evaluate', { expression: `(${listResources.toString()})()`, returnByValue: true });
  const workerSide = reply.result.value;
  const shift = workerSide.timeOrigin - pageSide.timeOrigin;
  return {
    responseEndMs: pageSide.responseEndMs,
    domContentLoadedMs: pageSide.domContentLoadedMs,
    loadEventMs: pageSide.loadEventMs,
    modelLoadMs: pageSide.modelLoadMs,
    workerStartMs: shift,
    marks: {
      ...pageSide.marks,
      ...Object.fromEntries(Object.entries(workerSide.marks).map(([name, ms]) => [name, ms + shift])),
    },
    resources: [
      ...pageSide.resources.map((entry) => ({ ...entry, thread: 'page' })),
      ...workerSide.resources.map((entry) => ({ ...entry, thread: 'worker', startMs: entry.startMs + shift, endMs: entry.endMs + shift })),
    ],
  };
}

/**
 * Sends `count` sequential real-time predictions from the page's main thread, each with a
 * different tenure, and returns their round trips with the worker's queue and compute times.
 * `warmup` requests go first and are not returned.
 */
export async function measureRealtime(page, count, warmup) {
  return page.evaluate(
    async ({ count, warmup }) => {
      const { client, model } = window.tandem;
      const sample = { ...model.manifest.sample };
      const results = [];
      for (let i = -warmup; i < count; i++) {
        const record = { ...sample, tenure: 1 + (i + warmup) * 0.125 };
        const started = performance.now();
        const result = await client.predict(model.id, record);
        const roundTripMs = performance.now() - started;
        if (i >= 0) results.push({ roundTripMs, queueMs: result.queueMs, computeMs: result.computeMs });
      }
      return results;
    },
    { count, warmup },
  );
}

/** Fetches the CSV at `csvUrl` into a `File` in the page and creates a batch job for it. */
export async function createJob(page, csvUrl, fileName) {
  return page.evaluate(
    async ({ csvUrl, fileName }) => {
      const { client, model } = window.tandem;
      const response = await fetch(csvUrl);
      if (!response.ok) throw new Error(`Fetching ${csvUrl} failed with HTTP ${response.status}.`);
      const file = new File([await response.blob()], fileName, { type: 'text/csv' });
      const started = performance.now();
      const job = await client.createJob(model.id, file);
      return { jobId: job.id, status: job.status, cachedFrom: job.cachedFrom, fileBytes: file.size, createMs: performance.now() - started };
    },
    { csvUrl, fileName },
  );
}

/** Fetches the zip file at `zipUrl` into a `File` in the page and creates an image job for it. */
export async function createImageJob(page, zipUrl, fileName) {
  return page.evaluate(
    async ({ zipUrl, fileName }) => {
      const { client, model } = window.tandem;
      const response = await fetch(zipUrl);
      if (!response.ok) throw new Error(`Fetching ${zipUrl} failed with HTTP ${response.status}.`);
      const file = new File([await response.blob()], fileName, { type: 'application/zip' });
      const started = performance.now();
      const job = await client.createImageJob(model.id, [file]);
      return { jobId: job.id, status: job.status, fileBytes: file.size, createMs: performance.now() - started };
    },
    { zipUrl, fileName },
  );
}

/**
 * Runs a created job to its end. With `requests` above 0 it also sends that many real-time
 * predictions while the job runs, one at a time, `intervalMs` apart on average. Each gap is drawn
 * uniformly from 0.5 to 1.5 times `intervalMs`, so the requests do not fall in step with the job's
 * chunks. With `stopWhenDone` no request is sent after the job ends. Returns the job summary,
 * its run time, its progress reports and the requests' timings.
 */
export async function runJob(page, jobId, { requests = 0, intervalMs = 5, stopWhenDone = false } = {}) {
  return page.evaluate(
    async ({ jobId, requests, intervalMs, stopWhenDone }) => {
      const { client, model } = window.tandem;
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const progress = [];
      let finishedAt = null;

      // Tasks over 50 ms on the page's main thread, as the Long Tasks API reports them.
      const longTasks = [];
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration);
      });
      observer.observe({ type: 'longtask' });

      const started = performance.now();
      const run = client
        .runJob(jobId, {
          onProgress: (report) => progress.push({ ms: performance.now() - started, rowsDone: report.rowsDone, status: report.status }),
        })
        .finally(() => {
          finishedAt = performance.now();
        });

      const sample = { ...model.manifest.sample };
      const predictions = [];
      for (let i = 0; i < requests; i++) {
        if (i > 0) await sleep(intervalMs * (0.5 + Math.random()));
        if (stopWhenDone && finishedAt !== null) break;
        const record = { ...sample, tenure: 1 + i * 0.125 };
        const sentMs = performance.now();
        const duringBatch = finishedAt === null;
        const result = await client.predict(model.id, record);
        predictions.push({
          sentMs: sentMs - started,
          roundTripMs: performance.now() - sentMs,
          queueMs: result.queueMs,
          computeMs: result.computeMs,
          duringBatch: duringBatch && finishedAt === null,
        });
      }

      const summary = await run;
      observer.disconnect();
      const metrics = await client.metrics();
      return { summary, runMs: finishedAt - started, progress, predictions, batchLane: metrics.batch, mainThreadLongTasksMs: longTasks };
    },
    { jobId, requests, intervalMs, stopWhenDone },
  );
}

/**
 * Reads what the worker stored for a job from the app's IndexedDB database (`tandem`): the number
 * of chunks the CSV reader produced, and the sizes of the reads from the stored file's stream.
 */
export async function inspectStoredJob(page, jobId) {
  return page.evaluate(async (jobId) => {
    const request = (idbRequest) =>
      new Promise((resolve, reject) => {
        idbRequest.onsuccess = () => resolve(idbRequest.result);
        idbRequest.onerror = () => reject(idbRequest.error);
      });
    const db = await request(indexedDB.open('tandem'));
    try {
      const job = await request(db.transaction('jobs').objectStore('jobs').get(jobId));
      const stored = await request(db.transaction('files').objectStore('files').get(jobId));
      if (!job || !stored?.file) throw new Error(`Job ${jobId} or its file is not in IndexedDB.`);
      const reader = stored.file.stream().getReader();
      let reads = 0;
      let maxBytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        reads++;
        maxBytes = Math.max(maxBytes, value.byteLength);
      }
      return { chunkCount: job.chunkCount, streamReads: reads, streamReadMaxBytes: maxBytes, fileBytes: stored.file.size };
    } finally {
      db.close();
    }
  }, jobId);
}

/**
 * Reads an image job's stored results from the app's IndexedDB database (`tandem`) and returns
 * the share of images whose most probable class is the label in the entry name
 * (`<index>_<label>.png`, as scripts/make-fashion-zip.mjs names them), and the error rows.
 */
export async function readImageAccuracy(page, jobId) {
  return page.evaluate(async (jobId) => {
    const request = (idbRequest) =>
      new Promise((resolve, reject) => {
        idbRequest.onsuccess = () => resolve(idbRequest.result);
        idbRequest.onerror = () => reject(idbRequest.error);
      });
    const db = await request(indexedDB.open('tandem'));
    try {
      const range = IDBKeyRange.bound([jobId, 0], [jobId, Number.MAX_SAFE_INTEGER]);
      const chunks = await request(db.transaction('chunks').objectStore('chunks').getAll(range));
      let rows = 0;
      let errorRows = 0;
      let labelled = 0;
      let correct = 0;
      for (const chunk of chunks) {
        for (let i = 0; i < chunk.rowCount; i++) {
          rows++;
          const predicted = chunk.topIndices[i * 3];
          if (predicted < 0) {
            errorRows++;
            continue;
          }
          const label = /_(\d+)\.png$/i.exec(chunk.names[i]);
          if (!label) continue;
          labelled++;
          if (predicted === Number(label[1])) correct++;
        }
      }
      return { rows, errorRows, labelled, accuracy: labelled > 0 ? correct / labelled : null };
    } finally {
      db.close();
    }
  }, jobId);
}

/**
 * Opens the app once more with Chrome tracing on, and sums how V8 compiled the runtime's
 * WebAssembly during that load. It counts the functions compiled lazily on the worker thread on
 * their first call (`wasm.CompileLazy`), the validation and optimizing compilation on background
 * threads, and any module read back from V8's code cache (a `wasm.*Deserializ*` event).
 */
export async function traceWasmCompilation(context, url, timeoutMs) {
  const blank = await context.newPage();
  const session = await context.newCDPSession(blank);
  const events = [];
  session.on('Tracing.dataCollected', (event) => events.push(...event.value));
  const complete = new Promise((resolve) => session.once('Tracing.tracingComplete', resolve));
  await session.send('Tracing.start', { categories: 'v8.wasm,disabled-by-default-v8.wasm.detailed', transferMode: 'ReportEvents' });
  let opened;
  try {
    opened = await openAndTimeFirstPrediction(context, url, timeoutMs);
  } finally {
    await session.send('Tracing.end');
    await withTimeout(complete, 60_000, 'Collecting the trace');
  }
  await opened.tools.detach();
  await opened.page.close();
  await session.detach();
  await blank.close();

  const threadNames = new Map();
  for (const event of events) {
    if (event.ph === 'M' && event.name === 'thread_name') threadNames.set(`${event.pid}:${event.tid}`, event.args.name);
  }
  const sum = (name, filter = () => true) => {
    const matching = events.filter((event) => event.name === name && event.ph === 'X' && filter(event));
    return { count: matching.length, ms: matching.reduce((total, event) => total + (event.dur ?? 0), 0) / 1000 };
  };
  const onWorker = (event) => threadNames.get(`${event.pid}:${event.tid}`) === 'DedicatedWorker thread';
  const lazy = events.filter((event) => event.name === 'wasm.CompileLazy' && event.ph === 'X' && onWorker(event));
  const largest = lazy.reduce((best, event) => ((event.dur ?? 0) > (best?.dur ?? -1) ? event : best), null);
  return {
    first_prediction_ms: opened.firstPredictionMs,
    lazy_compiled_on_worker: { count: lazy.length, ms: lazy.reduce((total, event) => total + (event.dur ?? 0), 0) / 1000 },
    largest_lazy_compile_ms: largest ? largest.dur / 1000 : null,
    validation_background: sum('wasm.ValidateFunctionsStreaming'),
    optimizing_compilation_background: sum('wasm.TopTierCompilation'),
    bytes_received_on_worker: sum('wasm.OnBytesReceived', onWorker),
    cache_reads: events.filter((event) => /^wasm\..*deserializ/i.test(event.name)).length,
  };
}
