import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchColumns, normalizeName } from '../../src/shared/columns';
import { TandemError } from '../../src/shared/errors';
import { churnCsvPath, churnIbmCsvPath, loadChurnTabular } from './support/churn';

const tabular = loadChurnTabular();
const featureNames = tabular.features.map((feature) => feature.name);

/** Returns the first line of a CSV file split on commas, which works because the shipped headers have no quotes. */
function headerOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.slice(0, text.indexOf('\n')).replace(/\r$/, '').split(',');
}

const modeldataHeader = headerOf(churnCsvPath);
const ibmHeader = headerOf(churnIbmCsvPath);

/** Calls matchColumns and returns what it threw, failing the test when it returns. */
function rejectionOf(header: string[]): TandemError {
  try {
    matchColumns(header, tabular);
  } catch (error) {
    if (error instanceof TandemError) return error;
    throw error;
  }
  throw new Error('matchColumns accepted a header it should reject.');
}

describe('normalizeName', () => {
  it('lowercases and drops separators', () => {
    expect(normalizeName('Total_Charges')).toBe('totalcharges');
    expect(normalizeName('total charges')).toBe('totalcharges');
    expect(normalizeName('total-charges')).toBe('totalcharges');
    expect(normalizeName('TotalCharges')).toBe('totalcharges');
  });

  it('strips leading byte-order mark', () => {
    expect(normalizeName('\uFEFFcustomerID')).toBe('customerid');
  });
});

describe('matchColumns', () => {
  it('matches all modeldata features', () => {
    const mapping = matchColumns(modeldataHeader, tabular);

    expect(mapping.featureColumns).toHaveLength(19);
    for (const [i, name] of featureNames.entries()) {
      expect(modeldataHeader[mapping.featureColumns[i]!], name).toBe(name);
    }
  });

  it('matches all IBM features', () => {
    const expectedColumns: Record<string, string> = {
      female: 'gender',
      senior_citizen: 'SeniorCitizen',
      partner: 'Partner',
      dependents: 'Dependents',
      tenure: 'tenure',
      phone_service: 'PhoneService',
      multiple_lines: 'MultipleLines',
      internet_service: 'InternetService',
      online_security: 'OnlineSecurity',
      online_backup: 'OnlineBackup',
      device_protection: 'DeviceProtection',
      tech_support: 'TechSupport',
      streaming_tv: 'StreamingTV',
      streaming_movies: 'StreamingMovies',
      contract: 'Contract',
      paperless_billing: 'PaperlessBilling',
      payment_method: 'PaymentMethod',
      monthly_charges: 'MonthlyCharges',
      total_charges: 'TotalCharges',
    };
    const mapping = matchColumns(ibmHeader, tabular);

    expect(mapping.featureColumns).toHaveLength(19);
    for (const [i, name] of featureNames.entries()) {
      expect(ibmHeader[mapping.featureColumns[i]!], name).toBe(expectedColumns[name]);
    }
  });

  it('finds customerID in IBM file', () => {
    const mapping = matchColumns(ibmHeader, tabular);

    expect(mapping.idColumn).toBe(0);
    expect(ibmHeader[mapping.idColumn]).toBe('customerID');
  });

  it('finds no ID in modeldata', () => {
    expect(matchColumns(modeldataHeader, tabular).idColumn).toBe(-1);
  });

  it('finds label in both layouts', () => {
    const modeldata = matchColumns(modeldataHeader, tabular);
    const ibm = matchColumns(ibmHeader, tabular);

    expect(modeldataHeader[modeldata.labelColumn]).toBe('churn');
    expect(ibmHeader[ibm.labelColumn]).toBe('Churn');
  });

  it('finds no label when absent', () => {
    const header = modeldataHeader.filter((name) => name !== 'churn');

    expect(matchColumns(header, tabular).labelColumn).toBe(-1);
  });

  it('copies header into mapping', () => {
    const mapping = matchColumns(ibmHeader, tabular);

    expect(mapping.header).toEqual(ibmHeader);
    expect(mapping.header).not.toBe(ibmHeader);
  });

  it('names both missing features', () => {
    const header = modeldataHeader.filter((name) => name !== 'tenure' && name !== 'contract');
    const error = rejectionOf(header);

    expect(error.code).toBe('missing-columns');
    expect(error.message).toContain('features tenure, contract');
  });

  it('names single missing feature', () => {
    const header = ibmHeader.filter((name) => name !== 'TotalCharges');
    const error = rejectionOf(header);

    expect(error.code).toBe('missing-columns');
    expect(error.message).toContain('feature total_charges');
  });

  it('lists file columns on failure', () => {
    const error = rejectionOf(['a', 'b']);

    expect(error.message).toContain('Its columns are: a, b');
  });

  it('allows extra columns', () => {
    const header = ['row_number', ...modeldataHeader, 'notes'];
    const mapping = matchColumns(header, tabular);

    for (const [i, name] of featureNames.entries()) {
      expect(header[mapping.featureColumns[i]!], name).toBe(name);
    }
    expect(mapping.featureColumns).not.toContain(0);
    expect(mapping.featureColumns).not.toContain(header.length - 1);
  });

  it('rejects duplicate feature column', () => {
    const header = ['Tenure', ...modeldataHeader];
    const error = rejectionOf(header);
    const second = header.indexOf('tenure') + 1;

    expect(error.code).toBe('duplicate-columns');
    expect(error.message).toContain(`"Tenure" (column 1), "tenure" (column ${second})`);
    expect(error.message).toContain('Rename or remove one');
  });

  it('rejects duplicate label column', () => {
    const error = rejectionOf([...modeldataHeader, 'Churn']);

    expect(error.code).toBe('duplicate-columns');
    expect(error.message).toContain('"Churn"');
  });

  it('allows duplicate pass-through columns', () => {
    const header = [...modeldataHeader, 'notes', 'Notes'];
    const mapping = matchColumns(header, tabular);

    expect(mapping.featureColumns).toHaveLength(19);
  });

  it('matches header with byte-order mark', () => {
    const header = [`\uFEFF${ibmHeader[0]}`, ...ibmHeader.slice(1)];

    expect(matchColumns(header, tabular).idColumn).toBe(0);
  });

  it('matches spaced and hyphenated names', () => {
    const header = modeldataHeader.map((name) => name.replace(/_/g, name.length % 2 === 0 ? ' ' : '-').toUpperCase());
    const mapping = matchColumns(header, tabular);

    for (const [i, name] of featureNames.entries()) {
      expect(normalizeName(header[mapping.featureColumns[i]!]!), name).toBe(normalizeName(name));
    }
  });
});

describe('a header row of numbers', () => {
  it('is rejected as data, with the feature names to add', () => {
    const positional = { ...tabular, match_by_position: true };
    const header = featureNames.map((_, i) => (i % 2 === 0 ? '1' : '-0.5'));
    let error: unknown;
    try {
      matchColumns(header, positional);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TandemError);
    expect((error as TandemError).message).toBe(
      `The first row of the file (${header.join(', ')}) holds only numbers, so it is a row of data, not a header; Tandem reads the first row as the column names. ` +
        `Add a header row above it with the feature names (${featureNames.slice(0, 5).join(', ')}, …), then score the file again.`,
    );
    expect(rejectionOf(header).message).toContain('holds only numbers');
  });

  it('does not reject a header with one name among numbers', () => {
    const positional = { ...tabular, match_by_position: true };
    const header = featureNames.map((_, i) => (i === 0 ? 'x0' : '1'));
    expect(matchColumns(header, positional).positionWarning).toContain('feed the features by position');
  });
});
