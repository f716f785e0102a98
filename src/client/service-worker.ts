/**
 * The page's side of the service worker (src/sw.ts): registers it in production builds, tracks
 * whether a new version waits and which caching problems the service worker reported, and
 * activates a waiting version. `npm start` (the dev server) registers nothing.
 */
import type { Workbox } from 'workbox-window';
import { createLogger } from '../shared/logger';
import { isCacheProblemMessage } from '../shared/offline';

const log = createLogger('service-worker');

/** How often an open page checks the server for a new version. Browsers also check on navigation. */
const updateCheckIntervalMs = 60 * 60 * 1000;
/** The number of problems kept for display. Older ones are dropped. */
const maxProblems = 3;

export interface ServiceWorkerState {
  /** Whether a service worker controls the page, so that it loads from the cache when offline. */
  offlineReady: boolean;
  /** Whether a new version is installed and waits for {@link activateUpdate}. */
  updateReady: boolean;
  /** Caching problems the service worker reported, oldest first, without repeats. */
  problems: string[];
}

/** The page's view of the service worker. Dispatches `change` after every update. */
class ServiceWorkerStatus extends EventTarget {
  state: ServiceWorkerState = { offlineReady: false, updateReady: false, problems: [] };

  update(changes: Partial<ServiceWorkerState>): void {
    this.state = { ...this.state, ...changes };
    this.dispatchEvent(new Event('change'));
  }

  addProblem(message: string): void {
    if (this.state.problems.includes(message)) return;
    this.update({ problems: [...this.state.problems, message].slice(-maxProblems) });
  }
}

export const serviceWorkerStatus = new ServiceWorkerStatus();

let workbox: Workbox | null = null;

/** Registers `sw.js` once, in production builds in a browser with service workers. Elsewhere it does nothing. */
export async function registerServiceWorker(): Promise<void> {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator) || workbox) return;

  const container = navigator.serviceWorker;
  // Listen before registering: the first install reports its problems while it runs.
  container.addEventListener('message', (event) => {
    if (isCacheProblemMessage(event.data)) serviceWorkerStatus.addProblem(event.data.message);
  });
  container.startMessages();
  container.addEventListener('controllerchange', () => serviceWorkerStatus.update({ offlineReady: true }));
  serviceWorkerStatus.update({ offlineReady: container.controller !== null });

  const { Workbox } = await import('workbox-window');
  workbox = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
  workbox.addEventListener('waiting', () => serviceWorkerStatus.update({ updateReady: true }));
  try {
    await workbox.register();
  } catch (error) {
    log.error('Registering the service worker failed, so Tandem works online only', error);
    return;
  }
  setInterval(() => void workbox?.update(), updateCheckIntervalMs);
}

/** Makes the waiting version take over, then reloads the page into it. */
export function activateUpdate(): void {
  if (!workbox) return;
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
  workbox.messageSkipWaiting();
}
