// Image preprocessing for image models: decoded RGBA pixels to the float32 model input.
//
// Every function is pure (no DOM, no canvas, no onnxruntime), so the worker, Node.js scripts
// and tests share one implementation. Gray planes are Float32Array values in 0-255, row-major,
// and stay unrounded until the 0-255 preview.

/** The `image` section of a model manifest (docs/manifest.md). */
export interface ImageSpec {
  /** Name of the graph input that receives the tensor. */
  input: string;
  /** With one channel both layouts have the same memory order; only the tensor shape differs. */
  layout: "NCHW" | "NHWC";
  num_channels: 1;
  do_convert_grayscale: boolean;
  do_pad_square: boolean;
  /** Padding value in 0-255 before any inversion, or "background" for the estimated background. */
  pad_value: "background" | number;
  do_resize: boolean;
  size: { height: number; width: number };
  /** "area": area averaging when shrinking, bilinear interpolation when enlarging. */
  resample: "area";
  do_invert_light_background: boolean;
  /**
   * Photo steps, applied only when the background is light (so never to training-style images):
   * crop to the pixels that differ from the background by more than `content_threshold` (a
   * fraction of white), as the training images are cropped to the item, and after inversion
   * stretch the values to the full 0-255 range, since a tinted product is darker than white.
   */
  do_crop_to_content?: boolean;
  content_threshold?: number;
  do_stretch_contrast?: boolean;
  /** Background level, as a fraction of white (0-1), above which the image is inverted. */
  background_threshold: number;
  do_rescale: boolean;
  rescale_factor: number;
  do_normalize: boolean;
  image_mean: number[];
  image_std: number[];
}

/** Model input and the grayscale image it encodes. */
export interface PreprocessedImage {
  /** Float32 [1, 1, height, width] input in NCHW order. */
  tensor: Float32Array;
  /** The height x width grayscale image encoded in `tensor`, rounded to 0-255. */
  preview: Uint8ClampedArray;
}

const LUMA_RED = 0.299;
const LUMA_GREEN = 0.587;
const LUMA_BLUE = 0.114;
const WHITE = 255;

function checkSize(length: number, expected: number, description: string): void {
  if (length !== expected) {
    throw new RangeError(`${description} has ${length} values, expected ${expected}`);
  }
}

function checkDimensions(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid image size ${width}x${height}: width and height must be positive integers`);
  }
}

/**
 * Converts RGBA pixels to gray with the ITU-R BT.601 luma weights (0.299, 0.587, 0.114),
 * compositing partly transparent pixels over white.
 *
 * A pixel with equal red, green and blue keeps that value exactly, so gray input passes
 * through bit for bit.
 */
export function toGrayscale(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  checkDimensions(width, height);
  checkSize(rgba.length, width * height * 4, "RGBA buffer");

  const gray = new Float32Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const red = rgba[i * 4];
    const green = rgba[i * 4 + 1];
    const blue = rgba[i * 4 + 2];
    const alpha = rgba[i * 4 + 3];

    const luma = red === green && green === blue ? red : LUMA_RED * red + LUMA_GREEN * green + LUMA_BLUE * blue;
    gray[i] = alpha === 255 ? luma : (luma * alpha + WHITE * (255 - alpha)) / 255;
  }
  return gray;
}

/** Estimates the background value as the median of the border pixels, each counted once. */
export function estimateBackground(gray: Float32Array, width: number, height: number): number {
  checkDimensions(width, height);
  checkSize(gray.length, width * height, "gray image");

  const border: number[] = [];
  for (let y = 0; y < height; y++) {
    const onEdgeRow = y === 0 || y === height - 1;
    for (let x = 0; x < width; x++) {
      if (onEdgeRow || x === 0 || x === width - 1) {
        border.push(gray[y * width + x]);
      }
    }
  }

  border.sort((a, b) => a - b);
  const middle = border.length >> 1;
  return border.length % 2 === 1 ? border[middle] : (border[middle - 1] + border[middle]) / 2;
}

/**
 * Pads the image to a square of side max(width, height) filled with `value`, with the image
 * centred. When the padding is odd, the extra row or column goes to the bottom or right.
 */
export function padToSquare(gray: Float32Array, width: number, height: number, value: number): Float32Array {
  checkDimensions(width, height);
  checkSize(gray.length, width * height, "gray image");

  const side = Math.max(width, height);
  const left = Math.floor((side - width) / 2);
  const top = Math.floor((side - height) / 2);
  const square = new Float32Array(side * side).fill(value);
  for (let y = 0; y < height; y++) {
    square.set(gray.subarray(y * width, (y + 1) * width), (top + y) * side + left);
  }
  return square;
}

/** Source pixels and weights that make up one output pixel along one axis. */
interface AxisTap {
  indices: number[];
  weights: number[];
}

/**
 * Computes the weights of each output pixel along one axis. Shrinking averages the input
 * pixels under the output pixel's footprint, weighted by overlap (exact area averaging).
 * Enlarging interpolates linearly between the two nearest input pixel centres, with pixel
 * centres at half-integer coordinates and clamping at the edges.
 */
function axisTaps(inSize: number, outSize: number): AxisTap[] {
  const scale = inSize / outSize;
  const taps: AxisTap[] = [];

  for (let out = 0; out < outSize; out++) {
    if (outSize === inSize) {
      taps.push({ indices: [out], weights: [1] });
    } else if (outSize < inSize) {
      const start = out * scale;
      const end = (out + 1) * scale;
      const indices: number[] = [];
      const weights: number[] = [];
      for (let source = Math.floor(start); source < Math.min(Math.ceil(end), inSize); source++) {
        const overlap = Math.min(end, source + 1) - Math.max(start, source);
        if (overlap > 0) {
          indices.push(source);
          weights.push(overlap / scale);
        }
      }
      taps.push({ indices, weights });
    } else {
      const position = Math.min(Math.max((out + 0.5) * scale - 0.5, 0), inSize - 1);
      const lower = Math.floor(position);
      const upper = Math.min(lower + 1, inSize - 1);
      const fraction = position - lower;
      taps.push({ indices: [lower, upper], weights: [1 - fraction, fraction] });
    }
  }
  return taps;
}

/**
 * Resizes a gray image to outWidth x outHeight, with area averaging along an axis that shrinks
 * and bilinear interpolation along one that grows. Both filters are separable, so it resizes
 * the rows first, then the columns.
 */
export function resizeArea(
  gray: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  checkDimensions(width, height);
  checkDimensions(outWidth, outHeight);
  checkSize(gray.length, width * height, "gray image");

  const columnTaps = axisTaps(width, outWidth);
  const rows = new Float32Array(outWidth * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const { indices, weights } = columnTaps[x];
      let sum = 0;
      for (let k = 0; k < indices.length; k++) {
        sum += weights[k] * gray[y * width + indices[k]];
      }
      rows[y * outWidth + x] = sum;
    }
  }

  const rowTaps = axisTaps(height, outHeight);
  const resized = new Float32Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const { indices, weights } = rowTaps[y];
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let k = 0; k < indices.length; k++) {
        sum += weights[k] * rows[indices[k] * outWidth + x];
      }
      resized[y * outWidth + x] = sum;
    }
  }
  return resized;
}

/** Inverts a gray image (255 - value), so dark becomes light. */
export function invert(gray: Float32Array): Float32Array {
  return gray.map((value) => WHITE - value);
}

/**
 * Rescales and normalises a gray image of the spec's size into the float32 model input:
 * (value * rescale_factor - image_mean[0]) / image_std[0], with each step applied only when
 * its `do_` flag is set.
 *
 * The arithmetic runs in float64 and rounds to float32 once, as the training script does,
 * so a Fashion-MNIST image gives the exact training input.
 */
export function toTensor(gray: Float32Array, image: ImageSpec): Float32Array {
  checkSize(gray.length, image.size.width * image.size.height, "gray image");

  const mean = image.image_mean[0];
  const std = image.image_std[0];
  const tensor = new Float32Array(gray.length);
  for (let i = 0; i < gray.length; i++) {
    let value = gray[i];
    if (image.do_rescale) {
      value *= image.rescale_factor;
    }
    if (image.do_normalize) {
      value = (value - mean) / std;
    }
    tensor[i] = value;
  }
  return tensor;
}

/** Rejects manifest settings this module does not implement. */
function checkImageSpec(image: ImageSpec): void {
  const unsupported: string[] = [];
  if (image.layout !== "NCHW" && image.layout !== "NHWC") unsupported.push(`layout "${image.layout}" (only "NCHW" or "NHWC")`);
  if (image.num_channels !== 1) unsupported.push(`num_channels ${image.num_channels} (only 1)`);
  if (!image.do_convert_grayscale) unsupported.push("do_convert_grayscale false (only grayscale input)");
  if (image.resample !== "area") unsupported.push(`resample "${image.resample}" (only "area")`);
  if (image.do_normalize && (image.image_mean.length !== 1 || image.image_std.length !== 1)) {
    unsupported.push("image_mean and image_std with other than one value (one channel)");
  }
  if (unsupported.length > 0) {
    throw new Error(`unsupported image settings in the manifest: ${unsupported.join(", ")}`);
  }
}

/**
 * Runs the whole pipeline on decoded RGBA pixels: grayscale, background estimate, pad to a
 * square with the background, resize to the model size, invert when the background is light,
 * then rescale and normalise.
 *
 * Inverting last, on the small image, gives the same result up to float rounding as inverting
 * first, because padding and resizing are weighted averages with weights that sum to 1.
 */
/**
 * Returns the bounding box of the pixels that differ from `background` by more than `threshold`
 * (0-255), or null when none does.
 */
export function contentBox(
  gray: Float32Array,
  width: number,
  height: number,
  background: number,
  threshold: number,
): { left: number; top: number; width: number; height: number } | null {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Math.abs(gray[y * width + x]! - background) <= threshold) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/** Copies a rectangle out of a gray image. */
export function crop(gray: Float32Array, width: number, box: { left: number; top: number; width: number; height: number }): Float32Array {
  const out = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const start = (box.top + y) * width + box.left;
    out.set(gray.subarray(start, start + box.width), y * box.width);
  }
  return out;
}

/** Maps the smallest value to 0 and the largest to 255; a flat image is returned unchanged. */
export function stretchContrast(gray: Float32Array): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const value of gray) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (max - min < 1) return gray;
  const scale = WHITE / (max - min);
  return gray.map((value) => (value - min) * scale);
}

export function preprocessImage(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  image: ImageSpec,
): PreprocessedImage {
  checkImageSpec(image);

  let gray = toGrayscale(rgba, width, height);
  let grayWidth = width;
  let grayHeight = height;
  const background = estimateBackground(gray, width, height);
  const isPhoto = image.do_invert_light_background && background > image.background_threshold * WHITE;

  if (isPhoto && image.do_crop_to_content) {
    const box = contentBox(gray, width, height, background, (image.content_threshold ?? 0.1) * WHITE);
    if (box && (box.width < width || box.height < height)) {
      gray = crop(gray, width, box);
      grayWidth = box.width;
      grayHeight = box.height;
    }
  }

  if (image.do_pad_square && grayWidth !== grayHeight) {
    const padValue = image.pad_value === "background" ? background : image.pad_value;
    gray = padToSquare(gray, grayWidth, grayHeight, padValue);
    grayWidth = grayHeight = Math.max(grayWidth, grayHeight);
  }

  const { width: outWidth, height: outHeight } = image.size;
  if (grayWidth !== outWidth || grayHeight !== outHeight) {
    if (!image.do_resize) {
      throw new RangeError(
        `image is ${grayWidth}x${grayHeight} after padding, but the model input is ${outWidth}x${outHeight} ` +
          "and do_resize is false: resize the image first or enable do_resize in the manifest",
      );
    }
    gray = resizeArea(gray, grayWidth, grayHeight, outWidth, outHeight);
  }

  if (isPhoto) {
    gray = invert(gray);
    if (image.do_stretch_contrast) gray = stretchContrast(gray);
  }

  // Assigning to a Uint8ClampedArray clamps to 0-255 and rounds half to even.
  const preview = new Uint8ClampedArray(gray);
  return { tensor: toTensor(gray, image), preview };
}
