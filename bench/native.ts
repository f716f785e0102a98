/**
 * The Node.js baseline of the benchmark: scores a CSV file with onnxruntime-node, using the app's
 * own CSV reader, column matching and feature encoding, in batches of `--batch` rows, with no
 * storage. Prints one JSON object on stdout: rows, rows per second and the time of each phase.
 *
 * bench/run.mjs bundles this file with bench/vite.native.config.ts and runs the bundle:
 *   node bench/.build/native/native.mjs --csv FILE [--manifest FILE] [--batch ROWS] [--threads N]
 */
import { openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { matchColumns } from '../src/shared/columns';
import { InvalidValueError } from '../src/shared/errors';
import { rocAuc } from '../src/shared/evaluation';
import { parseManifest } from '../src/shared/manifest';
import { createFeatureEncoder, parseLabel } from '../src/shared/tabular';
import { readCsv } from '../src/worker/readers/csv';

interface NativeResult {
  rows: number;
  rowErrors: number;
  /** The largest batch. A batch is also never larger than one chunk of the CSV reader. */
  batchRows: number;
  averageBatchRows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Wall-clock milliseconds of each phase, measured around the calls that do it. */
  phasesMs: { readParse: number; encode: number; infer: number };
  /** ROC AUC of the probabilities against the file's labels: a check that the scores are right. */
  rocAuc: number | null;
  meanProbability: number;
  onnxruntimeNode: string;
  /** onnxruntime-node's intra-op and inter-op threads, or 0 for its default. */
  threads: number;
  cpuCores: number;
}

const { values: options } = parseArgs({
  options: {
    csv: { type: 'string' },
    manifest: { type: 'string', default: 'public/models/churn/manifest.json' },
    batch: { type: 'string', default: '2048' },
    threads: { type: 'string', default: '1' },
  },
});

async function main(): Promise<NativeResult> {
  if (!options.csv) throw new Error('Missing --csv FILE: the CSV file to score.');
  const batchRows = Number(options.batch);
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new Error(`Invalid --batch ${options.batch}: give a positive whole number of rows.`);

  const manifestPath = options.manifest!;
  const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
  const tabular = manifest.tabular;
  if (!tabular) throw new Error(`The manifest ${manifestPath} has no "tabular" section, so it cannot score a CSV file.`);
  const encoder = createFeatureEncoder(tabular.features);
  const width = encoder.width;

  const threads = Number(options.threads);
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`Invalid --threads ${options.threads}: give a whole number, or 0 for onnxruntime's default.`);

  // The graph optimisation level of the app's WASM backend (src/worker/engine.ts). One thread by
  // default, like the app's WASM backend on a page that is not cross-origin isolated.
  const modelBytes = await readFile(join(dirname(manifestPath), manifest.model.file));
  const session = await ort.InferenceSession.create(modelBytes, {
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: threads } : {}),
  });
  const outputName = manifest.output.name;

  const file = await openAsBlob(options.csv);
  let encoded = new Float32Array(0);
  let probabilities = new Float32Array(1 << 20);
  const labels: number[] = [];
  let scored = 0;
  let rowErrors = 0;
  let batches = 0;
  let readParseMs = 0;
  let encodeMs = 0;
  let inferMs = 0;

  /** Scores `count` encoded rows in batches of at most `batchRows` and appends the probabilities. */
  const score = async (count: number) => {
    if (scored + count > probabilities.length) {
      const grown = new Float32Array(Math.max(probabilities.length * 2, scored + count));
      grown.set(probabilities);
      probabilities = grown;
    }
    for (let start = 0; start < count; start += batchRows) {
      const size = Math.min(batchRows, count - start);
      const feeds = { [tabular.input]: new ort.Tensor('float32', encoded.subarray(start * width, (start + size) * width), [size, width]) };
      const output = (await session.run(feeds))[outputName];
      if (!output) throw new Error(`The model has no output named "${outputName}". Its outputs are ${session.outputNames.join(', ')}.`);
      const values = output.data as Float32Array;
      const perRow = values.length / size;
      const positive = perRow === 1 ? 0 : Math.max(0, (manifest.output.labels ?? []).indexOf(manifest.output.positive_label ?? ''));
      for (let i = 0; i < size; i++) probabilities[scored + i] = values[i * perRow + positive]!;
      scored += size;
      batches++;
    }
  };

  const started = performance.now();
  const chunks = readCsv(file);
  let mapping: ReturnType<typeof matchColumns> | null = null;
  for (;;) {
    let phaseStarted = performance.now();
    const next = await chunks.next();
    readParseMs += performance.now() - phaseStarted;
    if (next.done) break;

    const { rows, problems, dialect } = next.value;
    let first = 0;
    if (!mapping) {
      mapping = matchColumns(rows[0]!, tabular);
      first = 1;
    }

    // Like the app's batch job: encode the whole chunk, then score its good rows.
    phaseStarted = performance.now();
    if (encoded.length < rows.length * width) encoded = new Float32Array(rows.length * width);
    let good = 0;
    for (let index = first; index < rows.length; index++) {
      const values = rows[index]!;
      if (problems.has(index) || values.length !== mapping.header.length) {
        rowErrors++;
        continue;
      }
      try {
        encoder.encodeValues(values, mapping, encoded, good * width, dialect.decimal);
      } catch (error) {
        if (!(error instanceof InvalidValueError)) throw error;
        rowErrors++;
        continue;
      }
      good++;
      if (tabular.label && mapping.labelColumn >= 0) labels.push(parseLabel(values[mapping.labelColumn], tabular.label) ?? -1);
    }
    encodeMs += performance.now() - phaseStarted;

    phaseStarted = performance.now();
    await score(good);
    inferMs += performance.now() - phaseStarted;
  }
  const seconds = (performance.now() - started) / 1000;

  // Outside the timed part: a check that the probabilities are the model's.
  const result = probabilities.subarray(0, scored);
  let sum = 0;
  for (const value of result) sum += value;
  const auc = labels.length === scored && labels.every((label) => label >= 0) ? rocAuc(result, labels) : null;

  return {
    rows: scored + rowErrors,
    rowErrors,
    batchRows,
    averageBatchRows: batches > 0 ? scored / batches : 0,
    seconds,
    rowsPerSecond: (scored + rowErrors) / seconds,
    phasesMs: { readParse: readParseMs, encode: encodeMs, infer: inferMs },
    rocAuc: auc,
    meanProbability: scored > 0 ? sum / scored : NaN,
    onnxruntimeNode: ort.env.versions.node ?? 'unknown',
    threads,
    cpuCores: cpus().length,
  };
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`native benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
