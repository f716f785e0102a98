import { describe, expect, it } from 'vitest';
import { TandemError } from '../../src/shared/errors';
import { readCsv, sniffDialect, sniffEncoding, type CsvChunk, type CsvReadOptions } from '../../src/worker/readers/csv';
import { readAllRows } from './support/churn';

const utf8 = new TextEncoder();

/**
 * Builds a Blob from `bytes` in parts of `partSize` bytes. Node's Blob.stream() returns one read
 * per part, so this controls where the reader's stream reads are cut.
 */
function blobInParts(bytes: Uint8Array, partSize = bytes.length): Blob {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let start = 0; start < bytes.length; start += Math.max(1, partSize)) parts.push(bytes.slice(start, start + partSize));
  return new Blob(parts);
}

function textBlob(text: string, partSize?: number): Blob {
  return blobInParts(utf8.encode(text), partSize);
}

async function readChunks(file: Blob, options: CsvReadOptions = {}): Promise<CsvChunk[]> {
  const chunks: CsvChunk[] = [];
  for await (const chunk of readCsv(file, options)) chunks.push(chunk);
  return chunks;
}

/** Encodes text as UTF-16LE after a byte-order mark. */
function utf16leWithBom(text: string): Uint8Array {
  const bytes = new Uint8Array(2 + text.length * 2);
  bytes[0] = 0xff;
  bytes[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes[2 + i * 2] = unit & 0xff;
    bytes[3 + i * 2] = unit >> 8;
  }
  return bytes;
}

/** Encodes text whose characters are all below U+0100 as one byte each, as Latin-1 does. */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => {
    const code = char.charCodeAt(0);
    if (code > 0xff) throw new Error(`${JSON.stringify(char)} has no Latin-1 byte.`);
    return code;
  });
}

/** Calls readCsv to the end and returns what it threw, failing the test when it does not throw. */
async function rejectionOf(file: Blob): Promise<TandemError> {
  try {
    await readAllRows(file);
  } catch (error) {
    if (error instanceof TandemError) return error;
    throw error;
  }
  throw new Error('readCsv accepted a file that is not CSV text.');
}

/** Quotes around delimiters and line breaks, escaped quotes, empty fields and multi-byte characters. */
const trickyCsv =
  'id,name,comment,amount\n' +
  '1,"Smith, Jane","said ""hi""\nthen left",12.5\n' +
  '2,Zoë,"",\n' +
  '3,"日本語, テキスト","emoji 😀 and €",-3\n' +
  '4,,"line one\nline two\nline three",0\n' +
  '5,"ends with quote""",plain,7\n';

const trickyRows = [
  ['id', 'name', 'comment', 'amount'],
  ['1', 'Smith, Jane', 'said "hi"\nthen left', '12.5'],
  ['2', 'Zoë', '', ''],
  ['3', '日本語, テキスト', 'emoji 😀 and €', '-3'],
  ['4', '', 'line one\nline two\nline three', '0'],
  ['5', 'ends with quote"', 'plain', '7'],
];

describe('readCsv', () => {
  it('parses quoted commas and line breaks', async () => {
    expect(await readAllRows(textBlob(trickyCsv))).toEqual(trickyRows);
  });

  it('splits CRLF lines', async () => {
    const chunks = await readChunks(textBlob('a,b\r\n1,2\r\n3,"x\r\ny"\r\n'));

    expect(chunks.flatMap((chunk) => chunk.rows)).toEqual([['a', 'b'], ['1', '2'], ['3', 'x\r\ny']]);
    expect(chunks[0]!.dialect.linebreak).toBe('\r\n');
  });

  it('strips UTF-8 byte-order mark', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode('customerID,tenure\nC1,5\n')]);
    const rows = await readAllRows(blobInParts(bytes));

    expect(rows[0]).toEqual(['customerID', 'tenure']);
  });

  it('ignores trailing empty line', async () => {
    expect(await readAllRows(textBlob('a,b\n1,2\n\n'))).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('skips blank lines between rows', async () => {
    expect(await readAllRows(textBlob('a,b\n\n1,2\n   \n3,4'))).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
  });

  it('reads last line without newline', async () => {
    expect(await readAllRows(textBlob('a,b\n1,2'))).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('yields nothing for empty file', async () => {
    expect(await readChunks(new Blob([]))).toEqual([]);
  });

  it('keeps characters split across reads', async () => {
    const text = 'name,city\nZoë,Zürich\n日本,東京\n😀,€\n';
    const bytes = utf8.encode(text);

    for (const partSize of [1, 2, 3, 5]) {
      const rows = await readAllRows(blobInParts(bytes, partSize), { chunkChars: 2 });
      expect(rows, `parts of ${partSize} bytes`).toEqual([['name', 'city'], ['Zoë', 'Zürich'], ['日本', '東京'], ['😀', '€']]);
    }
  });

  it('detects semicolon delimiter', async () => {
    const chunks = await readChunks(textBlob('name;amount;city\n"Smith; Jane";1,5;Köln\nLee;2;Lyon\n'));

    expect(chunks[0]!.dialect.delimiter).toBe(';');
    expect(chunks.flatMap((chunk) => chunk.rows)).toEqual([['name', 'amount', 'city'], ['Smith; Jane', '1,5', 'Köln'], ['Lee', '2', 'Lyon']]);
  });

  it('detects semicolon with two columns', async () => {
    const chunks = await readChunks(textBlob('name;amount\n"Smith; Jane";1,5\nLee;2\n'));

    expect(chunks[0]!.dialect.delimiter).toBe(';');
    expect(chunks.flatMap((chunk) => chunk.rows)).toEqual([['name', 'amount'], ['Smith; Jane', '1,5'], ['Lee', '2']]);
  });

  it('uses forced delimiter', async () => {
    const rows = await readAllRows(textBlob('a;b|c\n1;2|3\n'), { delimiter: '|' });

    expect(rows).toEqual([['a;b', 'c'], ['1;2', '3']]);
  });

  it('decodes UTF-16LE with byte-order mark', async () => {
    const chunks = await readChunks(blobInParts(utf16leWithBom('name,city\r\nZoë,Zürich\r\n')));

    expect(chunks[0]!.dialect.encoding).toBe('utf-16le');
    expect(chunks.flatMap((chunk) => chunk.rows)).toEqual([['name', 'city'], ['Zoë', 'Zürich']]);
  });

  it('keeps UTF-16 code units split across reads', async () => {
    const bytes = utf16leWithBom('name,city\nZoë,Zürich\n日本,東京\n');

    for (const partSize of [1, 3, 5]) {
      const rows = await readAllRows(blobInParts(bytes, partSize), { chunkChars: 4 });
      expect(rows, `parts of ${partSize} bytes`).toEqual([['name', 'city'], ['Zoë', 'Zürich'], ['日本', '東京']]);
    }
  });

  it('decodes Latin-1 as windows-1252', async () => {
    const chunks = await readChunks(blobInParts(latin1('name,city\nRené,Genève\nZoë,Köln\n')));

    expect(chunks[0]!.dialect.encoding).toBe('windows-1252');
    expect(chunks.flatMap((chunk) => chunk.rows)).toEqual([['name', 'city'], ['René', 'Genève'], ['Zoë', 'Köln']]);
  });

  it('decodes windows-1252 euro sign', async () => {
    const bytes = new Uint8Array([...latin1('price,note\n5,caf'), 0xe9, ...latin1(' '), 0x80, ...latin1('\n')]);

    expect(await readAllRows(blobInParts(bytes))).toEqual([['price', 'note'], ['5', 'café €']]);
  });

  it('decodes Latin-1 byte at file end', async () => {
    const rows = await readAllRows(blobInParts(latin1('name\nJosé')));

    expect(rows).toEqual([['name'], ['José']]);
  });

  it('rejects file with NUL bytes', async () => {
    const bytes = new Uint8Array([...utf8.encode('a,b\n1,'), 0, 0, ...utf8.encode('\n')]);
    const error = await rejectionOf(blobInParts(bytes));

    expect(error.code).toBe('file-read-failed');
    expect(error.message).toContain('NUL');
  });

  it('rejects PNG image bytes', async () => {
    // A PNG file starts with an 8-byte signature, then the length and type of its first chunk, IHDR.
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const error = await rejectionOf(blobInParts(png));

    expect(error.code).toBe('file-read-failed');
  });

  it('same rows at any chunk size', async () => {
    const bytes = utf8.encode(trickyCsv);

    for (let size = 1; size <= 64; size++) {
      const rows = await readAllRows(blobInParts(bytes, size), { chunkChars: size });
      expect(rows, `parts of ${size} bytes, chunkChars ${size}`).toEqual(trickyRows);
    }
  });

  it('same rows with 3-byte reads', async () => {
    const bytes = utf8.encode(trickyCsv);

    for (let chunkChars = 1; chunkChars <= 64; chunkChars++) {
      const rows = await readAllRows(blobInParts(bytes, 3), { chunkChars });
      expect(rows, `chunkChars ${chunkChars}`).toEqual(trickyRows);
    }
  });

  it('same CRLF rows at any size', async () => {
    const crlf = trickyCsv.replace(/\n/g, '\r\n');
    const expected = trickyRows.map((row) => row.map((cell) => cell.replace(/\n/g, '\r\n')));
    const bytes = utf8.encode(crlf);

    for (let size = 1; size <= 64; size++) {
      const rows = await readAllRows(blobInParts(bytes, size), { chunkChars: size });
      expect(rows, `parts of ${size} bytes, chunkChars ${size}`).toEqual(expected);
    }
  });

  it('same semicolon rows at any size', async () => {
    const text = 'name;amount;note\n"Smith; Jane";1,5;x\nLee;2;"a\nb"\n';
    const expected = [['name', 'amount', 'note'], ['Smith; Jane', '1,5', 'x'], ['Lee', '2', 'a\nb']];
    const bytes = utf8.encode(text);

    for (let size = 1; size <= 64; size++) {
      const rows = await readAllRows(blobInParts(bytes, size), { chunkChars: size });
      expect(rows, `parts of ${size} bytes, chunkChars ${size}`).toEqual(expected);
    }
  });

  it('small chunkChars yields several chunks', async () => {
    const text = 'a,b\n' + Array.from({ length: 200 }, (_, i) => `${i},${i * 2}\n`).join('');
    const chunks = await readChunks(textBlob(text, 64), { chunkChars: 64 });

    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flatMap((chunk) => chunk.rows)).toHaveLength(201);
  });

  it('reports bytes read up to file size', async () => {
    const file = textBlob(trickyCsv, 16);
    const chunks = await readChunks(file, { chunkChars: 16 });
    const progress = chunks.map((chunk) => chunk.bytesRead);

    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(file.size);
  });
});

describe('sniffEncoding', () => {
  it('detects UTF-16 byte-order marks', () => {
    expect(sniffEncoding(new Uint8Array([0xff, 0xfe, 0x61, 0x00]))).toBe('utf-16le');
    expect(sniffEncoding(new Uint8Array([0xfe, 0xff, 0x00, 0x61]))).toBe('utf-16be');
  });

  it('accepts UTF-8 cut mid-character', () => {
    const bytes = utf8.encode('name\nZoë');

    expect(sniffEncoding(bytes.subarray(0, bytes.length - 1))).toBe('utf-8');
  });

  it('falls back to windows-1252', () => {
    expect(sniffEncoding(latin1('Ren\u00e9,1\n'))).toBe('windows-1252');
  });
});

describe('sniffDialect', () => {
  it('detects tab delimiter', () => {
    expect(sniffDialect('a\tb\tc\n1\t2\t3\n')).toEqual({ delimiter: '\t', linebreak: '\n', decimal: '.' });
  });

  it('detects pipe delimiter and CRLF', () => {
    expect(sniffDialect('a|b|c\r\n1|2|3\r\n')).toEqual({ delimiter: '|', linebreak: '\r\n', decimal: '.' });
  });

  it('defaults to comma', () => {
    expect(sniffDialect('single\nvalues\n').delimiter).toBe(',');
  });

  it('detects decimal comma with semicolons', () => {
    expect(sniffDialect('name;price;weight\na;29,85;1,5\nb;3,10;2\n')).toEqual({ delimiter: ';', linebreak: '\n', decimal: ',' });
  });

  it('keeps decimal point with semicolons', () => {
    expect(sniffDialect('name;price\na;29.85\nb;3.10\n').decimal).toBe('.');
  });

  it('keeps decimal point with commas', () => {
    expect(sniffDialect('name,price\na,"29,85"\n').decimal).toBe('.');
  });
});

describe('readCsv parse problems', () => {
  it('reports an unclosed quote', async () => {
    const text = 'a,b\n1,2\n3,"4\n5,6\n';
    const chunks = [];
    for await (const chunk of readCsv(new Blob([text]))) chunks.push(chunk);
    const rows = chunks.flatMap((chunk) => chunk.rows);
    const problems = chunks.flatMap((chunk) => [...chunk.problems.entries()]);

    expect(rows).toHaveLength(3);
    expect(problems).toHaveLength(1);
    expect(problems[0]![0]).toBe(2);
    expect(problems[0]![1]).toContain('no closing quote');
  });

  it('reports no problems for clean rows', async () => {
    for await (const chunk of readCsv(new Blob(['a,b\n"x, y",2\n']))) expect(chunk.problems.size).toBe(0);
  });
});
