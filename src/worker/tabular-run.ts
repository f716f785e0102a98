/** Runs a tabular model on encoded rows and reads each row's result. */
import { TandemError } from '../shared/errors';
import type { ModelManifest } from '../shared/manifest';
import { floatTensor, readFloats, type Feeds } from './engine';
import { softmaxRows } from './image-run';
import type { LoadedModel } from './models';

export interface EncodedScores {
  /**
   * One per row: the positive-class probability (`probability`), the top class's probability
   * (`probabilities`, `logits`) or the value (`value`).
   */
  values: Float32Array;
  /** One per row: the index of the most probable class, or null for `probability` and `value` outputs. */
  classes: Int16Array | null;
  /** The class probabilities, `classCount` per row, or null. */
  probabilities: Float32Array | null;
  classCount: number;
}

/** The fixed batch size of a model whose first input dimension is not dynamic, or null. */
function fixedBatch(manifest: ModelManifest, input: string): number | null {
  const size = manifest.signature.inputs.find((spec) => spec.name === input)?.['tensor-spec'].shape[0];
  return size !== undefined && size > 0 ? size : null;
}

/** Builds the feeds for `rows` encoded rows, splitting each row across the model's inputs. */
function feedsFor(model: LoadedModel, data: Float32Array, rows: number, width: number): Feeds {
  const tabular = model.manifest.tabular!;
  if (!tabular.inputs) return { [tabular.input]: floatTensor(data.subarray(0, rows * width), rows, width) };
  const feeds: Feeds = {};
  let offset = 0;
  for (const input of tabular.inputs) {
    const part = new Float32Array(rows * input.width);
    for (let row = 0; row < rows; row++) part.set(data.subarray(row * width + offset, row * width + offset + input.width), row * input.width);
    feeds[input.name] = floatTensor(part, rows, input.width);
    offset += input.width;
  }
  return feeds;
}

/** Runs the model on `rows` rows and returns the output's values, `rows x perRow`. */
async function runRows(model: LoadedModel, data: Float32Array, rows: number, width: number): Promise<Float32Array> {
  const output = model.manifest.output;
  const results = await model.compiled.run(feedsFor(model, data, rows, width));
  const tensor = results[output.name];
  if (!tensor) {
    throw new TandemError('model-load-failed', `The model has no output named "${output.name}"; its outputs are ${model.compiled.outputNames.join(', ')}.`);
  }
  const values = await readFloats(tensor);
  for (const result of Object.values(results)) result.dispose();
  return values;
}

/** Scores `rows` encoded rows from `data` (row-major, `encoder.width` values a row). */
export async function scoreEncodedRows(model: LoadedModel, data: Float32Array, rows: number): Promise<EncodedScores> {
  const tabular = model.manifest.tabular;
  const encoder = model.encoder;
  if (!tabular || !encoder) {
    throw new TandemError('invalid-input', `The model "${model.manifest.name}" takes images, not records.`);
  }
  const output = model.manifest.output;
  if (rows === 0) return { values: new Float32Array(0), classes: null, probabilities: null, classCount: 0 };
  const width = encoder.width;

  // A model exported with a fixed batch size runs in batches of that size; the last is padded.
  const batch = fixedBatch(model.manifest, tabular.input);
  let values: Float32Array;
  if (batch === null) {
    values = await runRows(model, data, rows, width);
  } else {
    const parts: Float32Array[] = [];
    for (let start = 0; start < rows; start += batch) {
      const count = Math.min(batch, rows - start);
      const padded = new Float32Array(batch * width);
      padded.set(data.subarray(start * width, (start + count) * width));
      const result = await runRows(model, padded, batch, width);
      parts.push(result.subarray(0, (result.length / batch) * count));
    }
    values = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      values.set(part, offset);
      offset += part.length;
    }
  }

  const perRow = values.length / rows;
  if (output.kind === 'value' || (output.kind === 'probability' && perRow === 1)) {
    const picked = new Float32Array(rows);
    for (let i = 0; i < rows; i++) picked[i] = values[i * perRow]!;
    return { values: picked, classes: null, probabilities: null, classCount: 0 };
  }
  if (output.kind === 'probability') {
    // A [N, 2] probability output has both classes; the positive one is picked.
    const positive = Math.max(0, (output.labels ?? []).indexOf(output.positive_label ?? ''));
    const picked = new Float32Array(rows);
    for (let i = 0; i < rows; i++) picked[i] = values[i * perRow + positive]!;
    return { values: picked, classes: null, probabilities: null, classCount: 0 };
  }

  const probabilities = output.kind === 'logits' ? softmaxRows(values, perRow) : values.slice(0, rows * perRow);
  const top = new Float32Array(rows);
  const classes = new Int16Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let k = 1; k < perRow; k++) if (probabilities[i * perRow + k]! > probabilities[i * perRow + best]!) best = k;
    classes[i] = best;
    top[i] = probabilities[i * perRow + best]!;
  }
  return { values: top, classes, probabilities, classCount: perRow };
}

/** Scores `rows` encoded rows and returns one value per row, as {@link EncodedScores.values}. */
export async function scoreEncoded(model: LoadedModel, data: Float32Array, rows: number): Promise<Float32Array> {
  return (await scoreEncodedRows(model, data, rows)).values;
}

/** Formats a regression value with 8 significant digits. */
function formatValue(value: number): string {
  return String(Number(value.toPrecision(8)));
}

/**
 * Returns the prediction's text: the class label for a class index, the value for a regression,
 * or the label at the manifest's threshold for a positive-class probability.
 */
export function labelFor(model: LoadedModel, probability: number, classIndex = -1): string {
  const output = model.manifest.output;
  if (output.kind === 'value') return formatValue(probability);
  const labels = output.labels ?? ['0', '1'];
  if (classIndex >= 0) return labels[classIndex] ?? String(classIndex);
  return probability >= (output.threshold ?? 0.5) ? (output.positive_label ?? labels[1]!) : labels.find((label) => label !== output.positive_label) ?? labels[0]!;
}
