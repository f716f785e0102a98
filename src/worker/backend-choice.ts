/**
 * The `auto` backend choice: when WebGPU is available, the model is compiled on both backends,
 * each runs a short warm-up on a batch shaped like real work, and the faster one is kept.
 * A tiny tabular model is usually faster on WASM, because a GPU round trip costs more than the
 * arithmetic. A convolutional network on a real GPU is usually faster on WebGPU.
 */
import { createLogger } from '../shared/logger';
import type { ModelManifest } from '../shared/manifest';
import type { BackendName } from '../shared/protocol';
import { median } from '../shared/stats';
import { compileModel, floatTensor, type CompiledModel, type Feeds } from './engine';

const log = createLogger('backend');

/** Rows in each timed run: about one batch chunk of a small model. */
const timingRows = 64;
const timedRuns = 5;

/** Builds all-zero float32 feeds for the model's inputs, with `rows` in each dynamic dimension. */
export function zeroFeeds(manifest: ModelManifest, rows: number): Feeds | null {
  const feeds: Feeds = {};
  for (const input of manifest.signature.inputs) {
    const spec = input['tensor-spec'];
    if (spec.dtype !== 'float32') return null;
    const shape = spec.shape.map((size) => (size < 0 ? rows : size));
    const size = shape.reduce((product, dimension) => product * dimension, 1);
    feeds[input.name] = shape.length === 2 ? floatTensor(new Float32Array(size), shape[0]!, shape[1]!) : floatTensorOfShape(new Float32Array(size), shape);
  }
  return feeds;
}

function floatTensorOfShape(data: Float32Array, shape: number[]) {
  return floatTensor(data, 1, data.length).reshape(shape);
}

/** Runs the model `timedRuns` times after one untimed run; returns the median in milliseconds. */
async function timeRuns(model: CompiledModel, feeds: Feeds): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run <= timedRuns; run++) {
    const started = performance.now();
    const outputs = await model.run(feeds);
    // Reading the outputs is part of the cost: on WebGPU it includes the download.
    for (const tensor of Object.values(outputs)) {
      if (tensor.location !== 'cpu') await tensor.getData(true);
      else tensor.dispose();
    }
    if (run > 0) times.push(performance.now() - started);
  }
  return median(times);
}

export interface BackendChoice {
  compiled: CompiledModel;
  reason: string;
}

/** Compiles the model on each candidate and keeps the fastest; one candidate is compiled and kept. */
export async function chooseBackend(bytes: Uint8Array, manifest: ModelManifest, candidates: BackendName[], reason: string): Promise<BackendChoice> {
  if (candidates.length === 1) return { compiled: await compileModel(bytes, candidates[0]!, manifest.name), reason };

  const feeds = zeroFeeds(manifest, timingRows);
  const timings: { compiled: CompiledModel; ms: number }[] = [];
  for (const backend of candidates) {
    try {
      const compiled = await compileModel(bytes, backend, manifest.name);
      timings.push({ compiled, ms: feeds ? await timeRuns(compiled, feeds) : 0 });
    } catch (error) {
      log.warn(`${backend} failed during the backend timing of ${manifest.name}; it is skipped`, error);
    }
  }
  if (timings.length === 0) return { compiled: await compileModel(bytes, 'wasm', manifest.name), reason: `${reason}, but every timed backend failed, so WASM runs it` };

  timings.sort((a, b) => a.ms - b.ms);
  const [best, ...rest] = timings;
  for (const other of rest) await other.compiled.release();
  const summary = timings.map((timing) => `${timing.compiled.backend} ${timing.ms.toFixed(2)} ms`).join(', ');
  return {
    compiled: best!.compiled,
    reason: `auto: ${best!.compiled.backend} was faster on this device for a ${timingRows}-row batch (median of ${timedRuns} runs: ${summary})`,
  };
}
