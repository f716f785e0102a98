/** Runs an image model on preprocessed images and turns its logits into class probabilities. */
import { TandemError } from '../shared/errors';
import { floatTensor, readFloats } from './engine';
import type { LoadedModel } from './models';
import { tensorLength, type ImageSpec } from './preprocess/image';

export interface ClassScores {
  /** Raw model outputs, `labels.length` per image. */
  logits: Float32Array;
  /** Softmax of the logits, `labels.length` per image. */
  probabilities: Float32Array;
  /** The `embedding` output, `embeddingSize` values per image; absent when the model has none. */
  embeddings?: Float32Array;
  embeddingSize?: number;
}

/** The name of the optional output with an L2-normalised embedding for similarity search. */
export const embeddingOutputName = 'embedding';

/** Returns the size of the model's `embedding` output, or null when it has none. */
export function embeddingSizeOf(model: LoadedModel): number | null {
  if (!model.compiled.outputNames.includes(embeddingOutputName)) return null;
  const spec = model.manifest.signature.outputs.find((output) => output.name === embeddingOutputName);
  const size = spec?.['tensor-spec'].shape.at(-1);
  return typeof size === 'number' && size > 0 ? size : null;
}

export function imageSpecOf(model: LoadedModel): ImageSpec {
  const image = model.manifest.image as ImageSpec | undefined;
  if (!image) throw new TandemError('invalid-input', `The model "${model.manifest.name}" takes records, not images. Choose a CSV file for it.`);
  return image;
}

/** Returns the softmax of each row of `logits` (`classes` values a row), computed stably. */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let start = 0; start < logits.length; start += classes) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[start + k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const value = Math.exp(logits[start + k]! - max);
      out[start + k] = value;
      sum += value;
    }
    for (let k = 0; k < classes; k++) out[start + k]! /= sum;
  }
  return out;
}

/** Scores `count` images whose tensors are packed one after another in `data`. */
export async function scoreImages(model: LoadedModel, data: Float32Array, count: number): Promise<ClassScores> {
  const image = imageSpecOf(model);
  const output = model.manifest.output;
  const classes = output.labels?.length ?? 0;
  const { height, width } = image.size;
  const channels = image.num_channels === 3 ? 3 : 1;
  const length = tensorLength(image);
  const shape = image.layout === 'NHWC' ? [count, height, width, channels] : [count, channels, height, width];
  const input = floatTensor(data.subarray(0, count * length), count, length).reshape(shape);
  const results = await model.compiled.run({ [image.input]: input });
  const tensor = results[output.name];
  if (!tensor) {
    throw new TandemError('model-load-failed', `The model has no output named "${output.name}"; its outputs are ${model.compiled.outputNames.join(', ')}.`);
  }
  const logits = (await readFloats(tensor)).slice(0, count * classes);
  const embeddingSize = embeddingSizeOf(model);
  const embeddingTensor = results[embeddingOutputName];
  const embeddings = embeddingSize && embeddingTensor ? (await readFloats(embeddingTensor)).slice(0, count * embeddingSize) : undefined;
  for (const result of Object.values(results)) result.dispose();
  const probabilities = output.kind === 'logits' ? softmaxRows(logits, classes) : logits;
  return embeddings ? { logits, probabilities, embeddings, embeddingSize: embeddingSize! } : { logits, probabilities };
}

export interface TopClass {
  label: string;
  index: number;
  probability: number;
}

/** Returns the `k` most probable classes of image `row`, most probable first. */
export function topClasses(probabilities: Float32Array, row: number, labels: readonly string[], k = 3): TopClass[] {
  const classes = labels.length;
  const start = row * classes;
  return labels
    .map((label, index) => ({ label, index, probability: probabilities[start + index]! }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}
