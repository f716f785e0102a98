/**
 * Lists the images of a batch in input order: the chosen files as given, and the entries of a
 * `.zip` file read as a stream with fflate, so a large archive is never held whole in memory.
 */
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { describeError } from '../../shared/errors';
import { createLogger } from '../../shared/logger';

const log = createLogger('images');

export interface ImageEntry {
  /** The file name, with its folder inside a zip (for example `shoes/0001.jpg`). */
  name: string;
  /** The entry's bytes, or null when the zip entry could not be extracted. */
  data: Blob | null;
  /** The reason `data` is null. */
  error?: string;
}

/** Bytes handed to the unzipper at a time: a few dozen small entries at most. */
const zipPushBytes = 16 * 1024;

/** Reports whether a file is a zip archive, by its name or its type. */
export function isZip(file: File): boolean {
  return /\.zip$/i.test(file.name) || file.type === 'application/zip' || file.type === 'application/x-zip-compressed';
}

/** Skips folder entries and the metadata that archivers add (`__MACOSX/`, `.DS_Store`). */
function isIgnoredEntry(name: string): boolean {
  return name.endsWith('/') || name.startsWith('__MACOSX/') || /(^|\/)\.DS_Store$/.test(name);
}

/** The error of a zip that fflate cannot read to its end, given under the zip's name. */
export const damagedZipReason = 'damaged or incomplete zip: choose the file again';

/**
 * Yields the entries of a zip archive in archive order. The entries before any damage come
 * first and keep their results. A damaged or cut-off archive then ends with one entry, named
 * after the zip, that carries the error.
 */
export async function* readZip(file: Blob, zipName: string): AsyncGenerator<ImageEntry> {
  const ready: ImageEntry[] = [];
  let failure: unknown = null;

  const unzip = new Unzip((entry: UnzipFile) => {
    if (isIgnoredEntry(entry.name)) return;
    const parts: Uint8Array[] = [];
    const slot: ImageEntry = { name: entry.name, data: null };
    // The slot is queued now so that entries keep archive order even if one finishes late.
    ready.push(slot);
    entry.ondata = (error, chunk, final) => {
      if (error) {
        slot.error = `it could not be extracted from the zip file: ${error.message}`;
        return;
      }
      parts.push(chunk);
      if (final) slot.data = new Blob(parts as BlobPart[]);
    };
    try {
      entry.start();
    } catch (error) {
      slot.error = `its compression method is not supported (${error instanceof Error ? error.message : String(error)})`;
    }
  });
  unzip.register(UnzipInflate);

  const reader = file.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      try {
        if (done) unzip.push(new Uint8Array(0), true);
        // fflate's Unzip.push recurses once per entry in the bytes it is given, so a large read
        // full of small images overflows the stack; small slices keep the depth low.
        else for (let start = 0; start < value.length; start += zipPushBytes) unzip.push(value.subarray(start, start + zipPushBytes));
      } catch (error) {
        failure = error;
      }
      // Entries are complete once their data or error has arrived.
      while (ready.length > 0 && (ready[0]!.data !== null || ready[0]!.error !== undefined || done || failure)) {
        const entry = ready.shift()!;
        if (entry.data === null && entry.error === undefined) entry.error = 'the zip file ends before this entry is complete';
        yield entry;
      }
      if (failure) {
        log.debug(`${zipName} is damaged: ${describeError(failure)}`);
        yield { name: zipName, data: null, error: damagedZipReason };
        return;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Yields the images of a batch: each file as given, with the entries of any zip file in its place. */
export async function* readImageSources(files: readonly File[]): AsyncGenerator<ImageEntry> {
  for (const file of files) {
    if (isZip(file)) yield* readZip(file, file.webkitRelativePath || file.name);
    else yield { name: file.webkitRelativePath || file.name, data: file };
  }
}
