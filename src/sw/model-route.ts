/**
 * Serves model files (`.onnx` and model manifests). A model shipped with the build comes from the
 * precache, and is fetched and put back when it was deleted from there. Any other model is fetched
 * from the network first, with the model cache as the fallback when offline. A file is cached only
 * after `checkResponse` accepts it.
 */
import type { RouteHandlerCallback } from 'workbox-core/types.js';
import type { PrecacheController } from 'workbox-precaching';
import { describeError } from '../shared/errors';
import { modelCacheName } from '../shared/offline';
import { reportCacheProblem } from './report';
import { checkResponse, type ManifestReader } from './verify';

function isQuotaExceeded(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

/**
 * Fetches `request` and stores the response in `cache` under `key` when it passes the checks.
 * A response that fails them is returned unstored, because the inference worker runs the same
 * checks and shows the error. The open pages get a message that explains why nothing was stored.
 */
async function fetchAndStore(request: Request, cache: Cache, key: string, readManifest: ManifestReader): Promise<Response> {
  const response = await fetch(request);
  if (!response.ok) return response;

  try {
    await checkResponse(request.url, response, readManifest);
  } catch (error) {
    await reportCacheProblem('integrity', `${describeError(error)} It was not stored for offline use.`, error);
    return response;
  }

  try {
    await cache.put(key, response.clone());
  } catch (error) {
    const message = isQuotaExceeded(error)
      ? `The browser's storage for this site is full, so ${request.url} was not stored for offline use. ` +
        'Tandem keeps working with the copy in memory. Delete cached models or stored results to free space.'
      : `Storing ${request.url} for offline use failed: ${describeError(error)}. Tandem keeps working with the copy in memory.`;
    await reportCacheProblem(isQuotaExceeded(error) ? 'quota' : 'failed', message, error);
  }
  return response;
}

/** Returns the route handler for model files. `precache` contains the models shipped with the build. */
export function createModelHandler(precache: PrecacheController, readManifest: ManifestReader): RouteHandlerCallback {
  return async ({ request }) => {
    const precacheKey = precache.getCacheKeyForURL(request.url);
    if (precacheKey) {
      // A precache key carries the file's revision, so a cached copy is never stale.
      const cache = await caches.open(precache.strategy.cacheName);
      const cached = await cache.match(precacheKey);
      return cached ?? fetchAndStore(request, cache, precacheKey, readManifest);
    }

    const cache = await caches.open(modelCacheName);
    try {
      return await fetchAndStore(request, cache, request.url, readManifest);
    } catch (error) {
      const cached = await cache.match(request);
      if (cached) return cached;
      throw error;
    }
  };
}
