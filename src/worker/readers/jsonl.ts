/**
 * Streams a JSON Lines file (one JSON object per line) as the same chunks of rows the CSV reader
 * yields, so batch jobs, resume and export treat both alike. The header is the keys of the first
 * object, in their order. Later objects are read by those keys: a missing key is an empty cell,
 * reported by name when a feature needs it, and a key the first object lacks is ignored, because
 * the export's CSV header is fixed by the first object. A line that is not a JSON object is a
 * row error.
 */
import { TandemError } from '../../shared/errors';
import { readCsv, type CsvChunk, type CsvDialect, type CsvReadOptions } from './csv';

/** The `delimiter` value that marks a JSON Lines file in a job's read settings. */
export const jsonLinesDelimiter = 'jsonl';

/** Reports whether a file name has a JSON Lines extension (`.jsonl`, `.ndjson`). */
export function isJsonLinesName(name: string): boolean {
  return /\.(jsonl|ndjson)$/i.test(name);
}

const linesPerChunk = 2000;
const dialect: CsvDialect = { delimiter: jsonLinesDelimiter, linebreak: '\n', encoding: 'utf-8', decimal: '.' };

/** Turns one JSON value into the cell text the encoders read. */
function cellOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function parseLine(line: string): { record: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { problem: `the line is not valid JSON (${error instanceof Error ? error.message : String(error)}); write one complete JSON object per line` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: `the line is ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}, not a JSON object; write one object per line, such as {"age": 42}` };
  }
  return { record: value as Record<string, unknown> };
}

/** Reads `file` as JSON Lines, yielding chunks of rows until the end of the file. */
export async function* readJsonLines(file: Blob): AsyncGenerator<CsvChunk> {
  const decoder = new TextDecoder('utf-8');
  const reader = file.stream().getReader();
  let header: string[] | null = null;
  let pending = '';
  let bytesRead = 0;
  let rows: string[][] = [];
  let problems = new Map<number, string>();
  let missingKeys = new Map<number, string[]>();

  const take = (line: string) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') return;
    const parsed = parseLine(text);
    if (header === null) {
      if ('problem' in parsed) {
        throw new TandemError('file-read-failed', `The first line of the JSON Lines file is not a JSON object: ${parsed.problem}. The first object's keys name the columns.`);
      }
      header = Object.keys(parsed.record);
      rows.push(header);
    }
    if ('problem' in parsed) {
      problems.set(rows.length, parsed.problem);
      rows.push(header.map(() => ''));
      return;
    }
    const missing = header.filter((key) => !Object.hasOwn(parsed.record, key));
    if (missing.length > 0) missingKeys.set(rows.length, missing);
    rows.push(header.map((key) => cellOf(parsed.record[key])));
  };

  const flush = (): CsvChunk => {
    const chunk = { rows, problems, missingKeys, bytesRead, dialect };
    rows = [];
    problems = new Map();
    missingKeys = new Map();
    return chunk;
  };

  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.byteLength;
      pending += decoder.decode(value, { stream: true });
      let start = 0;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        take(pending.slice(start, newline));
        start = newline + 1;
        if (rows.length >= linesPerChunk) {
          pending = pending.slice(start);
          start = 0;
          yield flush();
        }
        newline = pending.indexOf('\n', start);
      }
      pending = pending.slice(start);
    }
    pending += decoder.decode();
    if (pending !== '') take(pending);
    if (rows.length > 0) yield flush();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Reads a batch input: JSON Lines when `options.delimiter` is {@link jsonLinesDelimiter}, CSV otherwise. */
export function readTable(file: Blob, options: CsvReadOptions = {}): AsyncGenerator<CsvChunk> {
  return options.delimiter === jsonLinesDelimiter ? readJsonLines(file) : readCsv(file, options);
}
