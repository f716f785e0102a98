/**
 * Writes a job's results as CSV: the input rows in input order with their original columns, plus
 * `prediction`, `probability` and `error`. The input file is read again as a stream and joined to
 * the stored chunks by row number, so neither is held whole in memory.
 */
import Papa from 'papaparse';
import { formatRowError, type RowError } from '../shared/errors';
import type { ChunkRecord, Database, JobRecord } from '../storage/db';
import { readChunks } from '../storage/jobs';
import type { LoadedModel } from './models';
import { readCsv } from './readers/csv';
import { labelFor } from './tabular-run';

export const resultColumns = ['prediction', 'probability', 'error'] as const;

/**
 * Formats a probability with 8 significant digits: enough to round-trip a float32 well within
 * the 1e-5 parity tolerance, and the same text for the same value on every run.
 */
export function formatProbability(probability: number): string {
  return String(Number(probability.toPrecision(8)));
}

export async function exportJob(db: Database, job: JobRecord, file: Blob, model: LoadedModel): Promise<Blob> {
  const width = job.header.length;
  const parts: BlobPart[] = [Papa.unparse([[...job.header, ...resultColumns]], { newline: '\n' }) + '\n'];
  const chunks = readChunks(db, job.id, job.chunkCount);
  let chunk: ChunkRecord | null = null;
  let errorsByRow = new Map<number, RowError>();
  let rowNumber = 0;
  let headerSkipped = false;

  const resultFor = async (row: number): Promise<string[]> => {
    while (!chunk || row >= chunk.firstRow + chunk.rowCount) {
      const next = await chunks.next();
      if (next.done) throw new Error(`Row ${row} of job ${job.id} has no stored result.`);
      chunk = next.value;
      errorsByRow = new Map(chunk.errors.map((error) => [error.row, error]));
    }
    const error = errorsByRow.get(row);
    if (error) return ['', '', formatRowError(error)];
    const probability = chunk.probabilities[row - chunk.firstRow]!;
    return [labelFor(model, probability), formatProbability(probability), ''];
  };

  for await (const csv of readCsv(file)) {
    const lines: string[][] = [];
    const rows = headerSkipped ? csv.rows : csv.rows.slice(1);
    headerSkipped = true;

    for (const values of rows) {
      rowNumber += 1;
      if (rowNumber > job.rowsDone) break;
      // A short row is padded so the result columns stay under their headers.
      const original = values.length < width ? [...values, ...new Array<string>(width - values.length).fill('')] : values;
      lines.push([...original, ...(await resultFor(rowNumber))]);
    }
    if (lines.length > 0) parts.push(new Blob([Papa.unparse(lines, { newline: '\n' }) + '\n']));
    if (rowNumber >= job.rowsDone) break;
  }

  return new Blob(parts, { type: 'text/csv' });
}
