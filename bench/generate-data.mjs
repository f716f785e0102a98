/**
 * Writes the benchmark's batch files: the churn CSV, `rows` data rows drawn with replacement from
 * the 7,043 customers in public/data/churn.csv under the same header, and the zip of Fashion-MNIST
 * test images that scripts/make-fashion-zip.mjs writes. The draw uses a fixed seed, so the same row
 * count always gives the same file.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';

export const sourceCsv = 'public/data/churn.csv';
/** Images in the Fashion-MNIST test set, and so in the full zip. */
export const fashionTestImages = 10_000;
/** Path of the full zip: the default output of scripts/make-fashion-zip.mjs, which the tests read too. */
export const fashionZip = 'test/fixtures/generated/fashion-test-png.zip';
const seed = 0x7a4d3e11;

/** A 32-bit xorshift generator: fast, reproducible, and good enough to pick rows. */
function createRandom(state) {
  let x = state >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Returns the path of the CSV with `rows` data rows under `folder`, writing it first if it is missing. */
export async function ensureBenchCsv(folder, rows) {
  const path = `${folder}/churn-${rows}.csv`;
  if (existsSync(path) && statSync(path).size > 0) return path;

  const lines = readFileSync(sourceCsv, 'utf8').split(/\r?\n/).filter((line) => line !== '');
  const header = lines[0];
  const customers = lines.slice(1);
  if (customers.length === 0) throw new Error(`${sourceCsv} has no data rows. Restore it with git checkout.`);

  mkdirSync(dirname(path), { recursive: true });
  // Written under a temporary name and renamed at the end, so an interrupted run leaves no partial file.
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  const random = createRandom(seed);
  const batchRows = 10_000;
  out.write(`${header}\n`);
  for (let written = 0; written < rows; ) {
    const count = Math.min(batchRows, rows - written);
    let text = '';
    for (let i = 0; i < count; i++) text += `${customers[Math.floor(random() * customers.length)]}\n`;
    written += count;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, path);
  return path;
}

/**
 * Returns the path of a zip with the first `images` Fashion-MNIST test images as PNG files, plus
 * labels.csv, writing it first with scripts/make-fashion-zip.mjs if it is missing. The full set is
 * the tests' fixture, and a smaller one goes under `folder`.
 */
export async function ensureFashionZip(folder, images) {
  const full = images >= fashionTestImages;
  const path = full ? fashionZip : `${folder}/fashion-test-png-${images}.zip`;
  if (existsSync(path) && statSync(path).size > 0) return path;

  const args = ['scripts/make-fashion-zip.mjs', '--out', path, ...(full ? [] : ['--limit', String(images)])];
  try {
    await promisify(execFile)(process.execPath, args, { timeout: 300_000 });
  } catch (error) {
    throw new Error(`Writing ${path} with node ${args.join(' ')} failed: ${(error.stderr || error.message).trim()}`);
  }
  return path;
}
