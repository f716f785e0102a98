/**
 * Checks a response before the service worker caches it: no HTML page where a file was expected,
 * a WebAssembly file that starts like one, and a model file whose SHA-256 matches its manifest.
 */
import { TandemError } from '../shared/errors';
import { checkModelBytes, checkWasmHead } from '../shared/integrity';
import { parseManifest } from '../shared/manifest';

/** Returns the response for a manifest URL, from a cache or the network, or undefined. */
export type ManifestReader = (manifestUrl: string) => Promise<Response | undefined>;

/** Workbox's cache-busting query parameter, present on precache keys. */
const revisionParameter = '__WB_REVISION__';

/** SHA-256 (lower-case hex) of model files by absolute URL, from the manifests read so far. */
const expectedHashes = new Map<string, string>();

/** Records the model file and SHA-256 that a manifest names. An invalid manifest is skipped. */
function rememberManifest(manifestUrl: string, json: unknown): void {
  try {
    const manifest = parseManifest(json, manifestUrl);
    expectedHashes.set(new URL(manifest.model.file, manifestUrl).href, manifest.model.sha256);
  } catch {
    // The inference worker rejects an invalid manifest with a message when it loads it.
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * Returns the SHA-256 that the manifest of the model file at `modelUrl` expects. The manifest is
 * one already read, or else `manifest.json` in the model's folder, the layout Tandem's models use.
 */
async function expectedModelSha256(modelUrl: string, readManifest: ManifestReader): Promise<string> {
  if (!expectedHashes.has(modelUrl)) {
    const manifestUrl = new URL('manifest.json', modelUrl).href;
    const response = await readManifest(manifestUrl);
    if (response?.ok) rememberManifest(manifestUrl, await readJson(response));
  }
  const expected = expectedHashes.get(modelUrl);
  if (!expected) {
    throw new TandemError('integrity-mismatch', `No model manifest names ${modelUrl}, so its SHA-256 cannot be checked. Load the model through its manifest (?model=URL).`);
  }
  return expected;
}

/** Returns up to the first 256 bytes of a response's body without reading the rest. */
async function readHead(response: Response): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const head = new Uint8Array(256);
  let length = 0;
  while (length < head.length) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = Math.min(value.length, head.length - length);
    head.set(value.subarray(0, take), length);
    length += take;
  }
  await reader.cancel();
  return head.subarray(0, length);
}

function describeExpectedFile(path: string): string {
  if (path.endsWith('.wasm')) return 'a WebAssembly file';
  if (path.endsWith('.onnx')) return 'an ONNX model';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'a script';
  if (path.endsWith('.json') || path.endsWith('.webmanifest')) return 'JSON';
  if (path.endsWith('.csv')) return 'a CSV file';
  return 'a file';
}

function expectsHtml(path: string): boolean {
  return path.endsWith('/') || path.endsWith('.html');
}

/**
 * Throws a TandemError (`integrity-mismatch`) that names the URL unless the response is fit to
 * cache for `requestUrl`. Reads clones, so the response itself stays unread.
 */
export async function checkResponse(requestUrl: string, response: Response, readManifest: ManifestReader): Promise<void> {
  const url = new URL(requestUrl);
  url.searchParams.delete(revisionParameter);
  const path = url.pathname;

  const contentType = response.headers.get('content-type') ?? '';
  if (contentType.includes('text/html') && !expectsHtml(path)) {
    throw new TandemError(
      'integrity-mismatch',
      `The server sent an HTML page for ${url.href}, where ${describeExpectedFile(path)} was expected. Check that the file exists on the server.`,
    );
  }

  if (path.endsWith('.wasm')) {
    checkWasmHead(url.href, await readHead(response.clone()));
  } else if (path.endsWith('.onnx')) {
    const bytes = new Uint8Array(await response.clone().arrayBuffer());
    await checkModelBytes(url.href, bytes, await expectedModelSha256(url.href, readManifest));
  } else if (path.endsWith('/manifest.json')) {
    rememberManifest(url.href, await readJson(response.clone()));
  }
}
