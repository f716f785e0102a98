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
   * Writes one row's encoding into `out` at `offset`; throws {@link InvalidValueError} for a bad
   * value. `decimal` is the file's decimal mark.
   */
  encodeValues(values: readonly string[], mapping: ColumnMapping, out: Float32Array, offset: number, decimal?: DecimalMark): void;
  /** Encodes a record keyed by feature name, as the real-time form sends it. */
  encodeRecord(record: Readonly<Record<string, unknown>>, out: Float32Array, offset: number): void;
}

export type DecimalMark = '.' | ',';

type SlotWriter = (text: string, column: string, out: Float32Array, offset: number, decimal: DecimalMark) => void;

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
      for (let i = 0; i < writers.length; i++) {
        const column = mapping.featureColumns[i]!;
        writers[i]!(values[column] ?? '', mapping.header[column] ?? features[i]!.name, out, offset + offsets[i]!, decimal);
      }
    },
    encodeRecord(record, out, offset) {
      for (let i = 0; i < writers.length; i++) {
        const feature = features[i]!;
        const value = record[feature.name];
        const text = value === undefined || value === null ? '' : String(value);
        writers[i]!(text, feature.name, out, offset + offsets[i]!, '.');
      }
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
