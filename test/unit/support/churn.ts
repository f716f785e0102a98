/** Loads the shipped churn model's manifest, golden outputs and CSV files for the unit tests. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest, type ModelManifest, type TabularSpec } from '../../../src/shared/manifest';
import { readCsv, type CsvReadOptions } from '../../../src/worker/readers/csv';

export const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));

export const churnModelPath = resolve(repositoryRoot, 'public/models/churn/model.onnx');
export const churnCsvPath = resolve(repositoryRoot, 'public/data/churn.csv');
export const churnIbmCsvPath = resolve(repositoryRoot, 'public/data/churn-ibm.csv');

/** Reads the manifest file as plain JSON, for tests that break it on purpose. */
export function readChurnManifestJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(resolve(repositoryRoot, 'public/models/churn/manifest.json'), 'utf8')) as Record<string, unknown>;
}

export function loadChurnManifest(): ModelManifest {
  return parseManifest(readChurnManifestJson(), 'public/models/churn/manifest.json');
}

export function loadChurnTabular(): TabularSpec {
  const tabular = loadChurnManifest().tabular;
  if (!tabular) throw new Error('The churn manifest has no "tabular" section.');
  return tabular;
}

/** Reference outputs: `row` is a 0-based data row of churn.csv (the header is not counted). */
export interface GoldenFile {
  tolerance: number;
  rows: { row: number; probability: number }[];
}

export function loadChurnGolden(): GoldenFile {
  return JSON.parse(readFileSync(resolve(repositoryRoot, 'public/models/churn/golden.json'), 'utf8')) as GoldenFile;
}

/** Reads every row of a CSV Blob with `readCsv`, the header included as the first row. */
export async function readAllRows(file: Blob, options: CsvReadOptions = {}): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const chunk of readCsv(file, options)) rows.push(...chunk.rows);
  return rows;
}

/** Reads a file from disk into a Blob and parses it with `readCsv`. */
export async function readCsvFile(path: string, options: CsvReadOptions = {}): Promise<{ header: string[]; rows: string[][] }> {
  const all = await readAllRows(new Blob([readFileSync(path)]), options);
  const [header, ...rows] = all;
  if (!header) throw new Error(`${path} has no header row.`);
  return { header, rows };
}
