/**
 * Turns an image file into the model's input inside the worker: decode with createImageBitmap
 * (EXIF orientation applied), read the pixels through an OffscreenCanvas, then run the manifest's
 * pure preprocessing. The real-time and batch paths both call {@link prepareImage}.
 *
 * Worker-only: it must not import from src/ui, src/app or src/client.
 */
import { InvalidValueError } from '../shared/errors';
import { isBlank, preprocessImage, type ImageSpec, type PreprocessedImage } from './preprocess/image';

/** Formats browsers decode with createImageBitmap, by file extension. */
const imageExtensions = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;

/** The largest side decoded at full size: about 100 MB of RGBA, enough for a 40-megapixel photo. */
const maxPixels = 40_000_000;

/** Decodes an image and returns its RGBA pixels. Throws {@link InvalidValueError} for a bad file. */
export async function decodeImage(name: string, data: Blob): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  if (data.size === 0) throw new InvalidValueError('file', name, 'the file is empty');
  if (!imageExtensions.test(name) && !data.type.startsWith('image/')) {
    throw new InvalidValueError('file', name, 'it is not an image: use PNG, JPEG, WebP, GIF or BMP files');
  }

  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(data, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    throw new InvalidValueError('file', name, 'the image could not be decoded: the file is corrupt or its format is not supported');
  }

  try {
    const { width, height } = bitmap;
    if (width * height > maxPixels) {
      throw new InvalidValueError('file', name, `the image is ${width}x${height} pixels, more than ${maxPixels / 1e6} megapixels; resize it first`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('OffscreenCanvas 2D context is not available in this browser');
    context.drawImage(bitmap, 0, 0);
    return { rgba: context.getImageData(0, 0, width, height).data, width, height };
  } finally {
    bitmap.close();
  }
}

/** Decodes and preprocesses one image for the model. */
export async function prepareImage(name: string, data: Blob, spec: ImageSpec): Promise<PreprocessedImage> {
  const { rgba, width, height } = await decodeImage(name, data);
  const prepared = preprocessImage(rgba, width, height, spec);
  if (isBlank(prepared.preview)) {
    throw new InvalidValueError('file', name, 'the image is blank: it is fully transparent or one colour after preprocessing; choose a photo that shows the product');
  }
  return prepared;
}
