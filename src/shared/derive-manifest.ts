/**
 * Derives a manifest for an ONNX model opened without one, from its inputs, outputs and metadata,
 * and describes any model for the model info panel. The derived manifest has the same format as
 * the shipped ones (docs/manifest.md), so the real-time and batch paths serve it unchanged.
 */
import { TandemError } from './errors';
import type { FeatureSpec, ModelManifest, OutputSpec, TensorSpec } from './manifest';
import type { OnnxModelSummary, OnnxValueInfo } from './onnx-proto';

/** The opsets of the default domain that onnxruntime-web 1.31 runs (it reports 26 as its newest). */
export const supportedOpsets = { min: 7, max: 26 } as const;

/** Operator domains onnxruntime-web implements; a model with any other needs custom operators. */
const implementedDomains = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);

export interface OperatorUse {
  domain: string;
  opType: string;
  count: number;
  /** Whether the WebGPU execution provider implements it; null when unknown (not on WebGPU). */
  webgpu: boolean | null;
}

/** The facts about a model file that the model info panel shows. */
export interface ModelDetails {
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  sizeBytes: number;
  docString: string;
  metadata: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  operators: OperatorUse[];
  /** Whether the manifest came with the model (`manifest`) or was derived from it (`derived`). */
  manifestSource: 'manifest' | 'derived';
  /** Decisions and warnings worth reading, each a sentence. */
  notes: string[];
}

/** ONNX element type names to the MLflow dtype names the manifest uses. */
const dtypeNames: Record<string, string> = { float: 'float32', double: 'float64', int64: 'int64', int32: 'int32', bool: 'bool', string: 'string', uint8: 'uint8', float16: 'float16' };

function tensorSpec(info: OnnxValueInfo): TensorSpec {
  return {
    name: info.name,
    type: 'tensor',
    'tensor-spec': { dtype: dtypeNames[info.elementType ?? ''] ?? info.elementType ?? 'unknown', shape: (info.shape ?? []).map((dim) => dim.value ?? -1) },
  };
}

/** Describes a shape as ONNX tools print it, such as `[batch, 4]`. */
export function formatShape(info: Pick<OnnxValueInfo, 'shape'>): string {
  if (!info.shape) return '[unknown rank]';
  return `[${info.shape.map((dim) => dim.value ?? (dim.param || '?')).join(', ')}]`;
}

function splitList(text: string | undefined): string[] {
  if (!text) return [];
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // Not JSON: read it as a comma-separated list below.
    }
  }
  return trimmed.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** Lists the operators a model uses, with counts, in first-use order. */
export function listOperators(summary: OnnxModelSummary, webgpu: ((domain: string, opType: string) => boolean) | null): OperatorUse[] {
  const uses = new Map<string, OperatorUse>();
  for (const node of summary.nodes) {
    const domain = node.domain === '' ? 'ai.onnx' : node.domain;
    const key = `${domain}:${node.opType}`;
    const use = uses.get(key);
    if (use) use.count += 1;
    else uses.set(key, { domain, opType: node.opType, count: 1, webgpu: webgpu ? webgpu(domain, node.opType) : null });
  }
  return [...uses.values()];
}

/**
 * Rejects a model that onnxruntime-web cannot run for a reason visible in the file: an opset
 * outside the supported range or an operator from a domain it does not implement.
 */
export function checkRunnable(summary: OnnxModelSummary, fileName: string): void {
  const opset = summary.opsets['ai.onnx'];
  if (opset !== undefined && (opset < supportedOpsets.min || opset > supportedOpsets.max)) {
    throw new TandemError(
      'unsupported-model',
      `The model "${fileName}" uses ONNX opset ${opset}, but ONNX Runtime Web 1.31 runs opsets ${supportedOpsets.min} to ${supportedOpsets.max}. ` +
        `Export the model again with an opset in that range (for example torch.onnx.export(..., opset_version=17)).`,
    );
  }
  const custom = summary.nodes.filter((node) => !implementedDomains.has(node.domain));
  if (custom.length > 0) {
    const names = [...new Set(custom.map((node) => `${node.opType} (domain ${node.domain})`))].join(', ');
    throw new TandemError(
      'unsupported-model',
      `The model "${fileName}" uses the operator ${names}, which ONNX Runtime Web does not implement. ` +
        'Export the model with standard ONNX operators only, or replace the custom operator before exporting.',
    );
  }
}

function isFloatTensor(info: OnnxValueInfo): boolean {
  return info.kind === 'tensor' && info.elementType === 'float';
}

/** Recognises an image input: rank 4 with 1 or 3 channels first (NCHW) or last (NHWC). */
function imageLayout(info: OnnxValueInfo): { layout: 'NCHW' | 'NHWC'; channels: number; height: number; width: number } | null {
  const dims = info.shape?.map((dim) => dim.value);
  if (!dims || dims.length !== 4) return null;
  const [, d1, d2, d3] = dims;
  if ((d1 === 1 || d1 === 3) && d2 && d3) return { layout: 'NCHW', channels: d1, height: d2, width: d3 };
  if ((d3 === 1 || d3 === 3) && d1 && d2) return { layout: 'NHWC', channels: d3, height: d1, width: d2 };
  return null;
}

function unsupportedInput(fileName: string, input: OnnxValueInfo, why: string): never {
  throw new TandemError(
    'unsupported-model',
    `Tandem cannot map the input "${input.name}" ${formatShape(input)} (${input.kind} of ${input.elementType ?? 'unknown type'}) of "${fileName}": ${why}. ` +
      'Open the model with a manifest that describes its inputs (see docs/manifest.md).',
  );
}

/** Derives the `tabular` section: each float [N, F] input takes F numeric columns. */
function deriveTabular(summary: OnnxModelSummary, fileName: string, notes: string[]): ModelManifest['tabular'] {
  const widths = summary.inputs.map((input) => {
    const dims = input.shape ?? [];
    if (!isFloatTensor(input)) unsupportedInput(fileName, input, 'only float32 inputs can be fed from CSV or JSONL columns');
    if (dims.length !== 2) unsupportedInput(fileName, input, 'a record input must have two dimensions, [batch, features]');
    const width = dims[1]!.value;
    if (!width) unsupportedInput(fileName, input, 'its number of features is dynamic, so the columns it takes are unknown');
    return width;
  });
  const total = widths.reduce((sum, width) => sum + width, 0);

  const named = splitList(summary.metadata.feature_names ?? summary.metadata.features ?? summary.metadata.columns);
  let names: string[];
  if (named.length === total) {
    names = named;
    notes.push(`The ${total} feature names come from the model's metadata_props.`);
  } else {
    names = summary.inputs.flatMap((input, i) => Array.from({ length: widths[i]! }, (_, j) => (summary.inputs.length === 1 ? `x${j}` : `${input.name}_${j}`)));
    if (named.length > 0) notes.push(`The metadata_props list ${named.length} feature names, but the inputs take ${total} values, so generic names are used.`);
    notes.push(
      `The model names no features, so they are called ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}. ` +
        'A file whose columns match no name feeds them by position when it has exactly that many columns; rename the features below to match by header.',
    );
  }
  const features: FeatureSpec[] = names.map((name) => ({ name, type: 'number', missing: { strategy: 'error' } }));
  return {
    input: summary.inputs[0]!.name,
    features,
    id_columns: ['id', 'ID', 'key', 'row_id'],
    match_by_position: true,
    ...(summary.inputs.length > 1 ? { inputs: summary.inputs.map((input, i) => ({ name: input.name, width: widths[i]! })) } : {}),
  };
}

/**
 * Reads `image_mean` or `image_std` from `metadata_props` as a comma-separated or JSON list of
 * one number or one per channel. Returns null when the key is absent, and adds a note when its
 * value cannot be used.
 */
function metadataNumbers(summary: OnnxModelSummary, key: 'image_mean' | 'image_std', channels: number, notes: string[]): number[] | null {
  const text = summary.metadata[key];
  if (text === undefined) return null;
  const values = splitList(text).map(Number);
  const usable = (values.length === 1 || values.length === channels) && values.every(Number.isFinite) && (key === 'image_mean' || values.every((value) => value !== 0));
  if (!usable) {
    notes.push(`The metadata_props ${key} "${text}" is not ${channels === 1 ? 'a number' : `1 or ${channels} numbers`}${key === 'image_std' ? ' other than 0' : ''}, so it is ignored.`);
    return null;
  }
  return values;
}

function deriveImage(summary: OnnxModelSummary, fileName: string, notes: string[]): Record<string, unknown> & { input: string } {
  const input = summary.inputs[0]!;
  const layout = imageLayout(input)!;
  if (!isFloatTensor(input)) unsupportedInput(fileName, input, 'only float32 image inputs are implemented');
  const rgb = layout.channels === 3;

  // Normalisation is applied only when the model's metadata gives both the mean and the standard deviation.
  const mean = metadataNumbers(summary, 'image_mean', layout.channels, notes);
  const std = metadataNumbers(summary, 'image_std', layout.channels, notes);
  const normalize = mean !== null && std !== null;
  if ((mean === null) !== (std === null)) {
    notes.push(`The metadata_props give ${mean ? 'image_mean' : 'image_std'} without ${mean ? 'image_std' : 'image_mean'}, so the images are not normalized.`);
  }

  const kind = rgb ? 'RGB (red, green, blue channels in that order, transparency composited over white)' : 'grayscale';
  const scaling = normalize
    ? `scaled to 0-1, then normalized with image_mean [${mean.join(', ')}] and image_std [${std.join(', ')}] from the model's metadata_props`
    : 'scaled to 0-1 with no normalization. Set image_mean and image_std below if the model was trained otherwise';
  notes.push(
    `The input "${input.name}" ${formatShape(input)} is read as ${layout.layout} ${kind} images of ${layout.width}x${layout.height} pixels, ` +
      `padded to a square with the border colour, resized by area averaging and ${scaling}.`,
  );
  return {
    input: input.name,
    layout: layout.layout,
    num_channels: rgb ? 3 : 1,
    ...(rgb ? { do_convert_rgb: true } : { do_convert_grayscale: true }),
    do_pad_square: true,
    pad_value: 'background',
    do_resize: true,
    size: { height: layout.height, width: layout.width },
    resample: 'area',
    do_invert_light_background: false,
    background_threshold: 0.5,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: normalize,
    image_mean: mean ?? (rgb ? [0, 0, 0] : [0]),
    image_std: std ?? (rgb ? [1, 1, 1] : [1]),
  };
}

/** Picks the output to show and how to read it. */
function deriveOutput(
  summary: OnnxModelSummary,
  zipMaps: readonly { output: string; tensor: string; labels: string[] }[],
  notes: string[],
): { output: OutputSpec; task: ModelManifest['task'] } {
  const zipMapLabels = new Map(zipMaps.map((zipMap) => [zipMap.tensor, zipMap.labels]));
  // The tensor that fed a removed ZipMap is a graph output now: [N, number of labels].
  const zipMapTensors: OnnxValueInfo[] = zipMaps.map((zipMap) => ({
    name: zipMap.tensor,
    kind: 'tensor',
    elementType: 'float',
    shape: [{ value: null, param: 'N' }, { value: zipMap.labels.length || null, param: null }],
    docString: '',
  }));
  const replaced = new Set(zipMaps.map((zipMap) => zipMap.output));
  const candidates = [...zipMapTensors, ...summary.outputs.filter(isFloatTensor)];
  const skipped = summary.outputs.filter((output) => !isFloatTensor(output) && !replaced.has(output.name));
  if (candidates.length === 0) {
    throw new TandemError(
      'unsupported-model',
      `The model has no float32 tensor output to show (its outputs: ${summary.outputs.map((output) => `${output.name} ${output.kind} of ${output.elementType ?? '?'}`).join(', ')}).`,
    );
  }
  const producer = (name: string) => summary.nodes.find((node) => node.outputs.includes(name))?.opType ?? '';
  const looksLikeProbabilities = (info: OnnxValueInfo) => /prob/i.test(info.name) || ['Softmax', 'Sigmoid'].includes(producer(info.name)) || zipMapLabels.has(info.name);
  const chosen = candidates.find(looksLikeProbabilities) ?? candidates[0]!;
  for (const output of skipped) notes.push(`The output "${output.name}" (${output.kind} of ${output.elementType ?? '?'}) is not shown; "${chosen.name}" is.`);

  const width = chosen.shape?.[1]?.value ?? (chosen.shape?.length === 1 ? 1 : null);
  if (width === null || width === 1 || (chosen.shape?.length ?? 0) > 2) {
    notes.push(`The output "${chosen.name}" ${formatShape(chosen)} is read as a regression value. Choose "probability" below if it is the probability of a positive class.`);
    return { output: { name: chosen.name, kind: 'value', meaning: `The model's output "${chosen.name}".` }, task: 'regression' };
  }

  const labelsFrom = zipMapLabels.get(chosen.name) ?? splitList(summary.metadata.class_labels ?? summary.metadata.labels ?? summary.metadata.classes);
  const labels = labelsFrom.length === width ? labelsFrom : Array.from({ length: width }, (_, i) => String(i));
  if (labelsFrom.length !== width) notes.push(`The model names no class labels for its ${width} classes, so they are numbered 0 to ${width - 1}.`);
  const probabilities = looksLikeProbabilities(chosen);
  notes.push(
    probabilities
      ? `The output "${chosen.name}" ${formatShape(chosen)} is read as class probabilities.`
      : `The output "${chosen.name}" ${formatShape(chosen)} is read as logits, so softmax gives the class probabilities. Choose "probabilities" below if the model applies softmax itself.`,
  );
  return {
    output: { name: chosen.name, kind: probabilities ? 'probabilities' : 'logits', labels, meaning: `The most probable of ${width} classes.` },
    task: width === 2 ? 'binary-classification' : 'multiclass-classification',
  };
}

/**
 * Derives a manifest for a model opened without one. `zipMaps` lists the ZipMap outputs replaced
 * by their probability tensors. Throws `unsupported-model` naming an input it cannot map.
 */
export function deriveManifest(
  summary: OnnxModelSummary,
  file: { name: string; sha256: string; sizeBytes: number },
  zipMaps: { output: string; tensor: string; labels: string[] }[],
): { manifest: ModelManifest; notes: string[] } {
  const notes: string[] = [];
  if (summary.inputs.length === 0) throw new TandemError('unsupported-model', `The model "${file.name}" has no inputs, so there is nothing to feed it.`);
  for (const zipMap of zipMaps) {
    notes.push(
      `The output "${zipMap.output}" is a ZipMap (a sequence of maps, as skl2onnx exports class probabilities), which onnxruntime-web cannot return. ` +
        `Tandem reads the tensor "${zipMap.tensor}" that feeds it instead: the same probabilities.`,
    );
  }

  const image = summary.inputs.length === 1 && imageLayout(summary.inputs[0]!) ? deriveImage(summary, file.name, notes) : undefined;
  const tabular = image ? undefined : deriveTabular(summary, file.name, notes);
  const { output, task } = deriveOutput(summary, zipMaps, notes);
  if (image && output.kind === 'value') {
    throw new TandemError('unsupported-model', `The image model "${file.name}" has no class output with more than one class; Tandem shows image models as classifiers.`);
  }

  const stem = file.name.replace(/\.onnx$/i, '') || 'model';
  const outputs = summary.outputs.filter((info) => info.kind === 'tensor');
  const manifest: ModelManifest = {
    manifest_version: 1,
    name: stem,
    title: summary.metadata.title || summary.graphName || stem,
    version: summary.metadata.version || summary.producerVersion || '1',
    task,
    description: summary.docString || summary.graphDocString || `Opened from ${file.name}; the manifest was derived from the model itself.`,
    model: {
      file: file.name,
      sha256: file.sha256,
      size_bytes: file.sizeBytes,
      opset: summary.opsets['ai.onnx'],
      ir_version: summary.irVersion,
      producer: [summary.producerName, summary.producerVersion].filter(Boolean).join(' '),
    },
    signature: {
      inputs: summary.inputs.map(tensorSpec),
      outputs: [...outputs.map(tensorSpec), ...zipMaps.map((zipMap) => ({ name: zipMap.tensor, type: 'tensor' as const, 'tensor-spec': { dtype: 'float32', shape: [-1, zipMap.labels.length] } }))],
    },
    ...(tabular ? { tabular } : {}),
    ...(image ? { image } : {}),
    output,
    // The form starts from all zeros, so the first prediction shows at once.
    ...(tabular ? { sample: Object.fromEntries(tabular.features.map((feature) => [feature.name, 0])) } : {}),
  };
  return { manifest, notes };
}
