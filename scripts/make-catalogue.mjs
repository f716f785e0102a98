#!/usr/bin/env node
// Writes the demo catalogue of the product-photo page: 20 colour PNG photos made from
// Fashion-MNIST test images (two per category) and catalogue.json, which lists them.
//
// Each photo is 240x320 (portrait), a dark tinted product centred on a near-white background,
// the way catalogue shots look. The 28x28 test image (light item on black) is inverted,
// enlarged to the full photo width with bilinear interpolation and coloured with one tint per
// photo. The output depends only on the data set, so running the script again gives identical
// files.
//
// The product is as wide as the photo because the app pads a photo to a square before shrinking
// it to 28x28: here the 28x28 frame ends up filling 240/320 = 75% of the model's view, where a
// Fashion-MNIST item fills all of it. Products drawn smaller are classified less reliably, and so
// are lighter tints, which leave less contrast after the app inverts the photo.
//
// Usage, from the repository root: node scripts/make-catalogue.mjs [--data-dir DIR] [--out DIR]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { PNG } from "pngjs";

const LABEL_NAMES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];
const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

// The first two test-set images of each category, in label order (found by scanning
// t10k-labels-idx1-ubyte). Fixed, so that the catalogue does not change between runs.
const CATALOGUE_INDICES = [
  [19, 27], [2, 3], [1, 16], [13, 29], [6, 10],
  [8, 11], [4, 7], [9, 12], [18, 30], [0, 23],
];

// Dark tints in sRGB, one per photo in catalogue order: navy, burgundy, forest green,
// charcoal, brown, teal, plum, olive, rust and slate blue, then the same ten shifted by five.
const TINTS = [
  [22, 32, 74], [92, 18, 34], [20, 62, 40], [40, 42, 46], [96, 60, 26],
  [14, 66, 74], [64, 26, 72], [66, 64, 20], [110, 42, 20], [42, 54, 96],
];

const WIDTH = 240;
const HEIGHT = 320;
/** Side of the enlarged 28x28 frame in the photo, in pixels: the photo's full width. */
const ITEM_SIZE = 240;
const BACKGROUND = [248, 247, 245];
/** Levels of the tint-to-background mix: fewer distinct colours compress better. */
const AMOUNT_LEVELS = 64;
const RGB = 2;

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
      "data-dir": { type: "string", default: "/usr/share/datasets/fashion-mnist" },
      out: { type: "string", default: "public/catalogue" },
      help: { type: "boolean", short: "h" },
    },
  });

  if (options.help) {
    console.log(`Usage: node scripts/make-catalogue.mjs [--data-dir DIR] [--out DIR]

  --data-dir DIR  folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz
                  (default: /usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist)
  --out DIR       folder for the PNG files and catalogue.json (default: public/catalogue)`);
    process.exit(0);
  }
  return options;
}

/**
 * Samples a grayscale image at a fractional position with bilinear interpolation. Pixel centres
 * are at half-integers and positions outside the image are clamped to its edge.
 */
function sampleBilinear(pixels, width, height, x, y) {
  const sx = Math.min(Math.max(x - 0.5, 0), width - 1);
  const sy = Math.min(Math.max(y - 0.5, 0), height - 1);
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = sx - x0;
  const fy = sy - y0;
  const top = pixels[y0 * width + x0] * (1 - fx) + pixels[y0 * width + x1] * fx;
  const bottom = pixels[y1 * width + x0] * (1 - fx) + pixels[y1 * width + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * Renders one photo as RGB bytes. The enlarged Fashion-MNIST intensity (0 = background,
 * 255 = full product) mixes the background colour with the tint, so a bright item on black
 * becomes a dark, tinted item on near-white.
 */
function renderPhoto(pixels, width, height, tint) {
  const rgb = Buffer.alloc(WIDTH * HEIGHT * 3);
  const scale = ITEM_SIZE / Math.max(width, height);
  const itemWidth = Math.round(width * scale);
  const itemHeight = Math.round(height * scale);
  const left = Math.floor((WIDTH - itemWidth) / 2);
  const top = Math.floor((HEIGHT - itemHeight) / 2);

  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const inside = x >= left && x < left + itemWidth && y >= top && y < top + itemHeight;
      const intensity = inside ? sampleBilinear(pixels, width, height, (x - left + 0.5) / scale, (y - top + 0.5) / scale) / 255 : 0;
      // 64 levels look the same as 256 here and make the PNG about a third smaller.
      const amount = Math.round(intensity * AMOUNT_LEVELS) / AMOUNT_LEVELS;
      const offset = (y * WIDTH + x) * 3;
      for (let channel = 0; channel < 3; channel++) {
        rgb[offset + channel] = Math.round(BACKGROUND[channel] * (1 - amount) + tint[channel] * amount);
      }
    }
  }
  return rgb;
}

function encodePng(rgb) {
  const png = new PNG({ width: WIDTH, height: HEIGHT, colorType: RGB, inputColorType: RGB, inputHasAlpha: false });
  png.data = rgb;
  return PNG.sync.write(png, { colorType: RGB, inputColorType: RGB, inputHasAlpha: false, deflateLevel: 9 });
}

/** Turns a category name into a file-name stem: "T-shirt/top" becomes "t-shirt-top". */
function slugOf(label) {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

function main() {
  const options = parseOptions();
  const images = readIdx(join(options["data-dir"], "t10k-images-idx3-ubyte.gz"), IMAGES_MAGIC);
  const labels = readIdx(join(options["data-dir"], "t10k-labels-idx1-ubyte.gz"), LABELS_MAGIC);
  const [imageCount, height, width] = images.shape;
  const pixelsPerImage = width * height;

  mkdirSync(options.out, { recursive: true });
  const catalogue = [];
  let totalBytes = 0;
  CATALOGUE_INDICES.forEach((indices, label) => {
    indices.forEach((index, copy) => {
      if (index >= imageCount) throw new Error(`test image ${index} does not exist: the test set has ${imageCount} images`);
      if (labels.data[index] !== label) {
        throw new Error(`test image ${index} has label ${labels.data[index]}, expected ${label} (${LABEL_NAMES[label]})`);
      }

      const pixels = images.data.subarray(index * pixelsPerImage, (index + 1) * pixelsPerImage);
      const png = encodePng(renderPhoto(pixels, width, height, TINTS[(label + copy * 5) % TINTS.length]));
      const file = `${slugOf(LABEL_NAMES[label])}-${copy + 1}.png`;
      writeFileSync(join(options.out, file), png);
      totalBytes += png.byteLength;
      catalogue.push({ file, title: `${LABEL_NAMES[label]} ${copy + 1}`, label: LABEL_NAMES[label], testIndex: index });
    });
  });

  writeFileSync(join(options.out, "catalogue.json"), JSON.stringify(catalogue, null, 2) + "\n");
  console.log(`wrote ${catalogue.length} photos (${totalBytes} bytes) and catalogue.json to ${options.out}`);
}

try {
  main();
} catch (error) {
  console.error(`make-catalogue: ${error.message}`);
  process.exitCode = 1;
}
