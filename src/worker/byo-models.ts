/**
 * Models the user opens from a file or a URL, with or without a manifest. The bytes and the
 * manifest (given, or derived from the model) are stored in IndexedDB under the file's SHA-256,
 * and the model is then loaded through the manifest URL `stored:<sha256>`, like a shipped one.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import { checkRunnable, deriveManifest, listOperators, type ModelDetails } from '../shared/derive-manifest';
import { TandemError, describeError } from '../shared/errors';
import { bytesToHex, sha256 } from '../shared/hash';
import { createLogger } from '../shared/logger';
import { parseManifest, type ModelManifest } from '../shared/manifest';
import { readOnnxModel, removeZipMaps, type OnnxModelSummary } from '../shared/onnx-proto';
import { openDatabase, type Database, type StoredModelRecord } from '../storage/db';
import { deleteStoredModel, getStoredModel, putStoredModel } from '../storage/models';
import { compileModel } from './engine';
import { checkImageSection, type ImageSpec } from './preprocess/image';
import { webGpuImplements } from './webgpu-operators';

const log = createLogger('byo');

/** The manifest URL scheme of a stored model: `stored:<sha256>`. */
export const storedModelScheme = 'stored:';

/** ONNX files are protobuf messages, which cannot exceed 2 GiB (models with external data aside). */
const protobufLimitBytes = 2 ** 31 - 1;

let database: Promise<Database> | null = null;

function db(): Promise<Database> {
  database ??= openDatabase();
  return database;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} bytes`;
}

/**
 * Returns the largest model file this device is likely to load, and why. Compiling a model keeps
 * about three copies of its bytes in memory at once (the file, the copy in the WebAssembly heap, and the
 * session's weights), so the limit is a quarter of the device memory the browser reports
 * (`navigator.deviceMemory`, which Chromium caps at 8 GB), and never above the protobuf limit.
 * NOTE: the factor of four is an estimate, not a measurement on every model.
 */
export function modelSizeLimit(override?: number): { bytes: number; reason: string } {
  if (override !== undefined && override > 0) return { bytes: override, reason: 'the limit that max_model_mb in the page address sets' };
  const deviceGb = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  if (deviceGb && deviceGb * 2 ** 30 / 4 < protobufLimitBytes) {
    return { bytes: (deviceGb * 2 ** 30) / 4, reason: `a quarter of the ${deviceGb} GB of memory this browser reports, because compiling keeps about three copies of the model in memory` };
  }
  return { bytes: protobufLimitBytes, reason: 'the 2 GB limit of an ONNX protobuf file' };
}

function checkSize(fileName: string, size: number, maxBytes?: number): void {
  const limit = modelSizeLimit(maxBytes);
  if (size > limit.bytes) {
    throw new TandemError(
      'model-too-large',
      `The model "${fileName}" is ${formatBytes(size)}, more than the ${formatBytes(limit.bytes)} this device can load (${limit.reason}). ` +
        'Use a smaller or quantized model (for example with onnxruntime.quantization), or open it on a device with more memory.',
    );
  }
}

/**
 * Compiles the model once on WASM, then releases it, so that a model no backend can run is
 * rejected before it is stored or replaces the page's model. WASM is the test: the WebGPU
 * session runs on WASM the operators WebGPU lacks, so a model WASM cannot compile runs nowhere.
 */
async function checkCompiles(bytes: Uint8Array, summary: OnnxModelSummary, fileName: string): Promise<void> {
  let compiled: Awaited<ReturnType<typeof compileModel>>;
  try {
    compiled = await compileModel(bytes, 'wasm', fileName);
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    const runtimeText = describeError(cause);
    const missing = /No Op registered for (\S+) with domain_version of (\d+)/.exec(runtimeText);
    if (missing) {
      const opType = missing[1]!;
      const node = summary.nodes.find((candidate) => candidate.opType === opType);
      const domain = node?.domain || 'ai.onnx';
      throw new TandemError(
        'unsupported-model',
        `The model "${fileName}" uses the operator ${opType} (domain ${domain}, opset ${missing[2]}), which ONNX Runtime Web does not implement, so neither WebGPU nor WASM can run it. ` +
          'Export the model with operators ONNX Runtime supports (check the operator name and the opset), then open it again.',
        { cause },
      );
    }
    throw new TandemError(
      'unsupported-model',
      `The model "${fileName}" could not be compiled, so neither WebGPU nor WASM can run it: ${runtimeText.replace(/^Can't create a session\.\s*/, '')}. ` +
        'Check the model with onnx.checker.check_model, export it again, then open it again.',
      { cause },
    );
  }
  await compiled.release();
}

/** Returns ZipMap outputs with the class labels their nodes carry. */
function zipMapsOf(summary: OnnxModelSummary, replaced: { output: string; tensor: string }[]) {
  return replaced.map((entry) => {
    const node = summary.nodes.find((candidate) => candidate.opType === 'ZipMap' && candidate.outputs.includes(entry.output));
    const labels = node?.stringLists.classlabels_strings ?? node?.intLists.classlabels_int64s?.map(String) ?? [];
    return { ...entry, labels };
  });
}

export interface OpenModelRequest {
  /** The model file's bytes. */
  file: Blob;
  fileName: string;
  /** The parsed JSON of a manifest opened with the model, if any. */
  manifest?: unknown;
  /** A lower size limit than the device's, in bytes. */
  maxBytes?: number;
}

/**
 * Checks, describes and stores a model the user opened. Returns its manifest URL
 * (`stored:<sha256>`). Throws a {@link TandemError} that names the problem: `invalid-model`,
 * `truncated-model`, `unsupported-model`, `model-too-large` or `invalid-manifest`.
 */
export async function openModel(request: OpenModelRequest): Promise<string> {
  const { file, fileName } = request;
  checkSize(fileName, file.size, request.maxBytes);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const summary = readOnnxModel(bytes, fileName);
  checkRunnable(summary, fileName);
  const hash = bytesToHex(await sha256(bytes));
  const { replaced, bytes: runnable } = removeZipMaps(bytes);
  await checkCompiles(runnable, summary, fileName);

  let manifest: ModelManifest;
  let notes: string[];
  if (request.manifest !== undefined) {
    manifest = parseManifest(request.manifest, `${fileName} manifest`);
    if (manifest.image) checkImageSection(manifest.image as unknown as ImageSpec, fileName);
    if (manifest.model.sha256 !== hash) {
      throw new TandemError(
        'integrity-mismatch',
        `The manifest is for another model file: it gives SHA-256 ${manifest.model.sha256}, but "${fileName}" has ${hash}. Open the manifest that belongs to this model, or open the model alone.`,
      );
    }
    notes = [];
  } else {
    ({ manifest, notes } = deriveManifest(summary, { name: fileName, sha256: hash, sizeBytes: bytes.length }, zipMapsOf(summary, replaced)));
  }

  const record: StoredModelRecord = {
    sha256: hash,
    fileName,
    bytes: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    manifest,
    manifestSource: request.manifest !== undefined ? 'manifest' : 'derived',
    notes,
    savedAt: Date.now(),
  };
  await putStoredModel(await db(), record);
  log.info(`stored model ${fileName} (${bytes.length} bytes, sha256 ${hash})`);
  return `${storedModelScheme}${hash}`;
}

/** Fetches a model file from a URL, then opens it as {@link openModel} does. */
export async function openModelUrl(url: string, maxBytes?: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TandemError('model-load-failed', `Fetching the model at ${url} failed: ${describeError(error)}. Check the URL, and that its server allows this page's origin (CORS).`, { cause: error });
  }
  if (!response.ok) throw new TandemError('model-load-failed', `Fetching the model at ${url} failed with HTTP ${response.status}. Check the URL.`);
  const length = Number(response.headers.get('content-length') ?? 0);
  const fileName = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'model.onnx');
  if (length > 0) checkSize(fileName, length, maxBytes);
  return openModel({ file: await response.blob(), fileName, maxBytes });
}

/** Reads a stored model for loading: its manifest and the bytes to compile (ZipMaps removed). */
export async function readStoredModel(manifestUrl: string): Promise<{ manifest: ModelManifest; bytes: Uint8Array; original: Uint8Array; record: StoredModelRecord }> {
  const sha = manifestUrl.slice(storedModelScheme.length);
  const record = await getStoredModel(await db(), sha);
  if (!record) {
    throw new TandemError('model-load-failed', `The opened model ${sha} is no longer stored in this browser (its storage may have been cleared). Open the model file again.`);
  }
  const original = new Uint8Array(await record.bytes.arrayBuffer());
  return { manifest: record.manifest, bytes: removeZipMaps(original).bytes, original, record };
}

/** Replaces a stored model's manifest (the user's mapping); the model must be loaded again. */
export async function updateStoredManifest(sha: string, manifestJson: unknown): Promise<string> {
  const database = await db();
  const record = await getStoredModel(database, sha);
  if (!record) throw new TandemError('model-load-failed', `The opened model ${sha} is no longer stored in this browser. Open the model file again.`);
  const manifest = parseManifest(manifestJson, `the edited manifest of ${record.fileName}`);
  if (manifest.model.sha256 !== sha) throw new TandemError('invalid-manifest', 'The edited manifest must keep the model\'s "model.sha256".');
  if (manifest.image) checkImageSection(manifest.image as unknown as ImageSpec, record.fileName);
  await putStoredModel(database, { ...record, manifest, savedAt: Date.now() });
  return `${storedModelScheme}${sha}`;
}

/** Removes a stored model, after a failed load for example. */
export async function forgetStoredModel(sha: string): Promise<void> {
  await deleteStoredModel(await db(), sha);
}

/**
 * Describes a model file for the info panel. `bytes` are the original file's. Returns null for a
 * file this reader cannot parse, which onnxruntime has then accepted anyway.
 */
export function describeModel(bytes: Uint8Array, manifest: ModelManifest, backend: string, source: ModelDetails['manifestSource'], notes: readonly string[]): ModelDetails | null {
  let summary: OnnxModelSummary;
  try {
    summary = readOnnxModel(bytes, manifest.model.file);
  } catch (error) {
    log.warn(`the model info of ${manifest.name} could not be read`, error);
    return null;
  }
  const operators = listOperators(summary, webGpuImplements);
  const allNotes = [...notes];
  const onCpu = operators.filter((use) => use.webgpu === false);
  if (onCpu.length > 0) {
    const names = onCpu.map((use) => use.opType).join(', ');
    allNotes.push(
      backend === 'webgpu'
        ? `WebGPU does not implement ${names}, so onnxruntime-web runs ${onCpu.length === 1 ? 'that operator' : 'those operators'} on WASM (the CPU) inside the WebGPU session, copying data between them.`
        : `WebGPU does not implement ${names}: on WebGPU ${onCpu.length === 1 ? 'it' : 'they'} would run on WASM (the CPU), so the WASM backend loses nothing here.`,
    );
  }
  return {
    irVersion: summary.irVersion,
    opsets: summary.opsets,
    producer: [summary.producerName, summary.producerVersion].filter(Boolean).join(' '),
    sizeBytes: bytes.length,
    docString: summary.docString || summary.graphDocString,
    metadata: summary.metadata,
    inputs: summary.inputs,
    outputs: summary.outputs,
    operators,
    manifestSource: source,
    notes: allNotes,
  };
}
