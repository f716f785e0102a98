import { TandemError } from './errors';

/** An MLflow-style tensor spec: `shape` uses -1 for a dynamic dimension. */
export interface TensorSpec {
  name: string;
  type: 'tensor';
  'tensor-spec': { dtype: string; shape: number[] };
}

export type MissingRule =
  | { strategy: 'error' }
  | { strategy: 'constant'; fill_value: number | string; reason?: string };

interface FeatureBase {
  name: string;
  description?: string;
  /** Other column names users have for this feature, matched like the name itself. */
  aliases?: string[];
  missing: MissingRule;
}

export interface NumberFeature extends FeatureBase {
  type: 'number';
  min?: number;
  max?: number;
  step?: number;
  /** StandardScaler attributes: the encoded value is `(x - mean) / scale`. */
  scaler?: { mean: number; scale: number };
}

export interface BooleanFeature extends FeatureBase {
  type: 'boolean';
  true_values: string[];
  false_values: string[];
  /** Labels the form shows for the two values; "Yes" and "No" when absent. */
  true_label?: string;
  false_label?: string;
}

export interface CategoryFeature extends FeatureBase {
  type: 'category';
  categories: string[];
  /** Other spellings of a category, mapped to the spelling in `categories`. */
  category_aliases?: Record<string, string>;
}

export type FeatureSpec = NumberFeature | BooleanFeature | CategoryFeature;

export interface LabelSpec {
  name: string;
  aliases?: string[];
  positive: string;
  true_values: string[];
  false_values: string[];
}

export interface TabularSpec {
  input: string;
  features: FeatureSpec[];
  id_columns: string[];
  label?: LabelSpec;
  /**
   * For a model with several float inputs: each input's name and how many encoded values it
   * takes, in order. The encoded vector is split across them; `input` is then the first one.
   */
  inputs?: { name: string; width: number }[];
  /**
   * When no column matches a feature by name and the file has exactly one column per feature,
   * the columns feed the features in order, and the job says so.
   */
  match_by_position?: boolean;
}

export interface OutputSpec {
  name: string;
  /**
   * `probability` ([N, 1] or [N, 2], of `positive_label`), `probabilities` ([N, K] class
   * probabilities), `logits` ([N, K], softmax gives the probabilities) or `value` (regression).
   */
  kind: 'probability' | 'probabilities' | 'logits' | 'value';
  labels?: string[];
  positive_label?: string;
  threshold?: number;
  meaning?: string;
}

export interface ModelManifest {
  manifest_version: 1;
  name: string;
  title: string;
  version: string;
  task: 'binary-classification' | 'multiclass-classification' | 'regression';
  description?: string;
  model: {
    file: string;
    sha256: string;
    size_bytes?: number;
    opset?: number;
    ir_version?: number;
    producer?: string;
  };
  signature: { inputs: TensorSpec[]; outputs: TensorSpec[] };
  tabular?: TabularSpec;
  image?: Record<string, unknown> & { input: string };
  output: OutputSpec;
  metrics?: Record<string, unknown>;
  dataset?: Record<string, unknown>;
  golden?: { file: string };
  sample?: Record<string, string | number>;
}

function fail(url: string, problem: string): never {
  throw new TandemError(
    'invalid-manifest',
    `The model manifest at ${url} is invalid: ${problem}. Check the file against docs/manifest.md.`,
  );
}

function requireString(value: unknown, field: string, url: string): string {
  if (typeof value !== 'string' || value === '') fail(url, `"${field}" must be a non-empty string`);
  return value;
}

function checkFeature(feature: unknown, index: number, url: string): FeatureSpec {
  if (typeof feature !== 'object' || feature === null) fail(url, `features[${index}] is not an object`);
  const spec = feature as FeatureSpec;
  requireString(spec.name, `features[${index}].name`, url);
  if (!spec.missing || (spec.missing.strategy !== 'error' && spec.missing.strategy !== 'constant')) {
    fail(url, `feature "${spec.name}" needs "missing.strategy" of "error" or "constant"`);
  }
  if (spec.missing.strategy === 'constant' && (spec.missing.fill_value === undefined || spec.missing.fill_value === null)) {
    fail(url, `feature "${spec.name}" has "missing.strategy" "constant" but no "fill_value"`);
  }

  switch (spec.type) {
    case 'number':
      if (spec.scaler && !(spec.scaler.scale > 0)) fail(url, `feature "${spec.name}" has a scaler.scale that is not positive`);
      return spec;
    case 'boolean':
      if (!Array.isArray(spec.true_values) || !Array.isArray(spec.false_values)) {
        fail(url, `boolean feature "${spec.name}" needs "true_values" and "false_values" lists`);
      }
      return spec;
    case 'category':
      if (!Array.isArray(spec.categories) || spec.categories.length === 0) {
        fail(url, `category feature "${spec.name}" needs a non-empty "categories" list`);
      }
      return spec;
    default:
      fail(url, `feature "${(spec as FeatureBase).name}" has type ${JSON.stringify((spec as { type: unknown }).type)}; use "number", "boolean" or "category"`);
  }
}

/**
 * Checks a parsed manifest and returns it typed. `url` names the manifest in error messages.
 * Throws a {@link TandemError} with code `invalid-manifest` that names the first bad field.
 */
export function parseManifest(json: unknown, url: string): ModelManifest {
  if (typeof json !== 'object' || json === null) fail(url, 'it is not a JSON object');
  const manifest = json as ModelManifest;

  if (manifest.manifest_version !== 1) fail(url, `"manifest_version" is ${JSON.stringify(manifest.manifest_version)}; this app reads version 1`);
  requireString(manifest.name, 'name', url);
  requireString(manifest.model?.file, 'model.file', url);
  if (!/^[0-9a-f]{64}$/.test(manifest.model.sha256 ?? '')) fail(url, '"model.sha256" must be 64 lowercase hex digits');
  if (!manifest.output || !['probability', 'probabilities', 'logits', 'value'].includes(manifest.output.kind)) {
    fail(url, '"output.kind" must be "probability", "probabilities", "logits" or "value"');
  }
  requireString(manifest.output.name, 'output.name', url);

  if (manifest.tabular) {
    requireString(manifest.tabular.input, 'tabular.input', url);
    if (!Array.isArray(manifest.tabular.features) || manifest.tabular.features.length === 0) {
      fail(url, '"tabular.features" must be a non-empty list');
    }
    manifest.tabular.features.forEach((feature, index) => checkFeature(feature, index, url));
    manifest.tabular.id_columns ??= [];
    const inputs = manifest.tabular.inputs;
    if (inputs !== undefined) {
      if (!Array.isArray(inputs) || inputs.some((input) => typeof input?.name !== 'string' || !(input.width > 0))) {
        fail(url, '"tabular.inputs" must be a list of { "name", "width" } with positive widths');
      }
      const total = inputs.reduce((sum, input) => sum + input.width, 0);
      const encoded = encodedWidth(manifest.tabular.features);
      if (total !== encoded) fail(url, `"tabular.inputs" widths add up to ${total}, but the features encode to ${encoded} values`);
    }
  }
  if (!manifest.tabular && !manifest.image) fail(url, 'it needs a "tabular" or an "image" section');

  return manifest;
}

/** Returns the length of the encoded feature vector: one slot per number or boolean, one per category. */
export function encodedWidth(features: readonly FeatureSpec[]): number {
  let width = 0;
  for (const feature of features) width += feature.type === 'category' ? feature.categories.length : 1;
  return width;
}
