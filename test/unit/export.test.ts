import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase, type JobRecord } from '../../src/storage/db';
import { commitChunk, insertJob } from '../../src/storage/jobs';
import { exportJob, formatProbability } from '../../src/worker/export';
import type { LoadedModel } from '../../src/worker/models';
import { loadChurnManifest, readAllRows } from './support/churn';

// The engine module configures onnxruntime-web for a worker global scope (`self`) when it loads,
// which Node lacks. The export never runs a model, so the test replaces it with an empty module.
vi.mock('../../src/worker/engine', () => ({}));

/** Counts the significant digits of a decimal or exponent string such as `0.012345` or `1.5e-7`. */
function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').split(/e/i)[0]!;
  const digits = mantissa.replace('.', '').replace(/^0+/, '');
  // Trailing zeros after a decimal point are significant, but this formatter never writes them.
  return digits.length;
}

/** Probabilities from 0 to 1, most of them float32 values as the model returns them. */
const probabilities = [
  0, 1, 0.5, 0.1657497, 0.42205733, 0.014724195, 0.999999, 1e-7, 1.2345678e-10,
  ...[1 / 3, 2 / 3, 0.123456789, 0.987654321, 3.4e-5, 0.0001].map(Math.fround),
  // The smallest positive float32 (a subnormal).
  2 ** -149,
];

describe('formatProbability', () => {
  it('writes at most 8 significant digits', () => {
    for (const probability of probabilities) {
      const text = formatProbability(probability);
      expect(significantDigits(text), `${probability} -> ${text}`).toBeLessThanOrEqual(8);
    }
  });

  it('parses back within 1e-8', () => {
    for (const probability of probabilities) {
      const text = formatProbability(probability);
      expect(Math.abs(Number(text) - probability), `${probability} -> ${text}`).toBeLessThanOrEqual(1e-8);
    }
  });

  it('rounds to 8 digits', () => {
    expect(formatProbability(0.123456789)).toBe('0.12345679');
    expect(formatProbability(Math.fround(1 / 3))).toBe('0.33333334');
  });

  it('drops trailing zeros', () => {
    expect(formatProbability(0.5)).toBe('0.5');
    expect(formatProbability(1)).toBe('1');
    expect(formatProbability(0)).toBe('0');
  });

  it('keeps golden value text', () => {
    expect(formatProbability(Math.fround(0.1657497))).toBe('0.1657497');
  });
});

describe('exportJob', () => {
  const header = ['customerID', 'tenure', 'Churn'];
  const csv = 'customerID,tenure,Churn\nC1,5,No\nC2,abc,Yes\nC3,7\n"C4, Jr",9,No\nC5,1,No\n';

  function makeJob(overrides: Partial<JobRecord>): JobRecord {
    return {
      id: 'job-1', modelId: 'churn/wasm', modelName: 'churn', fileName: 'customers.csv', fileSize: csv.length,
      status: 'completed', rowsDone: 0, errorCount: 0, rowsTotal: null, createdAt: 1, updatedAt: 1, runMs: 0,
      cachedFrom: null, idColumn: 'customerID', labelColumn: 'Churn', evaluation: null, sampleErrors: [], message: null,
      fileHash: null, fileLastModified: 0, preprocessingKey: 'churn-v1', header, chunkCount: 0, bytesDone: 0,
      ...overrides,
    };
  }

  /** Stores a job over the CSV with results for its first four rows: row 2 is an error, row 4 has a warning. */
  async function exportFourRows(): Promise<string[][]> {
    const db = await openDatabase(`tandem-export-test-${Math.random()}`);
    const file = new Blob([csv]);
    const job = makeJob({ rowsDone: 4, errorCount: 1, chunkCount: 2 });
    await insertJob(db, makeJob({}), file);
    await commitChunk(db, makeJob({ rowsDone: 2, chunkCount: 1 }), {
      jobId: 'job-1', index: 0, firstRow: 1, rowCount: 2,
      probabilities: Float32Array.from([0.1657497, NaN]),
      labels: Int8Array.from([0, 1]),
      errors: [{ row: 2, column: 'tenure', value: 'abc', reason: '"tenure" must be a number such as 42 or 18.5' }],
    });
    await commitChunk(db, job, {
      jobId: 'job-1', index: 1, firstRow: 3, rowCount: 2,
      probabilities: Float32Array.from([0.75, 0.5]),
      labels: Int8Array.from([-1, 0]),
      errors: [],
      warnings: [{ row: 4, reason: "tenure is 9, above the model's range of 0 to 8" }],
    });

    const model = { manifest: loadChurnManifest() } as LoadedModel;
    const exported = await exportJob(db, job, file, model);
    db.close();
    return readAllRows(exported);
  }

  it('appends result columns to header', async () => {
    const [exportedHeader] = await exportFourRows();

    expect(exportedHeader).toEqual([...header, 'prediction', 'probability', 'error', 'warning']);
  });

  it('writes prediction and probability', async () => {
    const rows = await exportFourRows();

    expect(rows[1]).toEqual(['C1', '5', 'No', 'No', '0.1657497', '', '']);
  });

  it('writes warning beside result', async () => {
    const rows = await exportFourRows();

    expect(rows[4]).toEqual(['C4, Jr', '9', 'No', 'Yes', '0.5', '', "tenure is 9, above the model's range of 0 to 8"]);
  });

  it('writes row error instead of result', async () => {
    const rows = await exportFourRows();

    expect(rows[2]).toEqual(['C2', 'abc', 'Yes', '', '', 'column tenure is "abc": "tenure" must be a number such as 42 or 18.5', '']);
  });

  it('pads short row under headers', async () => {
    const rows = await exportFourRows();

    expect(rows[3]).toEqual(['C3', '7', '', 'Yes', '0.75', '', '']);
  });

  it('stops at rowsDone checkpoint', async () => {
    const rows = await exportFourRows();

    expect(rows).toHaveLength(5);
  });
});
