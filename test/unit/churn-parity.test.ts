/**
 * Checks the TypeScript encoder against the training pipeline. Encoded rows of both shipped CSV
 * layouts, run through the real model with onnxruntime-node, must reproduce golden.json and the
 * ROC AUC that the manifest records.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchColumns } from '../../src/shared/columns';
import { rocAuc } from '../../src/shared/evaluation';
import { createFeatureEncoder, parseLabel } from '../../src/shared/tabular';
import { churnCsvPath, churnIbmCsvPath, churnModelPath, loadChurnGolden, loadChurnManifest, readCsvFile } from './support/churn';

/** Maximum absolute difference from golden.json, the tolerance that golden.json itself states. */
const parityTolerance = 1e-5;
/** The manifest rounds `metrics.all_rows.roc_auc` to 4 decimals, so the exact value lies within half a unit of the last digit. */
const rocAucTolerance = 5e-5;

const manifest = loadChurnManifest();
const tabular = manifest.tabular!;
const encoder = createFeatureEncoder(tabular.features);
const golden = loadChurnGolden();

interface EncodedFile {
  rows: number;
  features: Float32Array;
  labels: Int8Array;
  /** Data rows whose total_charges cell is empty, so the encoder used the manifest's fill_value. */
  emptyTotalChargesRows: number[];
}

/** Encodes every data row of a CSV file into one row-major [rows, width] buffer. */
async function encodeFile(path: string): Promise<EncodedFile> {
  const { header, rows } = await readCsvFile(path);
  const mapping = matchColumns(header, tabular);
  const features = new Float32Array(rows.length * encoder.width);
  const labels = new Int8Array(rows.length);
  const totalChargesColumn = mapping.featureColumns[tabular.features.findIndex((feature) => feature.name === 'total_charges')]!;
  const emptyTotalChargesRows: number[] = [];

  rows.forEach((values, i) => {
    encoder.encodeValues(values, mapping, features, i * encoder.width);
    labels[i] = parseLabel(values[mapping.labelColumn], tabular.label!) ?? -1;
    if ((values[totalChargesColumn] ?? '').trim() === '') emptyTotalChargesRows.push(i);
  });
  return { rows: rows.length, features, labels, emptyTotalChargesRows };
}

/** Returns the feature vectors of the given rows, in that order. */
function pickRows(file: EncodedFile, rowIndexes: readonly number[]): Float32Array {
  const picked = new Float32Array(rowIndexes.length * encoder.width);
  rowIndexes.forEach((row, i) => picked.set(file.features.subarray(row * encoder.width, (row + 1) * encoder.width), i * encoder.width));
  return picked;
}

describe('churn model parity', () => {
  let session: ort.InferenceSession;
  let modeldata: EncodedFile;
  let ibm: EncodedFile;

  async function predict(features: Float32Array): Promise<Float32Array> {
    const rows = features.length / encoder.width;
    const input = new ort.Tensor('float32', features, [rows, encoder.width]);
    const outputs = await session.run({ [tabular.input]: input });
    const probabilities = outputs[manifest.output.name];
    if (!probabilities) throw new Error(`The model has no output named "${manifest.output.name}".`);
    return probabilities.data as Float32Array;
  }

  beforeAll(async () => {
    session = await ort.InferenceSession.create(churnModelPath);
    modeldata = await encodeFile(churnCsvPath);
    ibm = await encodeFile(churnIbmCsvPath);
  });

  afterAll(async () => {
    await session?.release();
  });

  it('reads all 7,043 rows of both files', () => {
    expect(modeldata.rows).toBe(7043);
    expect(ibm.rows).toBe(7043);
  });

  it('encodes both layouts identically', () => {
    let differingRows = 0;
    for (let row = 0; row < modeldata.rows; row++) {
      const start = row * encoder.width;
      const modeldataRow = modeldata.features.subarray(start, start + encoder.width);
      const ibmRow = ibm.features.subarray(start, start + encoder.width);
      if (modeldataRow.some((value, i) => !Object.is(value, ibmRow[i]))) differingRows++;
    }

    expect(differingRows).toBe(0);
  });

  it('reads identical labels in both layouts', () => {
    expect(Array.from(ibm.labels)).toEqual(Array.from(modeldata.labels));
  });

  it('covers all 1,409 held-out rows', () => {
    const rows = new Set(golden.rows.map((entry) => entry.row));

    expect(golden.rows).toHaveLength(1409);
    expect(golden.rows).toHaveLength(manifest.metrics!.test_rows as number);
    expect(rows.size).toBe(1409);
    expect(Math.max(...rows)).toBeLessThan(modeldata.rows);
    expect(Math.min(...rows)).toBeGreaterThanOrEqual(0);
  });

  it('has 11 empty total_charges cells', () => {
    expect(modeldata.emptyTotalChargesRows).toHaveLength(11);
    expect(ibm.emptyTotalChargesRows).toEqual(modeldata.emptyTotalChargesRows);
  });

  it('holds out an empty total_charges row', () => {
    const heldOut = new Set(golden.rows.map((entry) => entry.row));

    expect(modeldata.emptyTotalChargesRows.filter((row) => heldOut.has(row)).length).toBeGreaterThan(0);
  });

  it('states golden tolerance 1e-5', () => {
    expect(golden.tolerance).toBe(parityTolerance);
  });

  for (const layout of ['modeldata', 'ibm'] as const) {
    it(`matches golden within 1e-5 (${layout})`, async () => {
      const file = layout === 'modeldata' ? modeldata : ibm;
      const rowIndexes = golden.rows.map((entry) => entry.row);
      const probabilities = await predict(pickRows(file, rowIndexes));

      let compared = 0;
      let maxDifference = 0;
      let worstRow = -1;
      golden.rows.forEach((entry, i) => {
        const difference = Math.abs(probabilities[i]! - entry.probability);
        compared++;
        if (!(difference <= maxDifference)) {
          maxDifference = difference;
          worstRow = entry.row;
        }
      });

      expect(probabilities).toHaveLength(1409);
      expect(compared).toBe(1409);
      expect(maxDifference, `largest difference at data row ${worstRow}`).toBeLessThanOrEqual(parityTolerance);
    });
  }

  it('matches all-rows ROC AUC within 5e-5', async () => {
    const probabilities = await predict(modeldata.features);
    const recorded = (manifest.metrics!.all_rows as { rows: number; roc_auc: number });

    expect(probabilities).toHaveLength(recorded.rows);
    expect(modeldata.labels.includes(-1)).toBe(false);
    expect(Math.abs(rocAuc(probabilities, modeldata.labels) - recorded.roc_auc)).toBeLessThanOrEqual(rocAucTolerance);
  });
});
