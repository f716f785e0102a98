import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { damagedZipReason, readImageSources, type ImageEntry } from '../../src/worker/readers/images';

async function readAll(files: File[]): Promise<ImageEntry[]> {
  const entries: ImageEntry[] = [];
  for await (const entry of readImageSources(files)) entries.push(entry);
  return entries;
}

/** A stored (uncompressed) zip of three 2,000-byte entries, so a cut lands at a known entry. */
function threeEntryZip(): Uint8Array {
  return zipSync(
    {
      'a.png': new Uint8Array(2000).fill(1),
      'b.png': new Uint8Array(2000).fill(2),
      'c.png': new Uint8Array(2000).fill(3),
    },
    { level: 0 },
  );
}

describe('zip reading', () => {
  it('whole zip', async () => {
    const entries = await readAll([new File([threeEntryZip()], 'shop.zip')]);
    expect(entries.map((entry) => [entry.name, entry.data?.size ?? null, entry.error])).toEqual([
      ['a.png', 2000, undefined],
      ['b.png', 2000, undefined],
      ['c.png', 2000, undefined],
    ]);
  });

  it('zip cut inside its third entry', async () => {
    // 5,000 bytes end inside the third entry's data.
    const entries = await readAll([new File([threeEntryZip().subarray(0, 5000)], 'shop.zip'), new File(['x'], 'after.png')]);
    expect(entries.map((entry) => [entry.name, entry.data?.size ?? null, entry.error])).toEqual([
      ['a.png', 2000, undefined],
      ['b.png', 2000, undefined],
      ['c.png', null, 'the zip file ends before this entry is complete'],
      ['shop.zip', null, damagedZipReason],
      ['after.png', 1, undefined],
    ]);
  });

  it('first 300 bytes of a zip', async () => {
    const entries = await readAll([new File([threeEntryZip().subarray(0, 300)], 'broken.zip')]);
    expect(entries.map((entry) => [entry.name, entry.error])).toEqual([
      ['a.png', 'the zip file ends before this entry is complete'],
      ['broken.zip', damagedZipReason],
    ]);
  });
});
