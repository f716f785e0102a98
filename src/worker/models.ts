/**
 * Loads models for the worker: fetches the manifest and the model file, checks the file against
 * the manifest's SHA-256, and compiles one session per model and backend.
 */
import { TandemError, describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { markStart } from '../shared/start-marks';
import { parseManifest, type ModelManifest } from '../shared/manifest';
import type { BackendPreference, ModelInfo } from '../shared/protocol';
import { createFeatureEncoder, type FeatureEncoder } from '../shared/tabular';
import { chooseBackend, zeroFeeds } from './backend-choice';
import { candidateBackends, compileIsolatedWasm, prepareRuntime, whenWebGpuLost, type CompiledModel } from './engine';
import { bytesToHex, sha256 } from '../shared/hash';
import { checkModelBytes } from '../shared/integrity';
import { recallBackendChoice, rememberBackendChoice } from '../storage/settings';
import { describeModel, readStoredModel, storedModelScheme } from './byo-models';
import { checkImageSection, type ImageSpec } from './preprocess/image';

const log = createLogger('models');

export interface LoadedModel {
  info: ModelInfo;
  manifest: ModelManifest;
  compiled: CompiledModel;
  /** Present for tabular models. */
  encoder: FeatureEncoder | null;
  /** SHA-256 of the manifest's preprocessing section: part of every result cache key. */
  preprocessingKey: string;
}

const loaded = new Map<string, Promise<LoadedModel>>();
let loadQueue: Promise<unknown> = Promise.resolve();
const byId = new Map<string, LoadedModel>();

/** Returns a loaded model by its id (`<sha256>/<backend>`) or its file's SHA-256. */
export function getModel(id: string): LoadedModel {
  const model = byId.get(id) ?? [...byId.values()].find((candidate) => candidate.info.sha256 === id);
  if (!model) throw new TandemError('model-load-failed', `No model with id ${id} is loaded. Load its manifest first.`);
  return model;
}

async function fetchChecked(url: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TandemError('model-load-failed', `Fetching the ${what} at ${url} failed: ${describeError(error)}. Check the URL and your connection.`, { cause: error });
  }
  if (!response.ok) {
    throw new TandemError('model-load-failed', `Fetching the ${what} at ${url} failed with HTTP ${response.status}. Check the URL.`);
  }
  return response;
}

async function fetchManifest(url: string): Promise<ModelManifest> {
  const response = await fetchChecked(url, 'model manifest');
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const hint = text.trimStart().startsWith('<') ? ' The server sent an HTML page instead, so the URL is probably wrong.' : '';
    throw new TandemError('invalid-manifest', `The model manifest at ${url} is not valid JSON.${hint}`, { cause: error });
  }
  return parseManifest(json, url);
}

async function fetchModelBytes(url: string, expectedSha256: string): Promise<Uint8Array> {
  const response = await fetchChecked(url, 'model file');
  const bytes = new Uint8Array(await response.arrayBuffer());
  await checkModelBytes(url, bytes, expectedSha256);
  return bytes;
}

/**
 * Runs a model once on an all-zero input, so the first real-time request does not pay for the
 * runtime's first-run set-up (tens of milliseconds on WASM, more on WebGPU).
 */
async function warmUp(model: LoadedModel): Promise<void> {
  const feeds = zeroFeeds(model.manifest, 1);
  if (!feeds) return;
  const outputs = await model.compiled.run(feeds);
  for (const tensor of Object.values(outputs)) tensor.dispose();
}

/**
 * Wraps a WebGPU session so that a failed run (a lost device, a driver reset) recompiles the model
 * on WASM and retries there; later runs stay on WASM. The model's info then names the new backend
 * and why, so the UI and the metrics show the switch.
 */
function withWasmFallback(model: LoadedModel, gpu: CompiledModel, bytes: Uint8Array): CompiledModel {
  let current = gpu;
  let switching: Promise<CompiledModel> | null = null;

  const switchToWasm = (error: unknown): Promise<CompiledModel> => {
    switching ??= (async () => {
      log.warn(`model ${model.manifest.name}: a WebGPU run failed, so WASM runs it from now on`, error);
      const wasm = await compileIsolatedWasm(bytes, model.manifest.name);
      current = wasm;
      model.info.backend = 'wasm';
      model.info.backendReason = `WebGPU failed during a run (${describeError(error)}), so WASM runs the model now`;
      gpu.release().catch((releaseError) => log.warn('releasing the failed WebGPU session failed', releaseError));
      return wasm;
    })();
    return switching;
  };

  return {
    get backend() {
      return current.backend;
    },
    inputNames: gpu.inputNames,
    outputNames: gpu.outputNames,
    async run(feeds) {
      const session = current;
      if (session.backend !== 'webgpu') return session.run(feeds);
      const lost = whenWebGpuLost().then((reason) => {
        throw new Error(`the WebGPU device was lost: ${reason}`);
      });
      try {
        return await Promise.race([session.run(feeds), lost]);
      } catch (error) {
        return (await switchToWasm(error)).run(feeds);
      }
    },
    release: () => current.release(),
  };
}

async function load(manifestUrl: string, preference: BackendPreference): Promise<LoadedModel> {
  const started = performance.now();
  // The runtime starts while the manifest and the model file are fetched.
  if (preference !== 'auto') prepareRuntime(preference);
  // A model the user opened (`stored:<sha256>`) is read from IndexedDB instead of fetched.
  const stored = manifestUrl.startsWith(storedModelScheme) ? await readStoredModel(manifestUrl) : null;
  const manifest = stored ? stored.manifest : await fetchManifest(manifestUrl);
  if (manifest.image) checkImageSection(manifest.image as unknown as ImageSpec, manifest.model.file);
  const fetched = stored ? Promise.resolve(stored.bytes) : fetchModelBytes(new URL(manifest.model.file, manifestUrl).href, manifest.model.sha256);
  // A choice `auto` remembered for this model and device is used without probing WebGPU again,
  // so a return visit loads one runtime build and compiles the model once.
  const recalled = preference === 'auto' ? recallBackendChoice(manifest.model.sha256) : Promise.resolve(null);
  // Without a remembered choice, `auto` compiles the model on WASM in any case (alone, or timed
  // against WebGPU), so the WASM runtime starts while WebGPU is probed.
  if (preference === 'auto') recalled.then((choice) => prepareRuntime(choice?.backend ?? 'wasm')).catch(() => undefined);
  const [bytes, remembered] = await Promise.all([fetched, recalled]);
  markStart('model-fetched');
  const original = stored ? stored.original : bytes;
  const source = stored?.record.manifestSource ?? 'manifest';
  const notes = stored?.record.notes ?? [];
  const rememberedReason = remembered && `${remembered.reason} (measured on ${new Date(remembered.decidedAt).toISOString().slice(0, 10)} and remembered for this model on this device)`;
  let chosen = remembered
    ? await chooseBackend(bytes, manifest, [remembered.backend], rememberedReason!).catch((error: unknown) => {
        log.warn(`the remembered backend ${remembered.backend} failed for ${manifest.name}; choosing again`, error);
        return null;
      })
    : null;
  if (!chosen) {
    const candidates = await candidateBackends(preference);
    chosen = await chooseBackend(bytes, manifest, candidates.backends, candidates.reason);
    if (candidates.backends.length > 1) await rememberBackendChoice(manifest.model.sha256, chosen.compiled.backend, chosen.reason);
  }
  const { compiled, reason } = chosen;
  const choice = { backend: compiled.backend, reason };
  // An opened model's output reading can be changed by the user, so it is part of its results' key.
  const preprocessing = manifestUrl.startsWith(storedModelScheme)
    ? JSON.stringify([manifest.tabular ?? manifest.image ?? null, manifest.output])
    : JSON.stringify(manifest.tabular ?? manifest.image ?? null);
  const preprocessingKey = bytesToHex(await sha256(new TextEncoder().encode(preprocessing)));

  const info: ModelInfo = {
    id: `${manifest.model.sha256}/${choice.backend}`,
    sha256: manifest.model.sha256,
    manifestUrl,
    manifest,
    backend: choice.backend,
    backendReason: choice.reason,
    inputNames: [...compiled.inputNames],
    outputNames: [...compiled.outputNames],
    loadMs: performance.now() - started,
    details: describeModel(original, manifest, choice.backend, source, notes),
  };
  const model: LoadedModel = {
    info,
    manifest,
    compiled,
    encoder: manifest.tabular ? createFeatureEncoder(manifest.tabular.features) : null,
    preprocessingKey,
  };
  if (compiled.backend === 'webgpu') model.compiled = withWasmFallback(model, compiled, bytes);
  markStart('model-compiled');
  await warmUp(model);
  markStart('model-ready');
  byId.set(info.id, model);
  log.info(`loaded ${manifest.name} ${manifest.version} on ${choice.backend} in ${info.loadMs.toFixed(0)} ms`);
  return model;
}

/** Forgets the sessions of a manifest URL, so the next load reads its (changed) manifest again. */
export function forgetModel(manifestUrl: string): void {
  for (const key of [...loaded.keys()]) if (key.startsWith(`${manifestUrl}#`)) loaded.delete(key);
}

/** Loads a model once per manifest URL and backend preference; later calls share the session. */
export function loadModel(manifestUrl: string, preference: BackendPreference): Promise<LoadedModel> {
  const key = `${manifestUrl}#${preference}`;
  let pending = loaded.get(key);
  if (!pending) {
    // Loads run one at a time: their warm-up and timing runs happen outside the scheduler, and
    // onnxruntime-web rejects two sessions running at once ("Session already started").
    const previous = loadQueue;
    pending = previous.then(() => load(manifestUrl, preference));
    loadQueue = pending.catch(() => undefined);
    pending.catch((error) => {
      loaded.delete(key);
      log.error(`loading ${manifestUrl} failed`, error);
    });
    loaded.set(key, pending);
  }
  return pending;
}
