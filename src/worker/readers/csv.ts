/**
 * Streams a CSV file as chunks of rows. Bytes are decoded with one streaming TextDecoder, so a
 * character split across two reads stays whole, and PapaParse's core parser splits the text into
 * rows, including quoted fields with delimiters and line breaks. A large file is never held whole.
 */
import Papa from 'papaparse';
import { TandemError } from '../../shared/errors';

export interface CsvDialect {
  delimiter: string;
  linebreak: string;
  /** The encoding label used to decode the file, for example `utf-8` or `utf-16le`. */
  encoding: string;
  /** The decimal mark of numbers: `,` in many European spreadsheet exports. */
  decimal: '.' | ',';
}

export interface CsvChunk {
  /** Parsed rows in file order; the header is the first row of the first chunk. Empty lines are skipped. */
  rows: string[][];
  /** Parse problems by index into `rows`, such as an unclosed quote. */
  problems: Map<number, string>;
  /** JSON Lines only: the keys each object lacks, by index into `rows`; their cells are empty. */
  missingKeys?: Map<number, string[]>;
  /** Bytes of the file consumed so far, for progress. */
  bytesRead: number;
  dialect: CsvDialect;
}

export interface CsvReadOptions {
  /** Characters of text handed to the parser at a time. */
  chunkChars?: number;
  /** Forces a delimiter instead of detecting it. */
  delimiter?: string;
  /** Forces an encoding label instead of detecting it. */
  encoding?: string;
  /** Forces the decimal mark instead of detecting it. */
  decimal?: '.' | ',';
}

/** Text that has not formed one complete row after this many characters is an unclosed quote. */
const maxPendingChars = 32 * 1024 * 1024;

/** 128 K characters parse in a few milliseconds, so other work in the worker is never held up long. */
const defaultChunkChars = 128 * 1024;

/**
 * Picks the encoding from the first bytes: a UTF-16 byte-order mark, then UTF-8 if the sample
 * decodes cleanly, and windows-1252 (a superset of Latin-1) otherwise.
 */
export function sniffEncoding(sample: Uint8Array, wholeFile = false): string {
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  try {
    // A multi-byte character cut at the end of a partial sample is not an error, so `stream`
    // keeps it pending. At the end of the whole file it is an error.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: !wholeFile });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/**
 * Detects the delimiter and line break from the start of the text, as PapaParse guesses them, and
 * the decimal mark: a comma when the delimiter is not a comma and comma decimals (`29,85`)
 * outnumber point decimals.
 */
export function sniffDialect(text: string): { delimiter: string; linebreak: string; decimal: '.' | ',' } {
  const preview = Papa.parse<string[]>(text, { preview: 50, skipEmptyLines: true, delimitersToGuess: [',', ';', '\t', '|'] });
  const delimiter = preview.meta.delimiter || ',';
  let commaDecimals = 0;
  let pointDecimals = 0;
  if (delimiter !== ',') {
    for (const row of preview.data) {
      for (const field of row) {
        if (/^\s*[+-]?\d+,\d+\s*$/.test(field)) commaDecimals++;
        else if (/^\s*[+-]?\d+\.\d+\s*$/.test(field)) pointDecimals++;
      }
    }
  }
  return { delimiter, linebreak: preview.meta.linebreak || '\n', decimal: commaDecimals > pointDecimals ? ',' : '.' };
}

function isEmptyLine(row: string[]): boolean {
  return row.length === 1 && row[0]!.trim() === '';
}

/** Drops empty lines and keeps PapaParse's row problems aligned with the rows that remain. */
function keepRows(result: Papa.ParseResult<string[]>): { rows: string[][]; problems: Map<number, string> } {
  const byParsedRow = new Map<number, string>();
  for (const error of result.errors) {
    if (error.row === undefined) continue;
    const message = error.code === 'MissingQuotes' ? 'a quoted value has no closing quote, so the rest of the file was read as this one value' : error.message;
    byParsedRow.set(error.row, message);
  }
  const rows: string[][] = [];
  const problems = new Map<number, string>();
  result.data.forEach((row, index) => {
    if (isEmptyLine(row)) return;
    const problem = byParsedRow.get(index);
    if (problem) problems.set(rows.length, problem);
    rows.push(row);
  });
  return { rows, problems };
}

/** Reads `file` as CSV, yielding chunks of rows until the end of the file. */
export async function* readCsv(file: Blob, options: CsvReadOptions = {}): AsyncGenerator<CsvChunk> {
  const chunkChars = options.chunkChars ?? defaultChunkChars;
  const sampleBytes = 64 * 1024;
  const sample = new Uint8Array(await file.slice(0, sampleBytes).arrayBuffer());
  const encoding = options.encoding ?? sniffEncoding(sample, file.size <= sampleBytes);
  // UTF-16 text has NUL bytes in every ASCII character; in any other encoding they mean binary data.
  if (!encoding.startsWith('utf-16') && sample.subarray(0, 4096).includes(0)) {
    throw new TandemError('file-read-failed', 'The file contains binary data (NUL bytes), so it is not a CSV text file. Choose a CSV file exported as text.');
  }
  // The dialect is guessed from the whole sample, never from a piece shorter than one line.
  const sampleText = new TextDecoder(encoding).decode(sample, { stream: true });

  const decoder = new TextDecoder(encoding);
  const reader = file.stream().getReader();
  let bytesRead = 0;
  let pending = '';
  let parser: Papa.Parser | null = null;
  let dialect: CsvDialect | null = null;
  let baseIndex = 0;

  const parse = (text: string, final: boolean): CsvChunk => {
    dialect ??= {
      ...sniffDialect(sampleText),
      encoding,
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      ...(options.decimal ? { decimal: options.decimal } : {}),
    };
    parser ??= new Papa.Parser({ delimiter: dialect.delimiter, newline: dialect.linebreak as '\n' | '\r' | '\r\n' });
    // With `final` false the parser stops before the last, possibly incomplete, row and reports
    // where it stopped. That rest is parsed again with the next text.
    const result = parser.parse(text, baseIndex, !final) as Papa.ParseResult<string[]>;
    const consumed = result.meta.cursor - baseIndex;
    pending = final ? '' : text.slice(consumed);
    baseIndex = final ? 0 : result.meta.cursor;
    if (pending.length > maxPendingChars) {
      throw new TandemError(
        'file-read-failed',
        `A quoted value near byte ${bytesRead} runs on for more than ${maxPendingChars / 1024 / 1024} MB without a closing quote. ` +
          'Close the quote (or remove the stray " character) and score the file again.',
      );
    }
    return { ...keepRows(result), bytesRead, dialect };
  };

  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.byteLength;
      // A single read can bring megabytes; parsing them in one go would hold the worker for
      // hundreds of milliseconds, so the text goes to the parser about `chunkChars` at a time.
      // The pieces are slices of `text` at a moving offset, because joining the unparsed rest
      // back onto the leftover after every piece would copy the rest of the read each time.
      const text = pending + decoder.decode(value, { stream: true });
      let offset = 0;
      while (text.length - offset >= chunkChars) {
        let chunk = parse(text.slice(offset, offset + chunkChars), false);
        // `parse` leaves the text after the last complete row in `pending`.
        let consumed = chunkChars - pending.length;
        if (consumed === 0) {
          // The piece contains no complete row, so the row is longer than `chunkChars`. All the
          // text read so far goes to the parser, which may complete it.
          chunk = parse(text.slice(offset), false);
          consumed = text.length - offset - pending.length;
        }
        offset += consumed;
        if (chunk.rows.length > 0) yield chunk;
        if (consumed === 0) break;
      }
      pending = text.slice(offset);
    }
    pending += decoder.decode();
    if (pending.length > 0 || dialect === null) {
      const chunk = parse(pending, true);
      if (chunk.rows.length > 0) yield chunk;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
