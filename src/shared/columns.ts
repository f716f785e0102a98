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
    // With duplicate header names the first one wins, as in most spreadsheet tools.
    if (!index.has(key)) index.set(key, position);
  });

  const featureColumns = tabular.features.map((feature) => findColumn(index, [feature.name, ...(feature.aliases ?? [])]));
  const missing = tabular.features.filter((_, i) => featureColumns[i] === -1);
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
