/**
 * The widget's access to the page's one {@link TandemClient}. Every widget on a page, and the
 * Tandem app when it shares the page, uses the same worker, so a model is fetched and compiled
 * once per manifest URL and backend.
 */
import { TandemClient } from '../client/tandem-client';
import { TandemError } from '../shared/errors';
import type { BackendPreference, ModelInfo } from '../shared/protocol';
import { workerUrl } from './assets';

let client: TandemClient | null = null;
let workerFailure: Promise<never> | null = null;
let previousLoad: Promise<unknown> = Promise.resolve();

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

/**
 * Gives a bad value that the worker finds the error type the widget documents. The worker's
 * encoders throw an InvalidValueError, which names the value and the accepted ones; the widget's
 * callers check for a TandemError of code `invalid-input`.
 */
function asWidgetError(error: unknown): never {
  if (error instanceof Error && error.name === 'InvalidValueError') throw new TandemError('invalid-input', error.message, { cause: error });
  throw error;
}

/** Waits for a worker call, or rejects when the worker fails first, since a failed worker never replies. */
export function callWorker<T>(call: Promise<T>): Promise<T> {
  return (workerFailure ? Promise.race([call, workerFailure]) : call).catch(asWidgetError);
}

/**
 * Loads a model in the shared worker after every earlier load from a widget has settled.
 * NOTE: the worker runs each load's warm-up outside its run queue, and with onnxruntime-web 1.31
 * a WebGPU run that overlaps a WASM run of another session fails ("Session already started") or
 * never settles. Loading one model at a time keeps two widgets with different backends apart.
 */
export function loadModelInTurn(manifestUrl: string, backend: BackendPreference): Promise<ModelInfo> {
  const load = previousLoad.then(() => callWorker(sharedClient().loadModel(manifestUrl, backend)));
  previousLoad = load.catch(() => undefined);
  return load;
}
