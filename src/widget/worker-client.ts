/**
 * The widget's access to the page's one {@link TandemClient}. Every widget on a page, and the
 * Tandem app when it shares the page, uses the same worker, so a model is fetched and compiled
 * once per manifest URL and backend.
 */
import { TandemClient } from '../client/tandem-client';
import { TandemError } from '../shared/errors';
import { workerUrl } from './assets';

let client: TandemClient | null = null;
let workerFailure: Promise<never> | null = null;

/** Returns the shared client, starting the worker from the widget build's own URL on first use. */
export function sharedClient(): TandemClient {
  if (client) return client;
  client = TandemClient.shared({ workerUrl });
  workerFailure = new Promise<never>((_, reject) => {
    client!.onWorkerError((message) =>
      reject(
        new TandemError(
          'model-load-failed',
          `The inference worker at ${workerUrl} failed: ${message}. ` +
            'When the widget is served from another origin, that server must send Access-Control-Allow-Origin for the page.',
        ),
      ),
    );
  });
  // The failure is reported through the calls that race it; on its own it is not unhandled.
  workerFailure.catch(() => undefined);
  return client;
}

/** Waits for a worker call, or rejects when the worker fails first, since a failed worker never replies. */
export function callWorker<T>(call: Promise<T>): Promise<T> {
  return workerFailure ? Promise.race([call, workerFailure]) : call;
}
