import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hashBlob, sha256 } from '../../src/shared/hash';
import { median, percentile } from '../../src/shared/stats';
import { churnModelPath, loadChurnManifest } from './support/churn';

describe('percentile', () => {
  const values = [40, 10, 30, 20, 50];

  it('returns minimum and maximum', () => {
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 100)).toBe(50);
  });

  it('interpolates between ranks', () => {
    // Position (95 / 100) * 4 = 3.8 lies between 40 and 50. The tolerance is 5e-13 (12 digits)
    // because the interpolation rounds in float64.
    expect(percentile(values, 95)).toBeCloseTo(48, 12);
    expect(percentile(values, 10)).toBeCloseTo(14, 12);
  });

  it('leaves input unsorted', () => {
    percentile(values, 50);

    expect(values).toEqual([40, 10, 30, 20, 50]);
  });

  it('gives NaN when empty', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('median', () => {
  it('averages middle pair', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('takes middle value', () => {
    expect(median([7, 1, 3])).toBe(3);
  });
});

describe('hash', () => {
  it('formats bytes as lowercase hex', () => {
    expect(bytesToHex(new Uint8Array([0, 15, 16, 171, 255]))).toBe('000f10abff');
  });

  it('hashes empty input', async () => {
    expect(bytesToHex(await sha256(new Uint8Array()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes churn model to manifest digest', async () => {
    const bytes = new Uint8Array(readFileSync(churnModelPath));

    expect(bytesToHex(await sha256(bytes))).toBe(loadChurnManifest().model.sha256);
  });

  it('streams Blob to same digest', async () => {
    // Parts of 7 bytes make Node's Blob.stream() return many small reads.
    const bytes = new Uint8Array(1000).map((_, i) => (i * 31) % 256);
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let start = 0; start < bytes.length; start += 7) parts.push(bytes.slice(start, start + 7));

    expect(await hashBlob(new Blob(parts))).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
