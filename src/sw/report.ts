/** Tells the open pages about caching problems, which happen in the service worker where no user sees them. */
import { createLogger } from '../shared/logger';
import type { CacheProblemMessage } from '../shared/offline';

declare let self: ServiceWorkerGlobalScope;

const log = createLogger('sw');

/** Logs a caching problem and posts it to every open Tandem page, controlled or not. */
export async function reportCacheProblem(reason: CacheProblemMessage['reason'], message: string, error?: unknown): Promise<void> {
  log.error(message, error);
  const problem: CacheProblemMessage = { type: 'tandem:cache-problem', reason, message };
  // A page on its first visit is not controlled yet, and it needs the message most.
  const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const page of pages) page.postMessage(problem);
}
