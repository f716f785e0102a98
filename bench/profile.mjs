/**
 * Splits a V8 CPU profile of the inference worker into phases, using the build's source maps to
 * find which source file each sampled function comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

/** Phases of a batch job. `phaseOfSource` returns null for a source that belongs to none of them. */
export const batchPhases = {
  names: ['read+parse', 'encode', 'infer', 'store', 'evaluate', 'job loop', 'gc', 'idle', 'other'],
  phaseOfSource(source) {
    if (/papaparse|readers\/csv\.ts/.test(source)) return 'read+parse';
    if (/shared\/(tabular|columns)\.ts/.test(source)) return 'encode';
    if (/onnxruntime-web|ort-wasm|worker\/(engine|tabular-run)\.ts|\.wasm$/.test(source)) return 'infer';
    if (/node_modules\/idb\/|src\/storage\//.test(source)) return 'store';
    if (/shared\/evaluation\.ts/.test(source)) return 'evaluate';
    if (/worker\/(batch-job|scheduler|chunk-budget|api)\.ts|comlink/.test(source)) return 'job loop';
    return null;
  },
};

/** Phases of the worker's start, up to the first prediction. */
export const startPhases = {
  names: ['onnxruntime-web', 'app', 'gc', 'idle', 'other'],
  phaseOfSource(source) {
    if (/onnxruntime-web|ort-wasm|\.wasm$/.test(source)) return 'onnxruntime-web';
    if (/src\/|node_modules\//.test(source)) return 'app';
    return null;
  },
};

/** Finds the original source of a profile call frame through the script's source map. */
function createSourceLookup(assetsDir) {
  const maps = new Map();
  const mapFor = (url) => {
    const name = url.split('?')[0].split('/').pop();
    if (!maps.has(name)) {
      const path = join(assetsDir, `${name}.map`);
      maps.set(name, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : null);
    }
    return maps.get(name);
  };
  return (frame) => {
    if (!frame.url) return '';
    const map = /\.m?js$/.test(frame.url.split('?')[0]) ? mapFor(frame.url) : null;
    if (!map) return frame.url;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
    return entry?.originalSource ?? frame.url;
  };
}

/**
 * Returns the milliseconds of worker time in each phase of `phases` (batchPhases or startPhases).
 * A sample in a function with no known source (a built-in such as TextDecoder.decode, or a
 * js-to-wasm wrapper) counts for the nearest caller that has one, so native work lands in the
 * phase that called it.
 */
export function splitProfile(profile, assetsDir, phases) {
  const sourceOf = createSourceLookup(assetsDir);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const phaseOfNode = new Map();
  const resolve = (id) => {
    if (phaseOfNode.has(id)) return phaseOfNode.get(id);
    const node = nodes.get(id);
    const name = node.callFrame.functionName;
    let phase;
    if (name === '(idle)') phase = 'idle';
    else if (name === '(garbage collector)') phase = 'gc';
    else if (name === '(program)' || name === '(root)') phase = 'other';
    else {
      phase = phases.phaseOfSource(sourceOf(node.callFrame));
      if (phase === null) {
        const parent = parents.get(id);
        phase = parent === undefined ? 'other' : resolve(parent);
      }
    }
    phaseOfNode.set(id, phase);
    return phase;
  };

  const totals = Object.fromEntries(phases.names.map((phase) => [phase, 0]));
  // timeDeltas[i] is the time since the previous sample, so sample i lasts until sample i + 1.
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    totals[resolve(samples[i])] += (timeDeltas[i + 1] ?? 0) / 1000;
  }
  return { totalMs: (profile.endTime - profile.startTime) / 1000, samples: samples.length, phasesMs: totals };
}
