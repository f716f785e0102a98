/**
 * The Node.js baseline of the image benchmark: scores the PNG images of a zip file with
 * onnxruntime-node, using the app's own preprocessing (src/worker/preprocess/image.ts), in batches
 * of `--batch` images, with no storage. Prints one JSON object on stdout: images, images per
 * second, the time of each phase and the accuracy against the labels in the entry names.
 *
 * The browser decodes with createImageBitmap and an OffscreenCanvas. Here pngjs decodes to the
 * same RGBA layout, and the preprocessing and the model are the same.
 *
 * bench/run.mjs bundles this file with bench/vite.native.config.ts and runs the bundle:
 *   node bench/.build/native/native-images.mjs --zip FILE [--manifest FILE] [--batch IMAGES] [--threads N]
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { parseManifest } from '../src/shared/manifest';
import { preprocessImage, type ImageSpec } from '../src/worker/preprocess/image';

interface NativeImageResult {
  /** PNG entries scored. Other entries, such as the zip's labels.csv, are skipped and not counted. */
  images: number;
  skippedEntries: number;
  batchImages: number;
  seconds: number;
  imagesPerSecond: number;
  /** Wall-clock milliseconds of each phase, measured around the calls that do it. */
  phasesMs: { readUnzip: number; decode: number; preprocess: number; infer: number };
  /** Share of images whose most probable class is the label in the entry name, or null without labels. */
  accuracy: number | null;
  onnxruntimeNode: string;
  /** onnxruntime-node's intra-op and inter-op threads, or 0 for its default. */
  threads: number;
  cpuCores: number;
}

const { values: options } = parseArgs({
  options: {
    zip: { type: 'string' },
    manifest: { type: 'string', default: 'public/models/product-photo/manifest.json' },
    batch: { type: 'string', default: '256' },
    threads: { type: 'string', default: '1' },
  },
});

/** scripts/make-fashion-zip.mjs names each entry `<index>_<label>.png`, with the class index as label. */
const labelledName = /_(\d+)\.png$/i;

/** Returns the index of the largest of the `classes` values of row `row`. */
function argmax(values: Float32Array, row: number, classes: number): number {
  let best = 0;
  for (let k = 1; k < classes; k++) if (values[row * classes + k]! > values[row * classes + best]!) best = k;
  return best;
}

async function main(): Promise<NativeImageResult> {
  if (!options.zip) throw new Error('Missing --zip FILE: the zip file of PNG images to score.');
  const batchImages = Number(options.batch);
  if (!Number.isInteger(batchImages) || batchImages < 1) throw new Error(`Invalid --batch ${options.batch}: give a positive whole number of images.`);
  const threads = Number(options.threads);
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`Invalid --threads ${options.threads}: give a whole number, or 0 for onnxruntime's default.`);

  const manifestPath = options.manifest!;
  const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
  const spec = manifest.image as ImageSpec | undefined;
  if (!spec) throw new Error(`The manifest ${manifestPath} has no "image" section, so it cannot score images.`);
  const outputName = manifest.output.name;
  const classes = manifest.output.labels?.length ?? 0;
  if (classes < 2) throw new Error(`The manifest ${manifestPath} lists ${classes} output labels, but an image classifier needs at least 2.`);
  const pixels = spec.size.width * spec.size.height;

  // The graph optimisation level of the app's WASM backend (src/worker/engine.ts). One thread by
  // default, like the app's WASM backend on a page that is not cross-origin isolated.
  const modelBytes = await readFile(join(dirname(manifestPath), manifest.model.file));
  const session = await ort.InferenceSession.create(modelBytes, {
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: threads } : {}),
  });

  let decodeMs = 0;
  let preprocessMs = 0;
  let inferMs = 0;
  let images = 0;
  let skippedEntries = 0;
  let labelled = 0;
  let correct = 0;
  const batch = new Float32Array(batchImages * pixels);
  const batchLabels = new Int32Array(batchImages);
  let batchSize = 0;

  /** Scores the images gathered in `batch` and counts the correct predictions. */
  const scoreBatch = async () => {
    const started = performance.now();
    const input = new ort.Tensor('float32', batch.subarray(0, batchSize * pixels), [batchSize, 1, spec.size.height, spec.size.width]);
    const output = (await session.run({ [spec.input]: input }))[outputName];
    if (!output) throw new Error(`The model has no output named "${outputName}". Its outputs are ${session.outputNames.join(', ')}.`);
    const logits = output.data as Float32Array;
    for (let i = 0; i < batchSize; i++) {
      if (batchLabels[i]! < 0) continue;
      labelled++;
      if (argmax(logits, i, classes) === batchLabels[i]) correct++;
    }
    inferMs += performance.now() - started;
    batchSize = 0;
  };

  const started = performance.now();
  const entries = unzipSync(await readFile(options.zip));
  const readUnzipMs = performance.now() - started;

  // unzipSync returns the entries in archive order, which is the order the browser reads them.
  for (const [name, bytes] of Object.entries(entries)) {
    if (!/\.png$/i.test(name)) {
      skippedEntries++;
      continue;
    }

    let phaseStarted = performance.now();
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    decodeMs += performance.now() - phaseStarted;

    phaseStarted = performance.now();
    const { tensor } = preprocessImage(png.data, png.width, png.height, spec);
    batch.set(tensor, batchSize * pixels);
    preprocessMs += performance.now() - phaseStarted;

    const label = labelledName.exec(name);
    batchLabels[batchSize] = label ? Number(label[1]) : -1;
    batchSize++;
    images++;
    if (batchSize === batchImages) await scoreBatch();
  }
  if (batchSize > 0) await scoreBatch();
  const seconds = (performance.now() - started) / 1000;

  return {
    images,
    skippedEntries,
    batchImages,
    seconds,
    imagesPerSecond: images / seconds,
    phasesMs: { readUnzip: readUnzipMs, decode: decodeMs, preprocess: preprocessMs, infer: inferMs },
    accuracy: labelled > 0 ? correct / labelled : null,
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
    process.stderr.write(`native image benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
