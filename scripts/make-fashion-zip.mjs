#!/usr/bin/env node
// Writes the Fashion-MNIST test set as a zip of PNG files, the batch-scoring fixture for the
// product-photo model.
//
// The zip contains 00000_<label>.png, 00001_<label>.png, ... in t10k index order (8-bit
// grayscale, 28x28, light item on black) and labels.csv (file,label,label_name). Entries are
// stored uncompressed because PNG data is already deflated, and carry a fixed timestamp so
// the same input gives a byte-identical zip.
//
// Usage: node scripts/make-fashion-zip.mjs [--limit N] [--data-dir DIR] [--out FILE]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { zipSync } from "fflate";
import { PNG } from "pngjs";

const LABEL_NAMES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];
const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
const GRAYSCALE = 0;
// Built from local date parts, so the stored DOS timestamp is the same in every time zone.
const ENTRY_TIME = new Date(2017, 7, 25);

/** Reads a gzipped IDX file and returns its dimensions and unsigned-byte data. */
function readIdx(path, expectedMagic) {
  let compressed;
  try {
    compressed = readFileSync(path);
  } catch (error) {
    throw new Error(
      `failed to read ${path} (${error.code ?? error.message}): install the Debian package ` +
        "dataset-fashion-mnist or pass --data-dir",
    );
  }
  const bytes = gunzipSync(compressed);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw new Error(`${path}: IDX magic number is ${magic}, expected ${expectedMagic}`);
  }

  const dimensionCount = magic & 0xff;
  const shape = [];
  for (let i = 0; i < dimensionCount; i++) {
    shape.push(view.getUint32(4 + 4 * i));
  }
  return { shape, data: bytes.subarray(4 + 4 * dimensionCount) };
}

function parseOptions() {
  const { values: options } = parseArgs({
    options: {
      limit: { type: "string" },
      "data-dir": { type: "string", default: "/usr/share/datasets/fashion-mnist" },
      out: { type: "string", default: "test/fixtures/generated/fashion-test-png.zip" },
      help: { type: "boolean", short: "h" },
    },
  });

  if (options.help) {
    console.log(`Usage: node scripts/make-fashion-zip.mjs [--limit N] [--data-dir DIR] [--out FILE]

  --limit N       write only the first N test images (default: all 10,000)
  --data-dir DIR  folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz
                  (default: /usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist)
  --out FILE      zip to write (default: test/fixtures/generated/fashion-test-png.zip)`);
    process.exit(0);
  }
  return options;
}

function parseLimit(text, available) {
  if (text === undefined) {
    return available;
  }
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`invalid --limit "${text}": expected a positive integer`);
  }
  return Math.min(limit, available);
}

function encodePng(pixels, width, height) {
  const png = new PNG({ width, height, colorType: GRAYSCALE, inputColorType: GRAYSCALE });
  png.data = Buffer.from(pixels);
  return PNG.sync.write(png, { colorType: GRAYSCALE, inputColorType: GRAYSCALE });
}

function main() {
  const options = parseOptions();
  const started = performance.now();
  const images = readIdx(join(options["data-dir"], "t10k-images-idx3-ubyte.gz"), IMAGES_MAGIC);
  const labels = readIdx(join(options["data-dir"], "t10k-labels-idx1-ubyte.gz"), LABELS_MAGIC);
  const [imageCount, height, width] = images.shape;
  if (labels.shape[0] !== imageCount) {
    throw new Error(`${imageCount} images but ${labels.shape[0]} labels in ${options["data-dir"]}`);
  }

  const count = parseLimit(options.limit, imageCount);
  const pixelsPerImage = width * height;
  const entries = {};
  const csvLines = ["file,label,label_name"];
  for (let index = 0; index < count; index++) {
    const label = labels.data[index];
    const file = `${String(index).padStart(5, "0")}_${label}.png`;
    const pixels = images.data.subarray(index * pixelsPerImage, (index + 1) * pixelsPerImage);
    entries[file] = [encodePng(pixels, width, height), { level: 0, mtime: ENTRY_TIME }];
    csvLines.push(`${file},${label},${LABEL_NAMES[label]}`);
  }
  entries["labels.csv"] = [new TextEncoder().encode(csvLines.join("\n") + "\n"), { level: 6, mtime: ENTRY_TIME }];

  mkdirSync(dirname(options.out), { recursive: true });
  const zip = zipSync(entries);
  writeFileSync(options.out, zip);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`wrote ${options.out}: ${count} images and labels.csv, ${zip.byteLength} bytes, ${seconds} s`);
}

try {
  main();
} catch (error) {
  console.error(`make-fashion-zip: ${error.message}`);
  process.exitCode = 1;
}
