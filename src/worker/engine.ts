/**
 * The only module that loads onnxruntime-web. It owns the runtime's settings, the backend probe
 * and the sessions, and every other module runs models through it.
 *
 * Two builds of the runtime serve the two backends, each imported only when a model first needs
 * it: the plain WASM build (`ort-wasm-simd-threaded.wasm`, about 15 MB) for the WASM backend, and
 * the JSEP build (`ort-wasm-simd-threaded.jsep.wasm`, about 29 MB), which carries the WebGPU
 * backend, for WebGPU. A page on WASM never fetches or compiles the larger one, which halves the
 * runtime's start-up. Each build has its own WebAssembly instance, so a WebGPU run that never
 * finishes (a lost device) does not hold up WASM sessions.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import type * as Ort from 'onnxruntime-web';
// Self-hosted runtime files: Vite copies them into the build and gives their URLs, so the app
// never fetches from a CDN.
import wasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import jsepBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import jsepGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import { TandemError, describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { markStart } from '../shared/start-marks';
import { startupModel } from './startup-model';
import type { BackendName, BackendPreference } from '../shared/protocol';

const log = createLogger('engine');

type Runtime = typeof Ort;

/** A float32 input: the runtime that runs it wraps it in its own tensor type, without a copy. */
export interface FloatInput {
  readonly type: 'float32';
  readonly data: Float32Array;
  readonly dims: readonly number[];
  /** The same data with other dimensions. */
  reshape(dims: readonly number[]): FloatInput;
}

export type Feeds = Record<string, FloatInput>;
export type Outputs = Record<string, Ort.Tensor>;

function configure(runtime: Runtime, wasm: string, mjs: string): Runtime {
  // The widget's build of the runtime has no embedded glue code, so the glue's URL is always given.
  runtime.env.wasm.wasmPaths = { wasm: new URL(wasm, import.meta.url).href, mjs: new URL(mjs, import.meta.url).href };
  // Inference already runs in this worker; the runtime's own proxy worker would add a hop.
  runtime.env.wasm.proxy = false;
  // Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages.
  if (!self.crossOriginIsolated) runtime.env.wasm.numThreads = 1;
  return runtime;
}

/**
 * Starts a runtime build by compiling {@link startupModel} on its CPU (WASM) execution provider,
 * which initialises the runtime for both backends. The WebGPU device is set up later, by the
 * first WebGPU session. A failure is logged and left for the real compile to report.
 */
async function startRuntime(runtime: Runtime): Promise<Runtime> {
  try {
    const session = await runtime.InferenceSession.create(startupModel, { executionProviders: ['wasm'] });
    await session.release();
  } catch (error) {
    log.warn('starting the runtime with a one-node model failed', error);
  }
  markStart('runtime-started');
  return runtime;
}

let wasmRuntime: Promise<Runtime> | null = null;
let webGpuRuntime: Promise<Runtime> | null = null;
/** Set once the WebGPU build has loaded, for the fault injection and the lost-device watch. */
let loadedWebGpuRuntime: Runtime | null = null;

/** Imports and starts the runtime build for a backend on first use and returns it. */
function runtimeFor(backend: BackendName): Promise<Runtime> {
  if (backend === 'wasm') {
    wasmRuntime ??= import('onnxruntime-web/wasm').then((runtime) => startRuntime(configure(runtime, wasmBinaryUrl, wasmGlueUrl)));
    wasmRuntime.catch(() => (wasmRuntime = null));
    return wasmRuntime;
  }
  webGpuRuntime ??= import('onnxruntime-web').then((runtime) => startRuntime((loadedWebGpuRuntime = configure(runtime, jsepBinaryUrl, jsepGlueUrl))));
  webGpuRuntime.catch(() => (webGpuRuntime = null));
  return webGpuRuntime;
}

export interface WebGpuProbe {
  available: boolean;
  reason: string;
}

let webGpuProbe: Promise<WebGpuProbe> | null = null;

interface GpuLike {
  requestAdapter(): Promise<{ requestDevice(): Promise<{ destroy(): void }> } | null>;
}

/** Checks once whether this worker can get a WebGPU adapter and device. */
export function probeWebGpu(): Promise<WebGpuProbe> {
  webGpuProbe ??= (async () => {
    const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
    if (!gpu) return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing in workers)' };
    try {
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { available: false, reason: 'WebGPU gave no adapter on this device' };
      const device = await adapter.requestDevice();
      device.destroy();
      return { available: true, reason: 'WebGPU adapter and device are available' };
    } catch (error) {
      return { available: false, reason: `WebGPU failed to start: ${describeError(error)}` };
    }
  })();
  return webGpuProbe;
}

/** A compiled model on one backend. Runs are serialised by the scheduler, never concurrent. */
export interface CompiledModel {
  backend: BackendName;
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Feeds): Promise<Outputs>;
  release(): Promise<void>;
}

/**
 * Starts the runtime build for a backend (import, WebAssembly, initialisation), so that this runs
 * while the model file is fetched. A failure is left for the compile that needs the build, which
 * imports it again.
 */
export function prepareRuntime(backend: BackendName): void {
  runtimeFor(backend).catch(() => undefined);
}

/** Compiles model bytes into a session on one backend, with that backend's build of the runtime. */
export async function compileModel(bytes: Uint8Array, backend: BackendName, modelName: string): Promise<CompiledModel> {
  let runtime: Runtime;
  let session: Ort.InferenceSession;
  try {
    runtime = await runtimeFor(backend);
    session = await runtime.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel: 'all' });
  } catch (error) {
    throw new TandemError(
      'model-load-failed',
      `The model "${modelName}" could not be compiled on ${backend}: ${describeError(error)}. ` +
        'Check that the file is a valid ONNX model, or choose the other backend.',
      { cause: error },
    );
  }
  log.info(`compiled ${modelName} on ${backend}`);
  return {
    backend,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: (feeds) => {
      const tensors: Record<string, Ort.Tensor> = {};
      for (const [name, input] of Object.entries(feeds)) tensors[name] = new runtime.Tensor(input.type, input.data, input.dims);
      return session.run(tensors);
    },
    release: () => session.release(),
  };
}

/**
 * Lists the backends to try for a preference, fastest-first unknown: `auto` returns both when
 * WebGPU is available, so the caller can time them on this model and keep the faster one.
 */
export async function candidateBackends(preference: BackendPreference): Promise<{ backends: BackendName[]; reason: string }> {
  if (preference === 'wasm') return { backends: ['wasm'], reason: 'WASM was chosen in the settings' };

  const probe = await probeWebGpu();
  if (preference === 'webgpu') {
    if (!probe.available) {
      throw new TandemError('backend-unavailable', `WebGPU was requested, but ${probe.reason}. Choose the "wasm" or "auto" backend.`);
    }
    return { backends: ['webgpu'], reason: 'WebGPU was chosen in the settings' };
  }
  return probe.available
    ? { backends: ['webgpu', 'wasm'], reason: `auto: ${probe.reason}` }
    : { backends: ['wasm'], reason: `auto: ${probe.reason}, so WASM runs the model` };
}

/** Makes a float32 input of shape [rows, width] over `data` without copying it. */
export function floatTensor(data: Float32Array, rows: number, width: number): FloatInput {
  return floatInput(data, [rows, width]);
}

function floatInput(data: Float32Array, dims: readonly number[]): FloatInput {
  const size = dims.reduce((product, dimension) => product * dimension, 1);
  if (size !== data.length) throw new RangeError(`A float32 input of shape [${dims.join(', ')}] needs ${size} values, not ${data.length}.`);
  return { type: 'float32', data, dims, reshape: (other) => floatInput(data, other) };
}

/** Reads a float32 output tensor's values. GPU-located outputs are downloaded first. */
export async function readFloats(tensor: Ort.Tensor): Promise<Float32Array> {
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData(true);
  if (!(data instanceof Float32Array)) {
    throw new TandemError('model-load-failed', `The model returned ${tensor.type} values where float32 was expected.`);
  }
  return data;
}

/**
 * Destroys the WebGPU device the runtime uses, as a driver reset or a lost GPU would. Fault
 * injection for tests and support: the next WebGPU run fails and the model moves to WASM.
 */
export async function loseWebGpuDevice(): Promise<boolean> {
  if (!loadedWebGpuRuntime) return false;
  const device = (await loadedWebGpuRuntime.env.webgpu.device) as { destroy(): void } | undefined;
  if (!device) return false;
  device.destroy();
  return true;
}

let webGpuLost: Promise<string> | null = null;

/**
 * Resolves with a reason when the runtime's WebGPU device is lost. Runs on a lost device never
 * settle, so WebGPU runs race against this. Call it only after a WebGPU session exists.
 */
export function whenWebGpuLost(): Promise<string> {
  webGpuLost ??= (async () => {
    const runtime = await runtimeFor('webgpu');
    const device = (await runtime.env.webgpu.device) as { lost: Promise<{ reason?: string; message?: string }> };
    const info = await device.lost;
    return info.message || info.reason || 'unknown reason';
  })();
  return webGpuLost;
}

/**
 * Compiles a model on WASM after its WebGPU session failed. The WASM backend runs on its own
 * build of the runtime, with a WebAssembly instance of its own, so the WebGPU build staying
 * blocked on a run that never finished does not affect it. That build is fetched now if no WASM
 * model loaded it before.
 */
export function compileIsolatedWasm(bytes: Uint8Array, modelName: string): Promise<CompiledModel> {
  return compileModel(bytes, 'wasm', modelName);
}
