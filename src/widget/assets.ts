/**
 * URLs of the files the widget loads, resolved against this module's own URL (`import.meta.url`)
 * rather than the host page's, so the widget works from any path or origin that serves the build.
 */
import builtWorkerUrl from '../worker/index.ts?worker&url';

/** The inference worker module that the widget build emits beside `tandem-widget.js`. */
export const workerUrl: string = new URL(builtWorkerUrl, import.meta.url).href;

// The build writes the widget to `dist/widget/` and the models to `dist/models/`. The dev server
// serves the models from `/models/`, away from the widget's source folder.
const defaultModelPath = import.meta.env.DEV ? '/models/churn/manifest.json' : '../models/churn/manifest.json';

/** The churn model's manifest, the model a widget without a `model` attribute loads. */
export const defaultModelUrl: string = new URL(/* @vite-ignore */ defaultModelPath, import.meta.url).href;
