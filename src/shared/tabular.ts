import type { ColumnMapping } from './columns';
import { InvalidValueError } from './errors';
import type { BooleanFeature, CategoryFeature, FeatureSpec, LabelSpec, NumberFeature } from './manifest';

const decimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A feature list compiled for fast encoding: lookup tables are built once per model, not per row.
 * Encoding is pure and shared by the worker, the unit tests and the Node.js benchmark.
 */
export interface FeatureEncoder {
  readonly features: readonly FeatureSpec[];
  readonly width: number;
  /**
   * Writes one row's encoding into `out` at `offset` and returns the row's numbers outside their
   * manifest range, or null when there are none. Throws {@link InvalidValueError} for a bad value.
   * `decimal` is the file's decimal mark.
   */
  encodeValues(values: readonly string[], mapping: ColumnMapping, out: Float32Array, offset: number, decimal?: DecimalMark): RangeWarning[] | null;
  /**
   * Encodes a record keyed by feature name, as the real-time form sends it, and returns its numbers
   * outside their manifest range, or null. Its {@link InvalidValueError}s name a field, not a column.
   */
  encodeRecord(record: Readonly<Record<string, unknown>>, out: Float32Array, offset: number): RangeWarning[] | null;
}

/**
 * A number outside its feature's `min` to `max` range in the manifest, the range the model was
 * built for. The row is still scored, but the model extrapolates, so its result is less reliable.
 */
export interface RangeWarning {
  feature: string;
  /** The column (in a file) or field (in a record) that has the value. */
  column: string;
  value: number;
  min: number | undefined;
  max: number | undefined;
}

/** Describes a record's range warnings for a person, or returns '' when there are none. */
export function describeRangeWarnings(warnings: readonly RangeWarning[]): string {
  if (warnings.length === 0) return '';
  return `Outside the range the model was built for: ${warnings.map(describeRangeWarning).join('; ')}. The model extrapolates, so trust this result less.`;
}

/** Describes a range warning in a sentence, such as: tenure is -5, below the model's range of 0 to 80. */
export function describeRangeWarning(warning: RangeWarning): string {
  const { feature, value, min, max } = warning;
  const side = min !== undefined && value < min ? 'below' : 'above';
  let limit = `the model's range of ${min} to ${max}`;
  if (max === undefined) limit = `the model's minimum of ${min}`;
  else if (min === undefined) limit = `the model's maximum of ${max}`;
  return `${feature} is ${value}, ${side} ${limit}`;
}

export type DecimalMark = '.' | ',';

/** Writes one feature's slots; a number writer returns a warning when the value is outside its range. */
type SlotWriter = (text: string, column: string, out: Float32Array, offset: number, decimal: DecimalMark) => RangeWarning | undefined;

/**
 * Parses a number written with `decimal` as its decimal mark. Thousands separators (the other
 * mark, in groups of three digits) are accepted: `1,234.5` with `.`, and `1.234,5` with `,`.
 * Returns NaN for anything else, including NaN, Infinity and values that overflow.
 */
export function parseDecimal(text: string, decimal: DecimalMark): number {
  // Most values are plain numbers such as 42 or 18.5: one pattern test and no copies.
  if (decimal === '.' && decimalPattern.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : NaN;
  }
  let normalized = text;
  if (decimal === ',') {
    if (/^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/.test(normalized)) normalized = normalized.replace(/\./g, '');
    normalized = normalized.replace(',', '.');
  } else if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(normalized)) {
    normalized = normalized.replace(/,/g, '');
  }
  const value = decimalPattern.test(normalized) ? Number(normalized) : NaN;
  return Number.isFinite(value) ? value : NaN;
}

/** Maximum distinct cell texts remembered per feature. A real file has few, and the limit bounds the memory a hostile one takes. */
const exactCacheLimit = 256;

/**
 * Remembers what each exact cell text maps to, so a text seen before costs one lookup and no
 * trimming or case folding. Only texts that encoded without an error are remembered.
 */
function exactCache(): { get(text: string): number | undefined; set(text: string, value: number): void } {
  const known = new Map<string, number>();
  return {
    get: (text) => known.get(text),
    set(text, value) {
      if (known.size < exactCacheLimit) known.set(text, value);
    },
  };
}

/** Checks whether `String.prototype.trim` may remove this character: true for ASCII blanks and for any non-ASCII character. */
function mayBeBlank(code: number): boolean {
  return code <= 32 || code >= 0x80;
}

function missingValue(feature: FeatureSpec, column: string, text: string): string {
  if (feature.missing.strategy === 'constant') return String(feature.missing.fill_value);
  throw new InvalidValueError(column, text, `a value for "${feature.name}" is required`);
}

function numberWriter(feature: NumberFeature): SlotWriter {
  const mean = feature.scaler?.mean ?? 0;
  const scale = feature.scaler?.scale ?? 1;
  const min = feature.min ?? -Infinity;
  const max = feature.max ?? Infinity;
  return (raw, column, out, offset, decimal) => {
    let text = raw;
    // Trimming copies the text, so it happens only when an end is a space or another blank.
    if (text.length === 0 || mayBeBlank(text.charCodeAt(0)) || mayBeBlank(text.charCodeAt(text.length - 1))) text = text.trim();
    if (text === '') text = missingValue(feature, column, raw);
    const value = parseDecimal(text, decimal);
    if (Number.isNaN(value)) {
      throw new InvalidValueError(column, raw, `"${feature.name}" must be a number such as 42 or 18.5`);
    }
    out[offset] = (value - mean) / scale;
    // The model reads 32-bit floats, so a huge number (such as 1e308) would reach it as infinity.
    if (!Number.isFinite(out[offset]!)) {
      throw new InvalidValueError(column, raw, `"${feature.name}" is too large for the model's 32-bit input; give a value between ${feature.min ?? '-3.4e38'} and ${feature.max ?? '3.4e38'}`);
    }
    if (value < min || value > max) return { feature: feature.name, column, value, min: feature.min, max: feature.max };
    return undefined;
  };
}

function booleanWriter(feature: BooleanFeature): SlotWriter {
  const truthy = new Set(feature.true_values.map((value) => value.toLowerCase()));
  const falsy = new Set(feature.false_values.map((value) => value.toLowerCase()));
  const allowed = [...feature.true_values, ...feature.false_values].join(', ');
  const seen = exactCache();
  return (raw, column, out, offset) => {
    const known = seen.get(raw);
    if (known !== undefined) {
      out[offset] = known;
      return;
    }
    let text = raw.trim();
    if (text === '') text = missingValue(feature, column, raw);
    const key = text.toLowerCase();
    let value: number;
    if (truthy.has(key)) value = 1;
    else if (falsy.has(key)) value = 0;
    else throw new InvalidValueError(column, raw, `"${feature.name}" must be one of ${allowed}`);
    out[offset] = value;
    seen.set(raw, value);
    return undefined;
  };
}

function categoryWriter(feature: CategoryFeature): SlotWriter {
  const positions = new Map<string, number>();
  feature.categories.forEach((category, i) => positions.set(category.toLowerCase(), i));
  for (const [alias, category] of Object.entries(feature.category_aliases ?? {})) {
    const position = positions.get(category.toLowerCase());
    if (position !== undefined) positions.set(alias.toLowerCase(), position);
  }
  const width = feature.categories.length;
  const allowed = feature.categories.join(', ');
  const seen = exactCache();
  return (raw, column, out, offset) => {
    let position = seen.get(raw);
    if (position === undefined) {
      let text = raw.trim();
      if (text === '') text = missingValue(feature, column, raw);
      position = positions.get(text.toLowerCase());
      if (position === undefined) throw new InvalidValueError(column, raw, `"${feature.name}" must be one of ${allowed}`);
      seen.set(raw, position);
    }
    for (let slot = 0; slot < width; slot++) out[offset + slot] = 0;
    out[offset + position] = 1;
    return undefined;
  };
}

function writerFor(feature: FeatureSpec): SlotWriter {
  switch (feature.type) {
    case 'number':
      return numberWriter(feature);
    case 'boolean':
      return booleanWriter(feature);
    case 'category':
      return categoryWriter(feature);
  }
}

function slotWidth(feature: FeatureSpec): number {
  return feature.type === 'category' ? feature.categories.length : 1;
}

/** Compiles the manifest's features into an encoder. */
export function createFeatureEncoder(features: readonly FeatureSpec[]): FeatureEncoder {
  const writers = features.map(writerFor);
  const offsets: number[] = [];
  let width = 0;
  for (const feature of features) {
    offsets.push(width);
    width += slotWidth(feature);
  }

  return {
    features,
    width,
    encodeValues(values, mapping, out, offset, decimal = '.') {
      let warnings: RangeWarning[] | null = null;
      for (let i = 0; i < writers.length; i++) {
        const column = mapping.featureColumns[i]!;
        const warning = writers[i]!(values[column] ?? '', mapping.header[column] ?? features[i]!.name, out, offset + offsets[i]!, decimal);
        if (warning) (warnings ??= []).push(warning);
      }
      return warnings;
    },
    encodeRecord(record, out, offset) {
      let warnings: RangeWarning[] | null = null;
      for (let i = 0; i < writers.length; i++) {
        const feature = features[i]!;
        const value = record[feature.name];
        const text = value === undefined || value === null ? '' : String(value);
        try {
          const warning = writers[i]!(text, feature.name, out, offset + offsets[i]!, '.');
          if (warning) (warnings ??= []).push(warning);
        } catch (error) {
          if (error instanceof InvalidValueError) throw new InvalidValueError(error.column, error.value, error.reason, 'field');
          throw error;
        }
      }
      return warnings;
    },
  };
}

/** Reads a label cell as 1 (positive), 0 (negative) or null (empty or not recognised). */
export function parseLabel(text: string | undefined, label: LabelSpec): 0 | 1 | null {
  const key = (text ?? '').trim().toLowerCase();
  if (key === '') return null;
  if (key === label.positive.toLowerCase() || label.true_values.some((value) => value.toLowerCase() === key)) return 1;
  if (label.false_values.some((value) => value.toLowerCase() === key)) return 0;
  return null;
}

/** Returns {@link parseLabel} for one label spec, remembering the result for each exact cell text. */
export function labelParser(label: LabelSpec): (text: string | undefined) => 0 | 1 | null {
  const seen = new Map<string, 0 | 1 | null>();
  return (text) => {
    if (text === undefined) return null;
    let value = seen.get(text);
    if (value === undefined) {
      value = parseLabel(text, label);
      if (seen.size < exactCacheLimit) seen.set(text, value);
    }
    return value;
  };
}
