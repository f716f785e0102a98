/**
 * Checks that downloaded bytes are the file that was asked for. The inference worker runs these
 * checks before it compiles a model, and the service worker runs them before it caches a file.
 */
import { TandemError } from './errors';
import { bytesToHex, sha256 } from './hash';

/** The first bytes of every WebAssembly module: `\0asm`. */
const wasmMagic = [0x00, 0x61, 0x73, 0x6d];

/** Reports whether bytes start like an HTML page, as a server's "not found" fallback page does. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/** Throws unless `bytes` are a model file whose SHA-256 is `expectedSha256` (lower-case hex). */
export async function checkModelBytes(url: string, bytes: Uint8Array, expectedSha256: string): Promise<void> {
  if (looksLikeHtml(bytes)) {
    throw new TandemError('integrity-mismatch', `The server sent an HTML page for the model file at ${url}, not an ONNX model. Check the URL in the manifest.`);
  }
  const actual = bytesToHex(await sha256(bytes));
  if (actual !== expectedSha256) {
    throw new TandemError(
      'integrity-mismatch',
      `The model file at ${url} does not match its manifest: its SHA-256 is ${actual}, the manifest expects ${expectedSha256}. ` +
        'The download may be truncated or the file replaced; reload to fetch it again.',
    );
  }
}

/** Throws unless `head`, the first bytes of the file at `url`, start a WebAssembly module. */
export function checkWasmHead(url: string, head: Uint8Array): void {
  if (looksLikeHtml(head)) {
    throw new TandemError('integrity-mismatch', `The server sent an HTML page for ${url}, where a WebAssembly file was expected. Check that the file exists on the server.`);
  }
  if (!wasmMagic.every((byte, index) => head[index] === byte)) {
    throw new TandemError('integrity-mismatch', `The file at ${url} is not a WebAssembly module: it does not start with the bytes 00 61 73 6d.`);
  }
}
