/** Runs a tabular model on encoded rows and reads the positive-class probability of each. */
import { TandemError } from '../shared/errors';
import { floatTensor, readFloats } from './engine';
import type { LoadedModel } from './models';

/** Scores `rows` encoded rows from `data` (row-major, `encoder.width` values a row). */
export async function scoreEncoded(model: LoadedModel, data: Float32Array, rows: number): Promise<Float32Array> {
  const tabular = model.manifest.tabular;
  const encoder = model.encoder;
  if (!tabular || !encoder) {
    throw new TandemError('invalid-input', `The model "${model.manifest.name}" takes images, not records.`);
  }
  if (rows === 0) return new Float32Array(0);

  const output = model.manifest.output;
  const results = await model.compiled.run({ [tabular.input]: floatTensor(data.subarray(0, rows * encoder.width), rows, encoder.width) });
  const tensor = results[output.name];
  if (!tensor) {
    throw new TandemError('model-load-failed', `The model has no output named "${output.name}"; its outputs are ${model.compiled.outputNames.join(', ')}.`);
  }
  const values = await readFloats(tensor);
  tensor.dispose();
  if (output.kind !== 'probability') return values.slice(0, rows);

  // A [N, 1] probability output has one value per row, and a [N, 2] one has both classes.
  const perRow = values.length / rows;
  if (perRow === 1) return values.slice(0, rows);
  const positive = Math.max(0, (output.labels ?? []).indexOf(output.positive_label ?? ''));
  const picked = new Float32Array(rows);
  for (let i = 0; i < rows; i++) picked[i] = values[i * perRow + positive]!;
  return picked;
}

/** Returns the predicted label for a probability at the manifest's threshold. */
export function labelFor(model: LoadedModel, probability: number): string {
  const output = model.manifest.output;
  const labels = output.labels ?? ['0', '1'];
  return probability >= (output.threshold ?? 0.5) ? (output.positive_label ?? labels[1]!) : labels.find((label) => label !== output.positive_label) ?? labels[0]!;
}
