/** The public types of `<tandem-widget>`'s JavaScript API. */
import type { ModelManifest } from '../shared/manifest';
import type { BackendName, BackendPreference, ImagePrediction, ModelInfo, TabularPrediction } from '../shared/protocol';

export type { BackendName, BackendPreference, JobProgress, JobSummary } from '../shared/protocol';

/** The values of the `backend` attribute. */
export const backendPreferences: readonly BackendPreference[] = Object.freeze(['auto', 'webgpu', 'wasm']);

/** The values of the `view` attribute: a generated form, an image picker, or nothing (script-only use). */
export type WidgetView = 'form' | 'image' | 'none';
export const widgetViews: readonly WidgetView[] = Object.freeze(['form', 'image', 'none']);

/** The model a widget has loaded, as `el.ready` resolves and `tandem-ready` carries it. */
export interface WidgetModelInfo {
  /** The session's key in the worker, `<sha256>/<backend>`. */
  id: string;
  name: string;
  title: string;
  version: string;
  task: ModelManifest['task'];
  /** `record` for models that score a record of features, `image` for models that classify photos. */
  kind: 'record' | 'image';
  manifestUrl: string;
  /** Names of the ONNX graph's inputs. */
  inputs: string[];
  /** Names of the ONNX graph's outputs. */
  outputs: string[];
  /** Feature names a record must have, in manifest order; empty for image models. */
  features: string[];
  /** Class labels, in the model's output order. */
  labels: string[];
  /** Probability above which a record model predicts the positive class; null for image models. */
  threshold: number | null;
  backend: BackendName;
  /** The reason this backend runs the model, in one sentence. */
  backendReason: string;
  manifest: ModelManifest;
}

/** A record model's prediction: `probability` is for the positive class (for churn: churn = Yes). */
export interface RecordPrediction extends TabularPrediction {
  kind: 'record';
  /** Main-thread round trip, from the call to the result, in milliseconds. */
  roundTripMs: number;
}

/** An image model's prediction: `top` lists the most probable classes, most probable first. */
export interface ImageResult extends ImagePrediction {
  kind: 'image';
  /** Main-thread round trip, from the call to the result, including reading the image, in milliseconds. */
  roundTripMs: number;
}

export type WidgetPrediction = RecordPrediction | ImageResult;

/** The input `el.predict()` accepts: a record keyed by feature name, or an image. */
export type WidgetInput = Record<string, unknown> | Blob | ImageBitmap | string;

/** Builds the public model description from the worker's. */
export function describeModel(info: ModelInfo): WidgetModelInfo {
  const manifest = info.manifest;
  return {
    id: info.id,
    name: manifest.name,
    title: manifest.title,
    version: manifest.version,
    task: manifest.task,
    kind: manifest.tabular ? 'record' : 'image',
    manifestUrl: info.manifestUrl,
    inputs: [...info.inputNames],
    outputs: [...info.outputNames],
    features: manifest.tabular ? manifest.tabular.features.map((feature) => feature.name) : [],
    labels: [...(manifest.output.labels ?? [])],
    threshold: manifest.tabular ? (manifest.output.threshold ?? 0.5) : null,
    backend: info.backend,
    backendReason: info.backendReason,
    manifest,
  };
}
