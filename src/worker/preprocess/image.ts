// Image preprocessing for image models: decoded RGBA pixels to the float32 model input.
//
// Every function is pure (no DOM, no canvas, no onnxruntime), so the worker, Node.js scripts
// and tests share one implementation. Gray planes are Float32Array values in 0-255, row-major,
// and stay unrounded until the 0-255 preview. A colour image is three such planes (red, green,
// blue) one after another, so padding and resizing run on each plane with the gray functions.

import { TandemError } from "../../shared/errors";

/** The `image` section of a model manifest (docs/manifest.md). */
export interface ImageSpec {
  /** Name of the graph input that receives the tensor. */
  input: string;
  /**
   * NCHW puts each channel's plane after the other; NHWC interleaves the channels of each pixel.
   * With one channel both layouts have the same memory order, and only the tensor shape differs.
   */
  layout: "NCHW" | "NHWC";
  /** 1 (grayscale) or 3 (red, green, blue, in that order). */
  num_channels: 1 | 3;
  /** Converts to gray; required with one channel. */
  do_convert_grayscale?: boolean;
  /** Converts to RGB, compositing transparency over white; required with three channels. */
  do_convert_rgb?: boolean;
  do_pad_square: boolean;
  /** Padding value in 0-255 before any inversion, or "background" for the estimated background. */
  pad_value: "background" | number;
  do_resize: boolean;
  size: { height: number; width: number };
  /** "area": area averaging when shrinking, bilinear interpolation when enlarging. */
  resample: "area";
  /** Grayscale only: rejected with three channels. */
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
  /** One value per channel, in channel order; a single value applies to every channel. */
  image_mean: number[];
  image_std: number[];
}

/** Model input and the image it encodes. */
export interface PreprocessedImage {
  /** Float32 input of one image, `num_channels` x height x width values in the spec's layout. */
  tensor: Float32Array;
  /**
   * The image encoded in `tensor`, rounded to 0-255: height x width gray values, or with three
   * channels height x width RGB triples (interleaved, as in canvas image data without alpha).
   */
  preview: Uint8ClampedArray;
}

/** Returns the number of float32 values one image takes in the model input. */
export function tensorLength(image: Pick<ImageSpec, "size" | "num_channels">): number {
  return image.size.width * image.size.height * (image.num_channels === 3 ? 3 : 1);
}

/** Returns the number of bytes of one image's preview: one per pixel for gray, three for RGB. */
export function previewLength(image: Pick<ImageSpec, "size" | "num_channels">): number {
  return tensorLength(image);
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

/** Lists the manifest settings this module does not implement, each with what it accepts. */
export function unsupportedImageSettings(image: ImageSpec): string[] {
  const unsupported: string[] = [];
  const channels = image.num_channels;
  if (image.layout !== "NCHW" && image.layout !== "NHWC") unsupported.push(`layout "${image.layout}" (only "NCHW" or "NHWC")`);
  if (channels !== 1 && channels !== 3) unsupported.push(`num_channels ${channels} (only 1 or 3)`);
  if (channels === 1 && !image.do_convert_grayscale) unsupported.push("do_convert_grayscale false with one channel (a one-channel input takes gray images)");
  if (channels === 3) {
    if (image.do_convert_rgb === false) unsupported.push("do_convert_rgb false with three channels (decoded images are always converted to RGB)");
    if (image.do_convert_grayscale) unsupported.push("do_convert_grayscale true with three channels");
    if (image.do_invert_light_background) unsupported.push("do_invert_light_background true with three channels (a grayscale step)");
    if (image.do_crop_to_content || image.do_stretch_contrast) unsupported.push("do_crop_to_content or do_stretch_contrast with three channels (grayscale steps)");
  }
  if (image.resample !== "area") unsupported.push(`resample "${image.resample}" (only "area")`);
  if (image.do_normalize) {
    for (const [key, values] of [["image_mean", image.image_mean], ["image_std", image.image_std]] as const) {
      if (!Array.isArray(values) || (values.length !== 1 && values.length !== channels)) {
        unsupported.push(`${key} ${JSON.stringify(values)} (give 1 or ${channels} numbers)`);
      } else if (values.some((value) => !Number.isFinite(value))) {
        unsupported.push(`${key} ${JSON.stringify(values)} (not all finite numbers)`);
      }
    }
    if (Array.isArray(image.image_std) && image.image_std.some((value) => value === 0)) {
      unsupported.push(`image_std ${JSON.stringify(image.image_std)} (a standard deviation of 0 divides by zero)`);
    }
  }
  return unsupported;
}

/**
 * Rejects, when a model loads or opens, an image section with settings this module does not
 * implement, so the user gets one message naming them instead of an error on every image.
 */
export function checkImageSection(image: ImageSpec, modelFile: string): void {
  const unsupported = unsupportedImageSettings(image);
  if (unsupported.length === 0) return;
  throw new TandemError(
    "invalid-manifest",
    `The manifest of the model "${modelFile}" has image settings Tandem does not implement: ${unsupported.join(", ")}. ` +
      'Change them in the manifest\'s "image" section; docs/manifest.md lists the accepted settings.',
  );
}

/** Rejects manifest settings this module does not implement. */
function checkImageSpec(image: ImageSpec): void {
  const unsupported = unsupportedImageSettings(image);
  if (unsupported.length > 0) {
    throw new Error(`unsupported image settings in the manifest: ${unsupported.join(", ")}`);
  }
}

/**
 * Converts RGBA pixels to three planes (red, then green, then blue), compositing partly
 * transparent pixels over white, as the grayscale step does. Opaque pixels keep their values
 * exactly. NOTE: PIL's plain `convert("RGB")` drops alpha instead, so a model trained on
 * transparent images converted that way sees other values for their transparent pixels.
 */
export function toRgbPlanes(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  checkDimensions(width, height);
  checkSize(rgba.length, width * height * 4, "RGBA buffer");

  const area = width * height;
  const planes = new Float32Array(area * 3);
  for (let i = 0; i < area; i++) {
    const alpha = rgba[i * 4 + 3];
    for (let c = 0; c < 3; c++) {
      const value = rgba[i * 4 + c];
      planes[c * area + i] = alpha === 255 ? value : (value * alpha + WHITE * (255 - alpha)) / 255;
    }
  }
  return planes;
}

/** Returns plane `channel` of an image stored as consecutive planes of `area` values. */
function plane(planes: Float32Array, area: number, channel: number): Float32Array {
  return planes.subarray(channel * area, (channel + 1) * area);
}

/** Applies a gray-image step to each of `channels` planes and returns the results as planes. */
export function mapPlanes(
  planes: Float32Array,
  channels: number,
  area: number,
  step: (gray: Float32Array, channel: number) => Float32Array,
): Float32Array {
  checkSize(planes.length, channels * area, `${channels}-plane image`);
  const results = Array.from({ length: channels }, (_, c) => step(plane(planes, area, c), c));
  const out = new Float32Array(results.reduce((sum, result) => sum + result.length, 0));
  let offset = 0;
  for (const result of results) {
    out.set(result, offset);
    offset += result.length;
  }
  return out;
}

/** Interleaves planes into pixels (RGBRGB…), the order of NHWC tensors and of the preview. */
export function interleave(planes: Float32Array, channels: number): Float32Array {
  const area = planes.length / channels;
  const out = new Float32Array(planes.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < area; i++) out[i * channels + c] = planes[c * area + i];
  }
  return out;
}

/**
 * Rescales and normalises an RGB image of the spec's size, given as planes, into the float32
 * model input in the spec's layout. Channel c gets (value * rescale_factor - image_mean[c]) /
 * image_std[c], each step only when its `do_` flag is set. Like {@link toTensor}, the arithmetic
 * runs in float64 and rounds to float32 once.
 */
export function toRgbTensor(planes: Float32Array, image: ImageSpec): Float32Array {
  const area = image.size.width * image.size.height;
  checkSize(planes.length, area * 3, "RGB image");

  const planar = new Float32Array(planes.length);
  for (let c = 0; c < 3; c++) {
    const mean = image.image_mean[image.image_mean.length === 1 ? 0 : c];
    const std = image.image_std[image.image_std.length === 1 ? 0 : c];
    for (let i = c * area; i < (c + 1) * area; i++) {
      let value = planes[i];
      if (image.do_rescale) value *= image.rescale_factor;
      if (image.do_normalize) value = (value - mean) / std;
      planar[i] = value;
    }
  }
  return image.layout === "NHWC" ? interleave(planar, 3) : planar;
}

/**
 * Runs the colour pipeline: RGB, pad to a square with each channel's border median (or
 * `pad_value`), resize, then rescale and normalise per channel. The light-background steps are
 * grayscale only, so they never run here.
 */
function preprocessRgb(rgba: ArrayLike<number>, width: number, height: number, image: ImageSpec): PreprocessedImage {
  let planes = toRgbPlanes(rgba, width, height);
  let planeWidth = width;
  let planeHeight = height;

  if (image.do_pad_square && planeWidth !== planeHeight) {
    const area = planeWidth * planeHeight;
    planes = mapPlanes(planes, 3, area, (gray) => {
      const padValue = image.pad_value === "background" ? estimateBackground(gray, planeWidth, planeHeight) : image.pad_value;
      return padToSquare(gray, planeWidth, planeHeight, padValue as number);
    });
    planeWidth = planeHeight = Math.max(planeWidth, planeHeight);
  }

  const { width: outWidth, height: outHeight } = image.size;
  if (planeWidth !== outWidth || planeHeight !== outHeight) {
    if (!image.do_resize) throw notResizedError(planeWidth, planeHeight, image);
    planes = mapPlanes(planes, 3, planeWidth * planeHeight, (gray) => resizeArea(gray, planeWidth, planeHeight, outWidth, outHeight));
  }

  return { tensor: toRgbTensor(planes, image), preview: new Uint8ClampedArray(interleave(planes, 3)) };
}

function notResizedError(width: number, height: number, image: ImageSpec): RangeError {
  const { width: outWidth, height: outHeight } = image.size;
  return new RangeError(
    `image is ${width}x${height} after padding, but the model input is ${outWidth}x${outHeight} ` +
      "and do_resize is false: resize the image first or enable do_resize in the manifest",
  );
}

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

/**
 * Reports whether the image the model would see has no content: every value of the preview the
 * same, as from a fully transparent image or one of a single colour. A model still gives such an
 * image a label, often with a high probability, so the caller reports it instead.
 */
export function isBlank(preview: ArrayLike<number>): boolean {
  for (let i = 1; i < preview.length; i++) if (preview[i] !== preview[0]) return false;
  return true;
}

/**
 * Runs the whole pipeline on decoded RGBA pixels. With one channel: grayscale, background
 * estimate, crop to the content of a photo, pad to a square with the background, resize to the
 * model size, invert when the background is light, then rescale and normalise. With three
 * channels, the RGB pipeline of {@link preprocessRgb}.
 *
 * Inverting last, on the small image, gives the same result up to float rounding as inverting
 * first, because padding and resizing are weighted averages with weights that sum to 1.
 */
export function preprocessImage(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  image: ImageSpec,
): PreprocessedImage {
  checkImageSpec(image);
  if (image.num_channels === 3) return preprocessRgb(rgba, width, height, image);

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
    if (!image.do_resize) throw notResizedError(grayWidth, grayHeight, image);
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
