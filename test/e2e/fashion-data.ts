/** Fashion-MNIST test images for the product-photo e2e tests, from Debian's dataset-fashion-mnist. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const datasetDir = '/usr/share/datasets/fashion-mnist';
export const pngZipPath = 'test/fixtures/generated/fashion-test-png.zip';
export const labelNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const photoManifest = JSON.parse(readFileSync('public/models/product-photo/manifest.json', 'utf8'));
export const photoGolden: { tolerance: number; images: { index: number; label: number; logits: number[] }[] } = JSON.parse(
  readFileSync('public/models/product-photo/golden.json', 'utf8'),
);

/** Writes the PNG zip of the first `count` test images with the project's script unless it exists. */
export function ensurePngZip(count = 10_000): string {
  const path = count === 10_000 ? pngZipPath : pngZipPath.replace('.zip', `-${count}.zip`);
  if (!existsSync(path)) execFileSync(process.execPath, ['scripts/make-fashion-zip.mjs', '--limit', String(count), '--out', path], { stdio: 'inherit' });
  return path;
}

/** Reads the t10k images (28x28 bytes each, light item on black) and labels. */
export function readTestSet(): { images: Uint8Array[]; labels: number[] } {
  const imageBytes = gunzipSync(readFileSync(`${datasetDir}/t10k-images-idx3-ubyte.gz`));
  const labelBytes = gunzipSync(readFileSync(`${datasetDir}/t10k-labels-idx1-ubyte.gz`));
  const count = imageBytes.readUInt32BE(4);
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    images.push(imageBytes.subarray(16 + i * 784, 16 + (i + 1) * 784));
    labels.push(labelBytes[8 + i]!);
  }
  return { images, labels };
}

/** Returns the true label of an exported row from its file name (`00042_<label>.png`). */
export function labelOfFile(name: string): number | null {
  const match = /^\d+_(\d)\.\w+$/.exec(name);
  return match ? Number(match[1]) : null;
}
