/**
 * Turns what `predict()` accepts as an image (a File or Blob, an ImageBitmap, or a URL string)
 * into an image Blob for the worker, rejecting anything that is not an image with an error that
 * names the value.
 */
import { TandemError, describeError } from '../shared/errors';
import { describeValue } from './input-checks';

/** Image formats the worker decodes, by their leading bytes; a Blob with no type is sniffed with these. */
const signatures: { format: string; matches(bytes: Uint8Array): boolean }[] = [
  { format: 'PNG', matches: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { format: 'JPEG', matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { format: 'GIF', matches: (b) => ascii(b, 0, 4) === 'GIF8' },
  { format: 'WebP', matches: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { format: 'BMP', matches: (b) => ascii(b, 0, 2) === 'BM' },
  { format: 'AVIF', matches: (b) => ascii(b, 4, 12) === 'ftypavif' },
];

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function notAnImage(what: string, fix = 'Pass a PNG, JPEG, WebP, GIF or BMP image.'): TandemError {
  return new TandemError('invalid-input', `${what} is not an image that the model can read. ${fix}`);
}

/** Returns `blob` when it contains an image, judged by its type or, without one, by its first bytes. */
async function checkImageBlob(blob: Blob, what: string): Promise<Blob> {
  if (blob.size === 0) throw notAnImage(`${what} is empty, so it`);
  if (blob.type === 'image/svg+xml') throw notAnImage(what, 'SVG cannot be decoded in a worker; pass a PNG, JPEG, WebP, GIF or BMP image.');
  if (blob.type.startsWith('image/')) return blob;
  if (blob.type !== '' && blob.type !== 'application/octet-stream') throw notAnImage(what);

  const head = new Uint8Array(await blob.slice(0, 16).arrayBuffer());
  if (!signatures.some((signature) => signature.matches(head))) throw notAnImage(what);
  return blob;
}

async function fetchImage(text: string, call: string): Promise<Blob> {
  let url: URL;
  try {
    url = new URL(text, document.baseURI);
  } catch {
    throw new TandemError('invalid-input', `${call} received ${describeValue(text)}, which is not a URL. Pass an image URL, a File, a Blob or an ImageBitmap.`);
  }

  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TandemError(
      'invalid-input',
      `Fetching the image at ${url.href} failed: ${describeError(error)}. Check the URL; an image on another origin must be served with Access-Control-Allow-Origin.`,
      { cause: error },
    );
  }
  if (!response.ok) throw new TandemError('invalid-input', `Fetching the image at ${url.href} failed with HTTP ${response.status}. Check the URL.`);
  // Servers of single-page apps return their index page with status 200 for a missing file.
  if (response.headers.get('content-type')?.startsWith('text/html')) {
    throw new TandemError('invalid-input', `The URL ${url.href} returned an HTML page, not an image, so the URL is probably wrong. Check it.`);
  }
  return checkImageBlob(await response.blob(), `The response from ${url.href} (type "${response.headers.get('content-type') ?? 'unknown'}")`);
}

/** Encodes a bitmap as PNG on the main thread, through an OffscreenCanvas where there is one. */
async function encodeBitmap(bitmap: ImageBitmap): Promise<Blob> {
  if (bitmap.width === 0 || bitmap.height === 0) throw notAnImage('The ImageBitmap has no pixels (it may be closed), so it');
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    return canvas.convertToBlob({ type: 'image/png' });
  }
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The ImageBitmap could not be encoded as PNG.'))), 'image/png'));
}

/**
 * Returns an image Blob for `input`, or rejects with an `invalid-input` TandemError that names it
 * and the method it was given to (`call`, such as `similar()`).
 */
export async function toImageBlob(input: unknown, modelName: string, call = 'predict()'): Promise<Blob> {
  if (typeof input === 'string') return fetchImage(input, call);
  if (input instanceof Blob) return checkImageBlob(input, input instanceof File ? `The file "${input.name}" (type "${input.type || 'unknown'}")` : `The Blob of type "${input.type || 'unknown'}"`);
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) return encodeBitmap(input);
  throw new TandemError(
    'invalid-input',
    `The model "${modelName}" classifies images, but ${call} received ${describeValue(input)}. Pass a File, a Blob, an ImageBitmap or an image URL.`,
  );
}
