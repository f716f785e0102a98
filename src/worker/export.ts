/**
 * Writes a job's results as CSV: the input rows in input order with their original columns, plus
 * `prediction`, `probability`, `error` and `warning`. The input file is read again as a stream and joined to
 * the stored chunks by row number, so neither is held whole in memory.
 */
import Papa from 'papaparse';
import { formatRowError, type RowError, type RowWarning } from '../shared/errors';
import type { ClassProbability, ImageResultPage, ImageResultQuery, ImageResultRow } from '../shared/protocol';
import type { ChunkRecord, Database, JobRecord } from '../storage/db';
import { readChunks } from '../storage/jobs';
import type { LoadedModel } from './models';
import { readTable } from './readers/jsonl';
import { imageSpecOf } from './image-run';
import { labelFor } from './tabular-run';

export const resultColumns = ['prediction', 'probability', 'error', 'warning'] as const;

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
  let warningsByRow = new Map<number, RowWarning>();
  let rowNumber = 0;
  let headerSkipped = false;

  const resultFor = async (row: number): Promise<string[]> => {
    while (!chunk || row >= chunk.firstRow + chunk.rowCount) {
      const next = await chunks.next();
      if (next.done) throw new Error(`Row ${row} of job ${job.id} has no stored result.`);
      chunk = next.value;
      errorsByRow = new Map(chunk.errors.map((error) => [error.row, error]));
      warningsByRow = new Map((chunk.warnings ?? []).map((warning) => [warning.row, warning]));
    }
    const error = errorsByRow.get(row);
    if (error) return ['', '', formatRowError(error), ''];
    const probability = chunk.probabilities[row - chunk.firstRow]!;
    const classIndex = chunk.classIndices?.[row - chunk.firstRow] ?? -1;
    const warning = warningsByRow.get(row)?.reason ?? '';
    // A regression's value is the prediction; it has no probability.
    if (model.manifest.output.kind === 'value') return [labelFor(model, probability), '', '', warning];
    return [labelFor(model, probability, classIndex), formatProbability(probability), '', warning];
  };

  const options = job.dialect ? { delimiter: job.dialect.delimiter, encoding: job.dialect.encoding, decimal: job.dialect.decimal } : {};
  for await (const csv of readTable(file, options)) {
    const lines: string[][] = [];
    const rows = headerSkipped ? csv.rows : csv.rows.slice(1);
    headerSkipped = true;

    for (const values of rows) {
      rowNumber += 1;
      if (rowNumber > job.rowsDone) break;
      // A short row is padded and a long one cut, so the result columns stay under their
      // headers; such a row has an error that gives its field count.
      const original = values.length < width ? [...values, ...new Array<string>(width - values.length).fill('')] : values.slice(0, width);
      lines.push([...original, ...(await resultFor(rowNumber))]);
    }
    if (lines.length > 0) parts.push(new Blob([Papa.unparse(lines, { newline: '\n' }) + '\n']));
    if (rowNumber >= job.rowsDone) break;
  }

  return new Blob(parts, { type: 'text/csv' });
}

export const imageResultColumns = ['file', 'prediction', 'probability', 'top3', 'error'] as const;

/** Formats the top classes as `label:probability` pairs joined by `|`, most probable first. */
export function formatTop(top: readonly ClassProbability[]): string {
  return top.map((item) => `${item.label}:${formatProbability(item.probability)}`).join('|');
}

/** Returns row `i` of an image chunk as the grid and the export show it. */
export function imageRowOf(chunk: ChunkRecord, i: number, labels: readonly string[], errorsByRow: Map<number, RowError>, size: { width: number; height: number }): ImageResultRow {
  const row = chunk.firstRow + i;
  const error = errorsByRow.get(row);
  const pixels = chunk.previews && chunk.rowCount > 0 ? chunk.previews.length / chunk.rowCount : 0;
  const top: ClassProbability[] = [];
  for (let k = 0; k < 3 && !error; k++) {
    const index = chunk.topIndices?.[i * 3 + k] ?? -1;
    if (index >= 0) top.push({ label: labels[index] ?? String(index), probability: chunk.topProbabilities![i * 3 + k]! });
  }
  return {
    row,
    name: chunk.names?.[i] ?? '',
    prediction: top[0]?.label ?? null,
    probability: top[0]?.probability ?? null,
    top,
    error: error ? error.reason : null,
    preview: error || pixels === 0 ? null : chunk.previews!.slice(i * pixels, (i + 1) * pixels),
    previewWidth: size.width,
    previewHeight: size.height,
  };
}

/** Writes an image job's results as CSV with `file`, `prediction`, `probability`, `top3` and `error`, in input order. */
export async function exportImageJob(db: Database, job: JobRecord, model: LoadedModel): Promise<Blob> {
  const labels = model.manifest.output.labels ?? [];
  const parts: BlobPart[] = [Papa.unparse([[...imageResultColumns]], { newline: '\n' }) + '\n'];
  for await (const chunk of readChunks(db, job.id, job.chunkCount)) {
    const errorsByRow = new Map(chunk.errors.map((error) => [error.row, error]));
    const lines: string[][] = [];
    for (let i = 0; i < chunk.rowCount; i++) {
      const row = imageRowOf(chunk, i, labels, errorsByRow, imageSpecOf(model).size);
      lines.push([row.name, row.prediction ?? '', row.probability === null ? '' : formatProbability(row.probability), formatTop(row.top), row.error ?? '']);
    }
    parts.push(new Blob([Papa.unparse(lines, { newline: '\n' }) + '\n']));
  }
  return new Blob(parts, { type: 'text/csv' });
}

/** Returns one page of an image job's results, filtered by predicted label, confidence or errors. */
export async function queryImageResults(db: Database, job: JobRecord, model: LoadedModel, query: ImageResultQuery): Promise<ImageResultPage> {
  const labels = model.manifest.output.labels ?? [];
  const rows: ImageResultRow[] = [];
  let total = 0;
  for await (const chunk of readChunks(db, job.id, job.chunkCount)) {
    const errorsByRow = new Map(chunk.errors.map((error) => [error.row, error]));
    for (let i = 0; i < chunk.rowCount; i++) {
      const hasError = errorsByRow.has(chunk.firstRow + i);
      const label = hasError ? null : labels[chunk.topIndices?.[i * 3] ?? -1];
      const probability = chunk.probabilities[i]!;
      if (query.errorsOnly && !hasError) continue;
      if (query.label !== undefined && label !== query.label) continue;
      if (query.maxProbability !== undefined && (hasError || !(probability < query.maxProbability))) continue;
      if (total >= query.offset && rows.length < query.limit) rows.push(imageRowOf(chunk, i, labels, errorsByRow, imageSpecOf(model).size));
      total += 1;
    }
  }
  return { total, rows };
}
