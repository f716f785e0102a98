/**
 * Writes the benchmark's results: bench/results.json as measured, and bench/RESULTS.md, a
 * readable page with the targets, where the batch time goes, and the likely cause of each miss.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fashionTestImages } from './generate-data.mjs';
import { similarSection } from './similar.mjs';

/** Formats a number for a table: at most `digits` decimals, with thousands separators. */
function format(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function percent(part, whole) {
  return whole > 0 ? `${format((100 * part) / whole, 0)} %` : 'n/a';
}

/**
 * Returns `file:line` of the first line of `file` that matches `pattern`, or just `file` when no
 * line matches. The page then cites the source as it is when the benchmark runs.
 */
function locate(file, pattern) {
  if (!existsSync(file)) return file;
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => pattern.test(line));
  return index < 0 ? file : `${file}:${index + 1}`;
}

/** Returns each target with the value it checks, the limit and whether the value is within it. */
export function checkTargets(results) {
  const idleP95 = results.realtime_p95_ms_idle;
  const duringLimit = Math.min(16, 2 * idleP95);
  const rateLimit = 0.5 * results.native_rows_per_s;
  return [
    {
      key: 'realtime_p95_ms_during_batch',
      target: `<= 2 x idle p95 (${format(2 * idleP95)} ms) and <= 16 ms, so <= ${format(duringLimit)} ms`,
      met: results.realtime_p95_ms_during_batch <= duringLimit,
    },
    {
      key: 'batch_rows_per_s',
      target: `>= 0.5 x native_rows_per_s (${format(rateLimit, 0)} rows/s)`,
      met: results.batch_rows_per_s >= rateLimit,
    },
    { key: 'batch_peak_heap_mb', target: '<= 300 MB', met: results.batch_peak_heap_mb <= 300 },
    { key: 'warm_start_ms', target: '<= 500 ms', met: results.warm_start_ms <= 500 },
  ];
}

function resultsTable(results, targets) {
  const rows = [
    ['cold_start_ms', format(results.cold_start_ms, 0), 'ms'],
    ['warm_start_ms', format(results.warm_start_ms, 0), 'ms'],
    ['realtime_p50_ms_idle', format(results.realtime_p50_ms_idle), 'ms'],
    ['realtime_p95_ms_idle', format(results.realtime_p95_ms_idle), 'ms'],
    ['realtime_p95_ms_during_batch', format(results.realtime_p95_ms_during_batch), 'ms'],
    ['batch_rows_per_s', format(results.batch_rows_per_s, 0), 'rows/s'],
    ['native_rows_per_s', format(results.native_rows_per_s, 0), 'rows/s'],
    ['batch_peak_heap_mb', format(results.batch_peak_heap_mb), 'MB'],
    ['images_per_s', format(results.images_per_s, 0), 'images/s', 'none set'],
    ['native_images_per_s', format(results.native_images_per_s, 0), 'images/s', 'none set'],
  ];
  const lines = ['| key | value | unit | target | status |', '| --- | ---: | --- | --- | --- |'];
  for (const [key, value, unit, note = ''] of rows) {
    const target = targets.find((entry) => entry.key === key);
    lines.push(`| \`${key}\` | ${value} | ${unit} | ${target ? target.target : note} | ${target ? (target.met ? 'met' : '**missed**') : ''} |`);
  }
  return lines.join('\n');
}

/** Builds the table of batch phases: Node.js timed around each call, the browser worker from its CPU profile. */
function phaseTable(results) {
  const native = results.details.native;
  const profile = results.details.batch_profile;
  const nativeTotal = native.seconds * 1000;
  const nativePhases = { 'read+parse': native.phasesMs.readParse, encode: native.phasesMs.encode, infer: native.phasesMs.infer };
  const names = profile ? Object.keys(profile.phasesMs) : Object.keys(nativePhases);
  const profileTotal = profile ? Object.values(profile.phasesMs).reduce((sum, value) => sum + value, 0) : 0;
  const perRow = (ms, rows) => format((1000 * ms) / rows, 2);

  const lines = [
    '| phase | Node.js, measured: ms | µs/row | share | browser worker, CPU profile: ms | µs/row | share |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const name of names) {
    const nativeMs = nativePhases[name];
    const browserMs = profile?.phasesMs[name];
    const nativeCells = nativeMs === undefined ? '- | | ' : `${format(nativeMs, 0)} | ${perRow(nativeMs, native.rows)} | ${percent(nativeMs, nativeTotal)}`;
    const browserCells = browserMs === undefined ? '- | | ' : `${format(browserMs, 0)} | ${perRow(browserMs, profile.rows)} | ${percent(browserMs, profileTotal)}`;
    lines.push(`| ${name} | ${nativeCells} | ${browserCells} |`);
  }
  const browserTotal = profile ? `${format(profileTotal, 0)} | ${perRow(profileTotal, profile.rows)} |` : '- | |';
  lines.push(`| total | ${format(nativeTotal, 0)} | ${perRow(nativeTotal, native.rows)} | | ${browserTotal} |`);
  return lines.join('\n');
}

/** Returns the command line that produced `results`. */
function benchCommand(results) {
  const images = results.details.images;
  let command = `npm run bench -- --rows ${results.rows}`;
  if (!images) command += ' --skip-images';
  else if (images.images !== fashionTestImages) command += ` --images ${images.images}`;
  return command;
}

/**
 * Describes the image batch in two list items: how its numbers are taken, then the ratio of the
 * two rates and where the time goes.
 */
function describeImages(results) {
  const images = results.details.images;
  if (!images) return '- **Images**: skipped (`--skip-images`).';
  const native = images.native;
  const threads = native.threads === 0 ? "onnxruntime's default threads" : `${native.threads} intra-op thread${native.threads === 1 ? '' : 's'}`;
  const nativeTotal = native.seconds * 1000;
  const phases = [
    ['reading and unzipping', native.phasesMs.readUnzip],
    ['PNG decoding', native.phasesMs.decode],
    ['preprocessing', native.phasesMs.preprocess],
    ['inference with the argmax', native.phasesMs.infer],
  ];
  const errorNames = images.sample_errors.map((error) => error.value).join(', ');

  const method =
    `- **Images**: \`images_per_s\` is ${format(images.images, 0)} Fashion-MNIST test images (a ${format(images.zip_bytes / 1024 ** 2)} MB zip of 28x28 PNG files from scripts/make-fashion-zip.mjs) ` +
    `divided by the time from calling \`runJob\` until its promise resolves (${format(images.run_job_ms / 1000, 2)} s) on the product-photo model, ` +
    'in a second Chromium with a fresh profile, so the result cache, keyed by each image\'s SHA-256, starts empty: read the stored zip, hash, decode with `createImageBitmap`, preprocess, infer, store. ' +
    `Creating the job took ${format(images.create_job_ms, 0)} ms and is not counted (with it: ${format(images.images_per_s_including_create, 0)} images/s). ` +
    `The job reported ${images.entry_errors} row error${images.entry_errors === 1 ? '' : 's'} among the ${format(images.entries, 0)} zip entries${errorNames ? ` (${errorNames})` : ''}. ` +
    "One is expected: the zip's labels.csv is an entry but no image. " +
    `\`native_images_per_s\`: bench/native-images.ts reads the zip with fflate, decodes each PNG with pngjs, runs the app's \`preprocessImage\` and scores with onnxruntime-node ${native.onnxruntimeNode} (${threads}) ` +
    `in batches of ${native.batchImages} images, with no storage. The figure is the mean of a run before and one after the browser measurements: ` +
    `${native.runs.map((run) => `${format(run.imagesPerSecond, 0)} images/s at a load average of ${format(run.loadAverage, 1)}`).join(' and ')}. ` +
    `Accuracy against the labels in the entry names: ${format(images.accuracy, 4)} in the browser and ${format(native.accuracy, 4)} in Node.js.` +
    (images.manifest_accuracy === null ? '' : ` The manifest's \`metrics.accuracy\` is ${format(images.manifest_accuracy, 4)} on its ${format(images.manifest_test_rows, 0)} test images.`);

  const timeSplit =
    `- **Images, where the time goes**: the browser reaches ${(results.images_per_s / results.native_images_per_s).toFixed(2)} times the Node.js rate. ` +
    `In Node.js (wall-clock time around each call, ${format(nativeTotal, 0)} ms): ${phases.map(([name, ms]) => `${name} ${format(ms, 0)} ms (${percent(ms, nativeTotal)})`).join(', ')}. ` +
    `In the browser, inference on the batch lane took about ${format(images.infer_ms_estimate, 0)} ms of ${format(images.run_job_ms, 0)} ms (${percent(images.infer_ms_estimate, images.run_job_ms)}), ` +
    `an estimate from ${format(images.lane_tasks_estimate, 0)} scheduler tasks times their median compute time of ${format(images.lane.computeMs.p50, 2)} ms. ` +
    'The remainder is reading the zip, hashing, decoding, preprocessing, storing and waiting, which the browser run does not split further.';
  return `${method}\n${timeSplit}${accuracyWarning(images)}`;
}

/** Returns a list item when the two accuracies differ, or the full set misses the manifest's figure, by more than 0.001. */
function accuracyWarning(images) {
  const tolerance = 0.001;
  const problems = [];
  if (images.accuracy === null || images.native.accuracy === null) problems.push('an accuracy is missing, so no entry name carried a label');
  else if (Math.abs(images.accuracy - images.native.accuracy) > tolerance) problems.push(`the browser (${format(images.accuracy, 4)}) and Node.js (${format(images.native.accuracy, 4)}) disagree`);
  if (images.manifest_accuracy !== null && images.images === images.manifest_test_rows && Math.abs(images.native.accuracy - images.manifest_accuracy) > tolerance) {
    problems.push(`Node.js (${format(images.native.accuracy, 4)}) is off the manifest's ${format(images.manifest_accuracy, 4)}`);
  }
  if (problems.length === 0) return '';
  return `\n- **Image accuracy check failed**: ${problems.join(', and ')}, by more than ${tolerance}. Check the zip, the model and the preprocessing before comparing the two rates: they may not measure the same work.`;
}

function latencyTable(details) {
  const row = (name, set) =>
    `| ${name} | ${set.requests_during_batch ?? set.requests} | ${format(set.round_trip_ms.p50, 2)} | ${format(set.round_trip_ms.p95, 2)} | ` +
    `${format(set.round_trip_ms.max, 1)} | ${format(set.queue_ms.p95, 2)} | ${format(set.compute_ms.p95, 2)} |`;
  const sparse = details.realtime_sparse_during_batch;
  return [
    '| requests | count | round trip p50 | round trip p95 | round trip max | scheduler queue p95 | encode + infer p95 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('idle', details.realtime_idle),
    row(`during the batch, ${format(details.realtime_during_batch.mean_interval_ms, 0)} ms apart (\`realtime_p95_ms_during_batch\`)`, details.realtime_during_batch),
    row(`during the batch, ${format(sparse.mean_interval_target_ms, 0)} ms apart`, sparse),
  ].join('\n');
}

function blockingTable(details) {
  const row = (name, blocking) => {
    const lag = blocking.worker_timer_lag_ms;
    return (
      `| ${name} | ${format(lag.p95, 1)} | ${format(lag.p99, 1)} | ${format(lag.max, 0)} | ${blocking.worker_ticks_late_over_16_ms} of ${blocking.worker_ticks} | ` +
      `${blocking.main_thread_long_tasks} | ${format(blocking.main_thread_long_task_max_ms, 0)} |`
    );
  };
  return [
    '| batch run | worker timer lag p95 | p99 | max | ticks over 16 ms late | main-thread tasks over 50 ms | longest |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('without requests', details.blocking.without_requests),
    row('with the spread requests', details.blocking.with_requests),
    row(`with a request every ${details.realtime_sparse_during_batch.mean_interval_target_ms} ms`, details.blocking.with_sparse_requests),
  ].join('\n');
}

/** The steps of a start, by their marks (src/shared/start-marks.ts), in the order they happen. */
const startSteps = [
  ['model-requested', 'the page script asks the worker for the model'],
  ['worker-started', "the worker's script runs"],
  ['model-fetched', 'the manifest and the model file are in the worker'],
  ['runtime-started', "onnxruntime-web's WebAssembly is started (a one-node model compiled)"],
  ['model-compiled', 'the model is compiled'],
  ['model-ready', 'the warm-up run is done'],
  ['model-received', "the page has the model's info"],
  ['first-result', "the form's first result is rendered"],
];

function startTable(details, results) {
  const row = (name, timeline) => {
    const wasm = timeline.resources.find((entry) => entry.name.endsWith('.wasm'));
    return `| ${name} | ${format(timeline.domContentLoadedMs, 0)} | ${format(timeline.workerStartMs, 0)} | ${wasm ? format(wasm.endMs, 0) : 'n/a'} | ${format(timeline.modelLoadMs, 0)} |`;
  };
  const start = details.start;
  const marks = start.warm_marks_median_ms ?? {};
  const loads = start.warm_loads_ms ?? [results.warm_start_ms];
  const steps = startSteps
    .filter(([name]) => marks[name] !== undefined)
    .map(([name, what]) => `| \`${name}\` | ${what} | ${format(marks[name], 0)} |`);
  return [
    '| load | DOMContentLoaded | worker started | runtime .wasm received | model load in the worker (`loadMs`) |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('cold', start.cold),
    row('warm (the median load)', start.warm),
    '',
    `The warm start is the median of ${loads.length} return visits: ${loads.map((ms) => format(ms, 0)).join(', ')} ms. ` +
      `Each step's time below is the median over the same visits, in ms since navigation start (worker times shifted onto the page's clock).`,
    '',
    '| mark | step | ms |',
    '| --- | --- | ---: |',
    ...steps,
    `| | first frame that shows the prediction (\`warm_start_ms\`) | ${format(results.warm_start_ms, 0)} |`,
  ].join('\n');
}

/** Collects the code locations and chunking facts that the notes on missed targets cite. */
function chunking(results) {
  const details = results.details;
  const stored = details.stored_job;
  // Rows that 128 K characters hold in this file: the reader's chunk size when reads are small.
  const rowsPer128K = (128 * 1024) / (details.csv_bytes / results.rows);
  return {
    rowsPer128K,
    // A stored chunk contains the reader chunks of one commit, so the reader's own chunk size is
    // no longer in storage.
    rowsPerChunk: null,
    chunkCount: stored?.chunkCount ?? null,
    commitCall: locate('src/worker/batch-job.ts', /this\.commit\(job, record\)/),
    readMaxKiB: stored ? stored.streamReadMaxBytes / 1024 : null,
    parseCall: locate('src/worker/readers/csv.ts', /pending\.length >= chunkChars/),
    encodeLoop: locate('src/worker/batch-job.ts', /encoder\.encodeValues\(/),
    evaluateCall: locate('src/worker/batch-job.ts', /await this\.evaluate\(job/),
    holdSetting: locate('src/worker/api.ts', /interactionHoldMs/),
    holdCheck: locate('src/worker/scheduler.ts', /this\.holdRemaining\(\)/),
    holdMs: /interactionHoldMs:\s*(\d+)/.exec(existsSync('src/worker/api.ts') ? readFileSync('src/worker/api.ts', 'utf8') : '')?.[1] ?? null,
  };
}

/**
 * Explains the latency of the real-time requests in `during`, one of the during-batch sets, with
 * `blocking`, the event-loop measurements of the same run.
 */
function explainLatency(results, facts, during, blocking, title) {
  const details = results.details;
  const profile = details.batch_profile;
  const outsideMs = during.round_trip_ms.p95 - during.queue_ms.p95 - during.compute_ms.p95;
  const lag = blocking.worker_timer_lag_ms;
  let text =
    `**${title}** The p95 round trip is ${format(during.round_trip_ms.p95)} ms, but the p95 wait in the scheduler's queue is ` +
    `${format(during.queue_ms.p95, 2)} ms and the p95 encode + infer ${format(during.compute_ms.p95, 2)} ms. The other ${format(outsideMs)} ms or so (derived) ` +
    'pass in messaging and before the worker takes the request message, while its event loop runs other work, which the real-time lane cannot overtake. ' +
    `In the same run a ${details.blocking.lag_timer_interval_ms} ms timer in the worker ran p95 ${format(lag.p95)} ms and at most ${format(lag.max, 0)} ms late ` +
    `(${blocking.worker_ticks_late_over_16_ms} of ${blocking.worker_ticks} ticks over 16 ms), and the page's main thread had ${blocking.main_thread_long_tasks} tasks over 50 ms ` +
    `(longest ${format(blocking.main_thread_long_task_max_ms, 0)} ms). `;

  if (facts.rowsPerChunk !== null && facts.rowsPerChunk > 2 * facts.rowsPer128K) {
    text +=
      `The CSV reader produced chunks of ${format(facts.rowsPerChunk, 0)} rows on average (measured from the stored job), where 128 K characters hold about ${format(facts.rowsPer128K, 0)}: ` +
      `Chromium returned reads of up to ${format(facts.readMaxKiB, 0)} KiB from the stored file's stream, and \`readCsv\` parsed everything pending after a read at once (${facts.parseCall}). ` +
      `\`scoreRows\` then encodes the whole chunk before its first \`await\` (${facts.encodeLoop}). `;
  } else if (facts.rowsPerChunk !== null) {
    text += `The CSV reader's chunks averaged ${format(facts.rowsPerChunk, 0)} rows, about 128 K characters (measured from the stored job). `;
  }
  if (profile) {
    const perChunk = (profile.phasesMs['read+parse'] + profile.phasesMs.encode) / (profile.rows / facts.rowsPer128K);
    text += `Parsing and encoding one reader chunk of 128 K characters took about ${format(perChunk, 1)} ms in the profiled run (CPU profile). `;
  }
  if (profile?.phasesMs.evaluate > 0) {
    const scaledMs = (profile.phasesMs.evaluate * results.rows) / profile.rows;
    text += `The evaluation after the last chunk (${facts.evaluateCall}) took ${format(profile.phasesMs.evaluate, 0)} ms of CPU for ${format(profile.rows, 0)} rows in the profiled run, about ${format(scaledMs, 0)} ms for the whole file`;
    text += lag.max > 0.5 * scaledMs && lag.max < 2 * scaledMs ? ', close to the longest timer delay, which is likely that step. ' : '. ';
  }
  const load = Math.max(details.load_average.start, details.load_average.end);
  if (load > results.machine.cores) {
    text +=
      `The machine's 1-minute load average reached ${format(load, 1)} on ${results.machine.cores} cores and the idle p95 is ` +
      `${format(results.realtime_p95_ms_idle)} ms in this run, so part of each wait is likely the worker thread waiting for a CPU.`;
  }
  return text.trim();
}

function explainThroughput(results, facts) {
  const details = results.details;
  const alone = details.batch_without_requests;
  const sparse = details.realtime_sparse_during_batch;
  const during = details.realtime_during_batch;
  const profile = details.batch_profile;
  const limit = 0.5 * results.native_rows_per_s;
  let text =
    `**Batch throughput.** ${format(results.batch_rows_per_s, 0)} rows/s for the batch alone, ${format(during.batch_rows_per_s, 0)} rows/s with the real-time requests, ` +
    `and ${format(sparse.batch_rows_per_s, 0)} rows/s with a request every ${sparse.mean_interval_target_ms} ms, against ${format(results.native_rows_per_s, 0)} rows/s in Node.js. `;

  if (during.batch_rows_per_s < 0.9 * alone.rows_per_s) {
    text +=
      `${during.batch_rows_per_s >= limit ? 'With the requests the batch still meets the target' : 'The requests lower the rate further'}: ` +
      `after each one the scheduler starts no batch task for ${facts.holdMs ?? 'a while'} ms (${facts.holdSetting}, checked in ${facts.holdCheck}). ` +
      `The ${during.requests_during_batch} requests came ${format(during.mean_interval_ms, 0)} ms apart on average, and when the last one was sent the job had reported ` +
      `${format(during.rows_done_by_last_request, 0)} of ${format(results.rows, 0)} rows done. `;
  }

  if (profile) {
    const total = Object.values(profile.phasesMs).reduce((sum, value) => sum + value, 0);
    const top = Object.entries(profile.phasesMs).sort((a, b) => b[1] - a[1]).slice(0, 3);
    text += `In the worker's CPU profile the largest phases are ${top.map(([name, ms]) => `${name} (${percent(ms, total)})`).join(', ')}. `;
    const topNames = new Set(top.map(([name]) => name));
    if (topNames.has('idle') || topNames.has('store')) {
      const meanings = [];
      if (topNames.has('idle')) meanings.push('"idle" is the worker waiting for reads of the stored file, for IndexedDB commits and for its own yields to the event loop');
      if (topNames.has('store')) meanings.push('"store" is its own IndexedDB work');
      text +=
        `${meanings.join(', and ')}. The job commits the reader chunks scored in about 100 ms together, in ${format(facts.chunkCount ?? profile.chunkCount, 0)} transactions ` +
        `(${facts.commitCall}). `;
    }
    const native = details.native;
    const parseRatio = profile.phasesMs['read+parse'] / profile.rows / (native.phasesMs.readParse / native.rows);
    const encodeRatio = profile.phasesMs.encode / profile.rows / (native.phasesMs.encode / native.rows);
    text +=
      `Per row, reading and parsing cost ${parseRatio.toFixed(1)} times as much as in Node.js and encoding ${encodeRatio.toFixed(1)} times, with the same code ` +
      '(the browser figures come from a profiled run, which the profiler slows down).';
  }
  return text.trim();
}

function explainHeap(results) {
  const heap = results.details.heap;
  return (
    `**Heap.** Peak ${format(heap.page_peak_mb)} MB on the page and ${format(heap.worker_peak_mb)} MB in the worker. ` +
    'The heap was only sampled, with no allocation profile, so this page does not say which objects fill it.'
  );
}

/** Says how a resource arrived, from its Resource Timing sizes. */
function describeTransfer(entry) {
  if (!entry) return 'not seen';
  if (entry.transferBytes === 0) return 'from a cache, with no request to the server';
  if (entry.transferBytes < 2048 && entry.bodyBytes > 2048) return 'revalidated with the server and read from the HTTP cache';
  return `downloaded, ${format(entry.transferBytes / 1024 ** 2)} MB over the wire`;
}

function explainWarmStart(results) {
  const details = results.details;
  const start = details.start;
  const marks = start.warm_marks_median_ms ?? {};
  const trace = start.trace;
  const wasm = start.warm.resources.find((entry) => entry.name.endsWith('.wasm'));
  let text =
    `**Warm start.** In the median return visit the page script asks for the model at ${format(marks['model-requested'], 0)} ms, ` +
    `the worker's script runs at ${format(marks['worker-started'], 0)} ms, and the runtime's .wasm ` +
    `(${format((wasm?.bodyBytes ?? 0) / 1024 ** 2)} MB, ${describeTransfer(wasm)}) is in at ${wasm ? format(wasm.endMs, 0) : 'n/a'} ms. ` +
    `onnxruntime-web then runs until ${format(marks['runtime-started'], 0)} ms before its first session exists; compiling the model itself and its warm-up run take ` +
    `${format((marks['model-ready'] ?? NaN) - (marks['runtime-started'] ?? NaN), 0)} ms, and the page shows the result ${format(results.warm_start_ms - (marks['model-ready'] ?? NaN), 0)} ms after the model is ready. `;
  if (trace) {
    text +=
      `A traced visit shows where the runtime's start goes: V8 compiled ${format(trace.lazy_compiled_on_worker.count, 0)} of the runtime's WebAssembly functions on the worker thread, ` +
      `each on its first call, in ${format(trace.lazy_compiled_on_worker.ms, 0)} ms (the largest alone ${format(trace.largest_lazy_compile_ms, 0)} ms), ` +
      `while background threads validated the module for ${format(trace.validation_background.ms, 0)} ms and optimized ${format(trace.optimizing_compilation_background.count, 0)} hot functions for ${format(trace.optimizing_compilation_background.ms, 0)} ms, ` +
      `on a machine with ${results.machine?.cores ?? 2} cores. ` +
      (trace.cache_reads === 0
        ? 'V8 read no compiled code from its cache in that visit (the trace has no deserialization event), so every visit compiles these functions again. '
        : `V8 read compiled code from its cache ${trace.cache_reads} times in that visit. `);
  }
  const profile = details.start_profile;
  if (profile) {
    text +=
      `A visit with the worker under the CPU profiler (first prediction at ${format(profile.firstPredictionMs, 0)} ms) ` +
      `spent ${format(profile.phasesMs['onnxruntime-web'], 0)} ms of worker time in onnxruntime-web's JavaScript and WebAssembly, ` +
      `${format(profile.phasesMs.app, 0)} ms in app code and ${format(profile.phasesMs.idle, 0)} ms idle. `;
  }
  text +=
    `What the app controls is already overlapped: the page script starts the worker and the model load before it defines its elements (${locate('src/app/main.ts', /start-model-load/)}), ` +
    `the worker starts the runtime with a one-node model while it fetches the manifest and the model (${locate('src/worker/engine.ts', /async function startRuntime/)}) ` +
    `and loads its batch code only when a batch starts (${locate('src/worker/api.ts', /import\('\.\/batch-job'\)/)}), ` +
    `the plain WASM build loads on ?backend=wasm (${locate('src/worker/engine.ts', /import\('onnxruntime-web\/wasm'\)/)}), ` +
    `and the page renders the form alone until its first result (${locate('src/app/tandem-app.ts', /showRestAfterPaint = /)}). ` +
    `What remains is the browser starting the worker (${format((marks['worker-started'] ?? NaN) - (marks['model-requested'] ?? NaN), 0)} ms from the request to the worker's script running) ` +
    'and the runtime\'s own start-up, which only a smaller build of onnxruntime-web (fewer operators, so fewer functions to compile) would shorten.';
  return text;
}

/**
 * Notes what the target keys alone would hide: a latency target met while the batch stood still,
 * and the latency of the sparse requests, which come further apart than the scheduler's hold so
 * that each one meets a running batch.
 */
function otherFindings(results, targets) {
  const details = results.details;
  const during = details.realtime_during_batch;
  const sparse = details.realtime_sparse_during_batch;
  const latencyTarget = targets.find((target) => target.key === 'realtime_p95_ms_during_batch');
  const limit = Math.min(16, 2 * results.realtime_p95_ms_idle);
  const notes = [];

  if (latencyTarget.met && during.rows_done_by_last_request < 0.5 * results.rows) {
    notes.push(
      `**The latency target is met while the batch waits.** When the last of the ${during.requests_during_batch} spread requests was sent, the job had reported ` +
        `${format(during.rows_done_by_last_request, 0)} of ${format(results.rows, 0)} rows done: requests ${format(during.mean_interval_ms, 0)} ms apart keep the scheduler's hold ` +
        `(${chunking(results).holdSetting}) in force, so few of them meet batch work. The requests ${sparse.mean_interval_target_ms} ms apart, in the next note, do.`,
    );
  }
  if (sparse.round_trip_ms.p95 > limit) {
    const title = `Requests that meet a running batch.`;
    const note = explainLatency(results, chunking(results), sparse, details.blocking.with_sparse_requests, title);
    notes.push(
      `${note} Measured against the target, this p95 is over ${format(limit)} ms. ` +
        `It is not a target key: it shows what a request waits for when it arrives while the batch works (${sparse.requests_during_batch} requests, ${sparse.mean_interval_target_ms} ms apart on average).`,
    );
  }
  return notes.length === 0 ? '' : `\n## Other findings\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`;
}

/** Explains each missed target in a few sentences built from the measured numbers. */
function explainMisses(results, targets) {
  const missed = new Set(targets.filter((target) => !target.met).map((target) => target.key));
  const facts = chunking(results);
  const notes = [];
  if (missed.has('realtime_p95_ms_during_batch')) {
    notes.push(explainLatency(results, facts, results.details.realtime_during_batch, results.details.blocking.with_requests, 'Real-time during the batch.'));
  }
  if (missed.has('batch_rows_per_s')) notes.push(explainThroughput(results, facts));
  if (missed.has('batch_peak_heap_mb')) notes.push(explainHeap(results));
  if (missed.has('warm_start_ms')) notes.push(explainWarmStart(results));
  return notes;
}

function markdown(results) {
  const details = results.details;
  const targets = checkTargets(results);
  const batch = details.batch;
  const alone = details.batch_without_requests;
  const profile = details.batch_profile;
  const during = details.realtime_during_batch;
  const otherMs = alone.run_job_ms - alone.infer_ms_estimate;
  const evaluateMs = alone.scoring_end_ms === null ? null : alone.run_job_ms - alone.scoring_end_ms;
  const misses = explainMisses(results, targets);
  const native = details.native;
  const threads = native.threads === 0 ? "onnxruntime's default threads" : `${native.threads} intra-op thread${native.threads === 1 ? '' : 's'}, like the browser's single-threaded WASM`;

  return `# Tandem benchmark results

Produced by \`${benchCommand(results)}\` (bench/run.mjs) on ${results.date.slice(0, 10)}.
Machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${format(results.machine.memory_gb)} GB memory.
Browser: Chromium ${results.browser_version}, headless, backend \`${results.backend}\`, single-threaded because the page is not cross-origin isolated.
Batch file: ${format(results.rows, 0)} data rows (${format(details.csv_bytes / 1024 ** 2)} MB), drawn with a fixed seed from the 7,043 customers of public/data/churn.csv.
The targets assume a 2-core machine. 1 MB = 1,048,576 bytes.
Other programs shared the machine, so repeated runs vary: the 1-minute load average was ${format(details.load_average.start, 2)} at the start and ${format(details.load_average.end, 2)} at the end.

## Results

${resultsTable(results, targets)}

How each number is taken:

- **Start**: from navigation start to the first animation frame that shows a real-time probability. Cold: a fresh profile. Warm: the median of ${(details.start.warm_loads_ms ?? [0]).length} return visits, each a new page in the same profile a second after the last closed, opened once the first page's service worker has precached the app and controls it${details.start.offline_copy_ms == null ? ' (this run saw no service worker)' : ` (${format(details.start.offline_copy_ms / 1000, 1)} s after the first navigation)`}, so the caches the first visit fills are full (\`vite preview\` sends \`Cache-Control: no-cache\`).
- **Real-time**: \`window.tandem.client.predict\` timed with \`performance.now()\` on the main thread, ${details.realtime_idle.requests} sequential requests, each with a different \`tenure\`, after ${details.realtime_idle.warmup_requests} uncounted warm-up requests. During the batch, ${during.requests_during_batch} of ${during.requests} requests were sent before the job finished, and only those count. They are spread over the time the same batch took without requests: ${format(during.mean_interval_ms, 0)} ms apart on average, each gap drawn from 0.5 to 1.5 times the mean, and never less than 2.5 ms.
- **Batch**: the CSV is fetched into a \`File\` in the page. Creating the job, which stores the file in IndexedDB, took ${format(batch.create_job_ms, 0)} ms and is not counted. \`batch_rows_per_s\` is rows divided by the time from calling \`runJob\` until its promise resolves (${format(batch.run_job_ms / 1000, 2)} s), in the run of the batch alone: read, parse, encode, infer, store, and the evaluation at the end. With job creation: ${format(batch.rows_per_s_including_create, 0)} rows/s. The runs with real-time requests are separate and report their own rates: ${format(during.batch_rows_per_s, 0)} rows/s (${format(during.run_job_ms / 1000, 2)} s) with the requests below, and ${format(details.realtime_sparse_during_batch.batch_rows_per_s, 0)} rows/s with a request every ${details.realtime_sparse_during_batch.mean_interval_target_ms} ms.
- **Native**: bench/native.ts, bundled by Vite, runs the app's CSV reader, column matching and feature encoding in Node.js ${process.version} and scores with onnxruntime-node ${native.onnxruntimeNode} (${threads}) in batches of at most ${native.batchRows} rows (${format(native.averageBatchRows, 0)} on average, one batch per reader chunk), with no storage. It runs before and after the browser measurements, and the figures are the mean of the two: ${native.runs.map((run) => `${format(run.rowsPerSecond, 0)} rows/s at a load average of ${format(run.loadAverage, 1)}`).join(' and ')}.
- **Heap**: V8 \`usedSize\` from \`Runtime.getHeapUsage\` over the Chrome DevTools Protocol, on the page and in the worker, every ${details.heap.interval_ms} ms from job creation until the job completes (${details.heap.samples} samples): peak page ${format(details.heap.page_peak_mb)} MB + peak worker ${format(details.heap.worker_peak_mb)} MB. WASM memory and Blob data are not part of it. Without requests: ${format(alone.peak_heap_mb)} MB.
- **Checks**: the job scored ${format(results.rows, 0)} rows with ${batch.row_errors} row errors. Its ROC AUC is ${format(batch.roc_auc, 5)} in the browser and ${format(native.rocAuc, 5)} in Node.js.
${describeImages(results)}

## Where the time goes in the batch

${phaseTable(results)}

- **Node.js (measured)**: wall-clock time around each call over the ${format(native.rows, 0)}-row file, the mean of the two runs. It has no store phase.
- **Browser worker (CPU profile, sampled every 1 ms)**: ${profile ? `a separate ${format(profile.rows, 0)}-row job run under the V8 profiler after the timed ones, with no requests (${format(profile.runMs, 0)} ms under the profiler, results committed in ${format(profile.chunkCount, 0)} transactions). Functions are mapped to phases through the build's source maps, and a built-in function counts for its caller. "store" is the worker's own share of IndexedDB work (building records and cloning them); the commit itself runs outside the worker, which waits for it while idle. "idle" is the worker waiting for file reads, IndexedDB commits and messages. "job loop" is the batch job's own code, the scheduler and Comlink.` : 'skipped (--profile-rows 0).'}
- **Browser, from the page (derived)**: in the run without requests, inference on the batch lane took about ${format(alone.infer_ms_estimate, 0)} ms of ${format(alone.run_job_ms, 0)} ms (${percent(alone.infer_ms_estimate, alone.run_job_ms)}). That is an estimate, ${format(alone.lane_tasks_estimate, 0)} scheduler tasks times their median compute time of ${format(alone.lane.computeMs.p50, 2)} ms, because \`metrics()\` keeps percentiles only. The other ${format(otherMs, 0)} ms (read, parse, encode, store, evaluation) are the remainder.${evaluateMs === null ? '' : ` The evaluation after the last chunk took about ${format(evaluateMs, 0)} ms, derived from the last progress report of the scoring loop (which may trail the last commit by up to 100 ms) until completion.`}

## Real-time latency

${latencyTable(details)}

How busy the threads were during each batch run, measured in ms. A timer in the worker fires every ${details.blocking.lag_timer_interval_ms} ms, and a tick that runs late shows how long other tasks kept the worker's event loop busy. The page's tasks over 50 ms come from the Long Tasks API.

${blockingTable(details)}

## Start-up (ms since navigation start)

${startTable(details, results)}

First prediction shown: cold ${format(results.cold_start_ms, 0)} ms, warm ${format(results.warm_start_ms, 0)} ms.

## Why targets are missed

${misses.length === 0 ? 'All targets are met.' : misses.map((note) => `- ${note}`).join('\n')}
${otherFindings(results, targets)}${errorList(details.page_errors)}`;
}

function errorList(errors) {
  if (errors.length === 0) return '';
  return `\n## Page errors during the run\n\n${errors.map((error) => `- ${error}`).join('\n')}\n`;
}

/** Writes results.json and RESULTS.md into `dir`. */
export function writeReport(results, dir) {
  writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${dir}/RESULTS.md`, markdown(results) + similarSection(results));
}
