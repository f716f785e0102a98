import { TandemError } from './errors';
import type { TabularSpec } from './manifest';

/** Normalises a column name for matching: lower case, with spaces, underscores and hyphens removed. */
export function normalizeName(name: string): string {
  return name.replace(/^\uFEFF/, '').toLowerCase().replace(/[\s_-]+/g, '');
}

/** Lists header names for a message: the first 30, then a count, since a header can have a million. */
function listColumns(header: readonly string[]): string {
  if (header.length === 0) return '(none)';
  const shown = header.slice(0, 30).join(', ');
  return header.length > 30 ? `${shown} and ${header.length - 30} more` : shown;
}

/** The mapping of a file's columns onto a model's inputs. Column positions are 0-based. */
export interface ColumnMapping {
  header: string[];
  /** For each feature in manifest order, the column that feeds it. */
  featureColumns: number[];
  /** The row-key column (such as `customerID`), or -1 when the file has none. */
  idColumn: number;
  /** The label column (such as `churn`), or -1 when the file has none. */
  labelColumn: number;
  /** Set when the columns feed the features by position because no header matched a name. */
  positionWarning?: string;
}

function findColumn(index: Map<string, number>, names: readonly string[]): number {
  for (const name of names) {
    const column = index.get(normalizeName(name));
    if (column !== undefined) return column;
  }
  return -1;
}

/**
 * Matches a header to the manifest's features by name, ignoring case, spaces, underscores and
 * hyphens, and trying each feature's aliases. Extra columns are allowed and passed through.
 * Throws `missing-columns` naming every feature no column matched.
 */
export function matchColumns(header: readonly string[], tabular: TabularSpec): ColumnMapping {
  const index = new Map<string, number>();
  header.forEach((name, position) => {
    const key = normalizeName(name);
    if (!index.has(key)) index.set(key, position);
  });
  rejectDuplicateInputs(header, tabular);

  const featureColumns = tabular.features.map((feature) => findColumn(index, [feature.name, ...(feature.aliases ?? [])]));
  const missing = tabular.features.filter((_, i) => featureColumns[i] === -1);
  if (missing.length === tabular.features.length) rejectNumericHeader(header, tabular);
  if (tabular.match_by_position && missing.length === tabular.features.length) return matchByPosition(header, tabular);
  if (missing.length > 0) {
    const names = missing.map((feature) => feature.name).join(', ');
    throw new TandemError(
      'missing-columns',
      `The file has no column for ${missing.length === 1 ? 'feature' : 'features'} ${names}. ` +
        `Its columns are: ${listColumns(header)}. Rename the columns to match the model's inputs.`,
    );
  }

  const label = tabular.label;
  return {
    header: [...header],
    featureColumns,
    idColumn: findColumn(index, tabular.id_columns),
    labelColumn: label ? findColumn(index, [label.name, ...(label.aliases ?? [])]) : -1,
  };
}

/** Matches a number as a CSV cell writes it: `1`, `-2.5`, `1e-3`, `.5`. */
const numberCell = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Rejects a first row of numbers only, because it is data, not a header, and reading it as column
 * names would lose that row silently. The first row of a file is always read as the header.
 */
function rejectNumericHeader(header: readonly string[], tabular: TabularSpec): void {
  if (header.length === 0 || !header.every((cell) => numberCell.test(cell))) return;
  const names = tabular.features.slice(0, 5).map((feature) => feature.name).join(', ');
  throw new TandemError(
    'missing-columns',
    `The first row of the file (${listColumns(header)}) holds only numbers, so it is a row of data, not a header; Tandem reads the first row as the column names. ` +
      `Add a header row above it with the feature names (${names}${tabular.features.length > 5 ? ', …' : ''}), then score the file again.`,
  );
}

/**
 * Throws `duplicate-columns` when two columns whose names match after normalisation could feed the
 * same feature, label or ID, because picking either one silently would score the wrong values.
 * Duplicates among the pass-through columns are allowed.
 */
function rejectDuplicateInputs(header: readonly string[], tabular: TabularSpec): void {
  const used = new Set<string>();
  for (const feature of tabular.features) [feature.name, ...(feature.aliases ?? [])].forEach((name) => used.add(normalizeName(name)));
  if (tabular.label) [tabular.label.name, ...(tabular.label.aliases ?? [])].forEach((name) => used.add(normalizeName(name)));
  tabular.id_columns.forEach((name) => used.add(normalizeName(name)));

  const positions = new Map<string, number[]>();
  header.forEach((name, position) => {
    const key = normalizeName(name);
    if (used.has(key)) positions.set(key, [...(positions.get(key) ?? []), position]);
  });
  for (const columns of positions.values()) {
    if (columns.length < 2) continue;
    const names = columns.map((position) => `"${header[position]}" (column ${position + 1})`).join(', ');
    throw new TandemError(
      'duplicate-columns',
      `The file has ${columns.length} columns named ${header[columns[0]!]}: ${names}. ` +
        `Column names are compared ignoring case, spaces, underscores and hyphens, so the model cannot tell which one to read. ` +
        `Rename or remove one of them and choose the file again.`,
    );
  }
}

/**
 * Feeds the features from the columns in order, for a model whose features have no names the
 * file uses. Extra ID columns (`tabular.id_columns`) are skipped. Throws `missing-columns` with
 * the expected count when the file has another number of columns.
 */
function matchByPosition(header: readonly string[], tabular: TabularSpec): ColumnMapping {
  const ids = new Set(tabular.id_columns.map(normalizeName));
  const idColumn = header.findIndex((name) => ids.has(normalizeName(name)));
  const columns = header.map((_, position) => position).filter((position) => position !== idColumn);
  const expected = tabular.features.length;
  if (columns.length !== expected) {
    const inputs = tabular.inputs ?? [{ name: tabular.input, width: expected }];
    const shapes = inputs.map((input) => `"${input.name}" [N, ${input.width}]`).join(' and ');
    throw new TandemError(
      'missing-columns',
      `The model expects ${expected} columns (its input ${shapes}), but the file has ${columns.length}${idColumn >= 0 ? ` besides the ID column ${header[idColumn]}` : ''}: ${listColumns(header)}. ` +
        `No column is named like a feature (${tabular.features.slice(0, 5).map((feature) => feature.name).join(', ')}${expected > 5 ? ', …' : ''}), so the columns are matched by position. Give the file ${expected} value columns, or rename its columns to the feature names.`,
    );
  }
  const featureColumns = columns;
  const pairs = tabular.features.slice(0, 3).map((feature, i) => `${header[featureColumns[i]!]} → ${feature.name}`).join(', ');
  return {
    header: [...header],
    featureColumns,
    idColumn,
    labelColumn: -1,
    positionWarning: `No column is named like a feature, so the ${expected} columns feed the features by position (${pairs}${expected > 3 ? ', …' : ''}). Check that the columns are in the order the model was trained on.`,
  };
}
