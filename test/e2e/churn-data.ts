/** The shipped churn data and reference values, read from the repository for the e2e tests. */
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';

export interface GoldenRow {
  row: number;
  probability: number;
}

export const churnManifest = JSON.parse(readFileSync('public/models/churn/manifest.json', 'utf8'));
export const golden: { tolerance: number; rows: GoldenRow[] } = JSON.parse(readFileSync('public/models/churn/golden.json', 'utf8'));

/** Parses a CSV text into records keyed by header name. */
export function parseCsv(text: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  if (parsed.errors.length > 0) throw new Error(`CSV parse errors: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
  return parsed.data;
}

export const modeldataRows = parseCsv(readFileSync('public/data/churn.csv', 'utf8'));
