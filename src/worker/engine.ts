/**
 * The only module that imports onnxruntime-web. It owns the runtime's settings, the backend
 * probe and the sessions, and every other module runs models through it.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import * as ort from 'onnxruntime-web';
// Self-hosted runtime files: Vite copies them into the build and gives their URLs, so the app
// never fetches from a CDN. This build (JSEP) serves both the WebGPU and the WASM backends.
import wasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import wasmGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import { TandemError, describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { BackendName, BackendPreference } from '../shared/protocol';

const log = createLogger('engine');

ort.env.wasm.wasmPaths = { wasm: new URL(wasmBinaryUrl, import.meta.url).href, mjs: new URL(wasmGlueUrl, import.meta.url).href };
// Inference already runs in this worker; the runtime's own proxy worker would add a hop.
ort.env.wasm.proxy = false;
// Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages.
if (!self.crossOriginIsolated) ort.env.wasm.numThreads = 1;

export type Feeds = Record<string, ort.Tensor>;

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
  run(feeds: Feeds): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** Compiles model bytes into a session on one backend. */
export async function compileModel(bytes: Uint8Array, backend: BackendName, modelName: string): Promise<CompiledModel> {
  const executionProviders = backend === 'webgpu' ? ['webgpu'] : ['wasm'];
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders, graphOptimizationLevel: 'all' });
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
    run: (feeds) => session.run(feeds),
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

/** Makes a float32 tensor of shape [rows, width] over `data` without copying it. */
export function floatTensor(data: Float32Array, rows: number, width: number): ort.Tensor {
  return new ort.Tensor('float32', data, [rows, width]);
}

/** Reads a float32 output tensor's values. GPU-located outputs are downloaded first. */
export async function readFloats(tensor: ort.Tensor): Promise<Float32Array> {
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
  const device = (await ort.env.webgpu.device) as { destroy(): void } | undefined;
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
    const device = (await ort.env.webgpu.device) as { lost: Promise<{ reason?: string; message?: string }> };
    const info = await device.lost;
    return info.message || info.reason || 'unknown reason';
  })();
  return webGpuLost;
}

/**
 * Compiles a model on a separate, WASM-only build of the runtime. After a WebGPU device is lost,
 * the main build can stay blocked on the run that never finished, so the fallback must not share
 * its WebAssembly instance. The build (about 15 MB) is fetched only when this is first called.
 */
export async function compileIsolatedWasm(bytes: Uint8Array, modelName: string): Promise<CompiledModel> {
  const [runtime, binary, glue] = await Promise.all([
    import('onnxruntime-web/wasm'),
    import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url'),
    import('onnxruntime-web/ort-wasm-simd-threaded.mjs?url'),
  ]);
  runtime.env.wasm.wasmPaths = { wasm: new URL(binary.default, import.meta.url).href, mjs: new URL(glue.default, import.meta.url).href };
  runtime.env.wasm.proxy = false;
  runtime.env.wasm.numThreads = 1;
  const session = await runtime.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  log.info(`compiled ${modelName} on the separate WASM runtime`);
  return {
    backend: 'wasm',
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: async (feeds) => {
      // Tensors of the main build are rebuilt for this one: both only need type, data and dims.
      const ownFeeds: Record<string, InstanceType<typeof runtime.Tensor>> = {};
      for (const [name, tensor] of Object.entries(feeds)) ownFeeds[name] = new runtime.Tensor(tensor.type as 'float32', tensor.data as Float32Array, tensor.dims);
      return (await session.run(ownFeeds)) as unknown as Record<string, ort.Tensor>;
    },
    release: () => session.release(),
  };
}
