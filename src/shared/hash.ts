import { sha256 as sha256Stream } from '@noble/hashes/sha2.js';

/** Returns the SHA-256 of bytes held in memory (a model file, a manifest section). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Returns the lower-case hex SHA-256 of a Blob, read as a stream. WebCrypto has no incremental
 * digest, so this uses @noble/hashes and never keeps the whole file in memory.
 */
export async function hashBlob(blob: Blob): Promise<string> {
  const hash = sha256Stream.create();
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
  }
  return bytesToHex(hash.digest());
}
