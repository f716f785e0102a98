/**
 * Tandem's service worker, built by vite-plugin-pwa (`injectManifest`) into `sw.js`. It precaches
 * the app shell, the onnxruntime-web runtime files, the shipped models and the sample data, so the
 * app runs offline after one online visit. Every file is checked before it is cached (see
 * `sw/verify.ts`), and a model file must match the SHA-256 in its manifest.
 *
 * A new version installs in the background and waits until the page sends `SKIP_WAITING`, which
 * the update banner's "Reload" button does. When it activates, it deletes the old version's entries.
 *
 * Service-worker only: it must not import from src/ui, src/app, src/client or src/worker.
 */
import { clientsClaim, setCacheNameDetails } from 'workbox-core';
import type { WorkboxPlugin } from 'workbox-core/types.js';
import { PrecacheController, PrecacheRoute, cleanupOutdatedCaches, type PrecacheEntry } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { TandemError, describeError } from './shared/errors';
import { cachePrefix, isModelFileUrl, skipWaitingMessage, type CacheProblemMessage } from './shared/offline';
import { createModelHandler } from './sw/model-route';
import { reportCacheProblem } from './sw/report';
import { checkResponse, type ManifestReader } from './sw/verify';

declare let self: ServiceWorkerGlobalScope & {
  /** The precache list, which the build puts in place of this name. */
  __WB_MANIFEST: Array<PrecacheEntry | string>;
};

// Before anything reads Workbox's cache names: the precache becomes `tandem-precache-v2-<scope>`.
setCacheNameDetails({ prefix: cachePrefix });

/** Reads a manifest from this version's precache when it is there, else from the network. */
const readManifest: ManifestReader = async (manifestUrl) => {
  const cached = await precache.matchPrecache(manifestUrl);
  if (cached) return cached;
  try {
    return await fetch(manifestUrl, { cache: 'no-cache' });
  } catch {
    return undefined;
  }
};

const verifyBeforeCaching: WorkboxPlugin = {
  async cacheWillUpdate({ request, response }) {
    if (!response.ok) return null;
    // Throwing here fails the install, so a bad file never becomes part of a version.
    await checkResponse(request.url, response, readManifest);
    return response;
  },
};

const precache = new PrecacheController({ plugins: [verifyBeforeCaching] });
precache.addToCacheList(self.__WB_MANIFEST);

function problemReason(error: unknown): CacheProblemMessage['reason'] {
  if (error instanceof DOMException && error.name === 'QuotaExceededError') return 'quota';
  if (error instanceof TandemError && error.code === 'integrity-mismatch') return 'integrity';
  return 'failed';
}

self.addEventListener('install', (event) => {
  const installed = precache.install(event).catch(async (error: unknown) => {
    const reason = problemReason(error);
    const advice =
      reason === 'quota'
        ? "The browser's storage for this site is full. Tandem keeps working online. Delete cached models or stored results to free space."
        : 'Tandem keeps working online and tries again on the next visit.';
    await reportCacheProblem(reason, `Tandem could not be stored for offline use: ${describeError(error)} ${advice}`, error);
    throw error;
  });
  event.waitUntil(installed);
});

self.addEventListener('activate', (event) => {
  // Deletes the entries of the previous version that this one does not list.
  event.waitUntil(precache.activate(event));
});

// Deletes the caches of older Workbox precache formats.
cleanupOutdatedCaches();
// The first version takes control of open pages at once. Later ones wait for SKIP_WAITING.
clientsClaim();

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === skipWaitingMessage.type) void self.skipWaiting();
});

registerRoute(({ url, request, sameOrigin }) => sameOrigin && request.method === 'GET' && isModelFileUrl(url), createModelHandler(precache, readManifest));

registerRoute(new PrecacheRoute(precache));

/**
 * Returns whether a navigation opens the app: the scope's root or its `index.html`. Other pages
 * in the scope, such as `storefront/`, and files such as a model's manifest go to the network.
 */
function isAppPage(url: URL): boolean {
  const root = new URL(self.registration.scope).pathname;
  return url.pathname === root || url.pathname === `${root}index.html`;
}

// The app's address gets the one page whatever its query (`?model=`, `?backend=`).
const appShell = precache.createHandlerBoundToURL('index.html');
registerRoute(({ url, request, sameOrigin }) => sameOrigin && request.mode === 'navigate' && isAppPage(url), appShell);
