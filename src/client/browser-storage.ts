/**
 * Tandem's storage in this browser, managed from the page: usage and quota, persistence, the model
 * caches and the results database. The inference worker owns the database. Deleting it closes the
 * worker's connection (see `blocking` in src/storage/db.ts), so the page must reload afterwards.
 */
import { deleteDB } from 'idb';
import { isModelFileUrl, isPrecacheName, modelCacheName } from '../shared/offline';
import { databaseName } from '../storage/db';

export interface StorageSummary {
  /** Bytes this site stores, by `navigator.storage.estimate()`: caches, IndexedDB and more. */
  usage: number;
  /** Bytes the browser lets this site store. */
  quota: number;
  /** Whether the browser keeps this site's data under storage pressure. */
  persisted: boolean;
}

/** Returns usage, quota and persistence, or null where the browser has no Storage API (an insecure page). */
export async function readStorageSummary(): Promise<StorageSummary | null> {
  if (!navigator.storage?.estimate) return null;
  const [estimate, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted()]);
  return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
}

/** Asks the browser to keep this site's data under storage pressure, and returns whether it agreed. */
export function requestPersistentStorage(): Promise<boolean> {
  return navigator.storage.persist();
}

/**
 * Deletes every cached model file: the model cache, and the models' entries in the precache.
 * The app shell and the runtime files stay. Returns how many files were deleted. A deleted model
 * is fetched and cached again the next time it loads while online.
 */
export async function deleteCachedModels(): Promise<number> {
  if (!('caches' in window)) return 0;
  let deleted = 0;
  for (const name of await caches.keys()) {
    if (name === modelCacheName) {
      deleted += (await (await caches.open(name)).keys()).length;
      await caches.delete(name);
    } else if (isPrecacheName(name)) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        if (isModelFileUrl(new URL(request.url)) && (await cache.delete(request))) deleted++;
      }
    }
  }
  return deleted;
}

/**
 * Deletes the IndexedDB database with every job, input file and result, and resolves once it is
 * gone. `onBlocked` runs while another connection (an older Tandem in another tab) keeps it open.
 */
export async function deleteStoredResults(onBlocked: () => void): Promise<void> {
  await deleteDB(databaseName, { blocked: onBlocked });
}
