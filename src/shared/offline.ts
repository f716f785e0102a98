/**
 * Definitions the service worker and the page share: cache names, the test for model files, and
 * the messages between them.
 */

/** Prefix of every Cache Storage cache Tandem creates (Workbox's `cacheNames` prefix). */
export const cachePrefix = 'tandem';

/** The cache for model files that are not part of the build, such as a `?model=` manifest's. */
export const modelCacheName = `${cachePrefix}-models`;

/** Returns whether a cache name is the service worker's precache (the app shell and the shipped models). */
export function isPrecacheName(name: string): boolean {
  return name.startsWith(`${cachePrefix}-precache-`);
}

/** Returns whether a same-origin URL is a model file: an ONNX model or a model's `manifest.json`. */
export function isModelFileUrl(url: URL): boolean {
  return url.pathname.endsWith('.onnx') || url.pathname.endsWith('/manifest.json');
}

/** Sent by the page to a waiting service worker to make it take over now. */
export const skipWaitingMessage = { type: 'SKIP_WAITING' } as const;

/** Sent by the service worker to every open page when it could not store a file for offline use. */
export interface CacheProblemMessage {
  type: 'tandem:cache-problem';
  /** The problem in a sentence for the user: the failure, the URL and what happens now. */
  message: string;
  /**
   * `quota` when the browser's storage quota was exceeded, `integrity` when a download failed its
   * checks, and `failed` for anything else.
   */
  reason: 'quota' | 'integrity' | 'failed';
}

export function isCacheProblemMessage(data: unknown): data is CacheProblemMessage {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'tandem:cache-problem';
}
