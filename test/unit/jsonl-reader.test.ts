import { describe, expect, it } from 'vitest';
import { readJsonLines, readTable } from '../../src/worker/readers/jsonl';

async function readAll(text: string) {
  const rows: string[][] = [];
  const problems = new Map<number, string>();
  for await (const chunk of readJsonLines(new Blob([text]))) {
    for (const [index, problem] of chunk.problems) problems.set(rows.length + index, problem);
    rows.push(...chunk.rows);
  }
  return { rows, problems };
}

describe('JSON Lines reader', () => {
  it('reads rows by the first object keys', async () => {
    const { rows, problems } = await readAll('{"a": 1, "b": "x"}\n{"b": true, "a": 2.5, "c": 9}\n\n{"a": null}\r\n');
    expect(rows).toEqual([
      ['a', 'b'],
      ['1', 'x'],
      ['2.5', 'true'],
      ['', ''],
    ]);
    expect(problems.size).toBe(0);
  });

  it('marks bad lines as row problems', async () => {
    const { rows, problems } = await readAll('{"a": 1}\n{"a": \n[1, 2]\n{"a": {"b": 1}}');
    expect(rows).toHaveLength(5);
    expect(problems.get(2)).toMatch(/^the line is not valid JSON/);
    expect(problems.get(3)).toBe('the line is an array, not a JSON object; write one object per line, such as {"age": 42}');
    expect(rows[4]).toEqual(['{"b":1}']);
  });

  it('reports the keys an object lacks', async () => {
    const missing = new Map<number, string[]>();
    for await (const chunk of readJsonLines(new Blob(['{"a": 1, "b": 2, "c": 3}\n{"a": 1}\n{"a": 1, "b": null, "c": 3}\n']))) {
      for (const [index, keys] of chunk.missingKeys ?? []) missing.set(index, keys);
    }
    expect(missing.get(2)).toEqual(['b', 'c']);
    expect(missing.has(3)).toBe(false);
    expect(missing.size).toBe(1);
  });

  it('rejects a first line that is not an object', async () => {
    await expect(readAll('42\n{"a": 1}\n')).rejects.toThrow(/^The first line of the JSON Lines file is not a JSON object/);
  });

  it('splits large files into chunks', async () => {
    const lines = Array.from({ length: 4500 }, (_, i) => JSON.stringify({ i }));
    const sizes: number[] = [];
    for await (const chunk of readTable(new Blob([lines.join('\n')]), { delimiter: 'jsonl' })) sizes.push(chunk.rows.length);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(4501);
    expect(sizes.length).toBeGreaterThan(1);
  });
});
