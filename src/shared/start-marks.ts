/**
 * User Timing marks for a page's start, from the page script to the model being ready. They show
 * in the Performance panel of the browser's developer tools, and the benchmark reads them from
 * the page and from the worker to split the start into steps. Every name starts with "tandem:".
 *
 * Page: `model-requested` (the page script asked the worker for the model), `model-received`
 * (the page has the loaded model's info), `first-result` (the form's first prediction is rendered).
 * Worker: `worker-started` (its script runs), `model-fetched` (manifest and model bytes are in),
 * `runtime-started` (onnxruntime-web's WebAssembly is initialised), `model-compiled`,
 * `model-ready` (after the warm-up run).
 */
export type StartMark =
  | 'model-requested'
  | 'model-received'
  | 'first-result'
  | 'worker-started'
  | 'model-fetched'
  | 'runtime-started'
  | 'model-compiled'
  | 'model-ready';

export function markStart(name: StartMark): void {
  performance.mark(`tandem:${name}`);
}
