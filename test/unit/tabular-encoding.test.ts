import { describe, expect, it } from 'vitest';
import { matchColumns, type ColumnMapping } from '../../src/shared/columns';
import { InvalidValueError } from '../../src/shared/errors';
import type { NumberFeature } from '../../src/shared/manifest';
import { createFeatureEncoder, describeRangeWarning, describeRangeWarnings, labelParser, parseDecimal, parseLabel } from '../../src/shared/tabular';
import { churnCsvPath, loadChurnManifest, readCsvFile } from './support/churn';

const manifest = loadChurnManifest();
const tabular = manifest.tabular!;
const encoder = createFeatureEncoder(tabular.features);

const modeldataHeader = [
  'churn', 'female', 'senior_citizen', 'partner', 'dependents', 'tenure', 'phone_service', 'multiple_lines',
  'internet_service', 'online_security', 'online_backup', 'device_protection', 'tech_support', 'streaming_tv',
  'streaming_movies', 'contract', 'paperless_billing', 'payment_method', 'monthly_charges', 'total_charges',
];
const ibmHeader = [
  'customerID', 'gender', 'SeniorCitizen', 'Partner', 'Dependents', 'tenure', 'PhoneService', 'MultipleLines',
  'InternetService', 'OnlineSecurity', 'OnlineBackup', 'DeviceProtection', 'TechSupport', 'StreamingTV',
  'StreamingMovies', 'Contract', 'PaperlessBilling', 'PaymentMethod', 'MonthlyCharges', 'TotalCharges', 'Churn',
];
const modeldataMapping = matchColumns(modeldataHeader, tabular);
const ibmMapping = matchColumns(ibmHeader, tabular);

/** Data row 12 of churn.csv (line 14), the customer that `manifest.sample` describes. */
const sampleRow = ['No', '0', '0', '1', '0', '58', '1', 'Yes', 'Fiber optic', 'No', 'No', 'Yes', 'No', 'Yes', 'Yes', 'One year', '0', 'Credit card (automatic)', '100.35', '5681.1'];
/** The same customer in the IBM layout (line 14 of churn-ibm.csv). */
const sampleIbmRow = ['C00013', 'Male', '0', 'Yes', 'No', '58', 'Yes', 'Yes', 'Fiber optic', 'No', 'No', 'Yes', 'No', 'Yes', 'Yes', 'One year', 'No', 'Credit card (automatic)', '100.35', '5681.1', 'No'];

/** Returns the position of a feature's first slot in the encoded vector. */
function slotOf(name: string): number {
  let offset = 0;
  for (const feature of tabular.features) {
    if (feature.name === name) return offset;
    offset += feature.type === 'category' ? feature.categories.length : 1;
  }
  throw new Error(`The churn manifest has no feature "${name}".`);
}

function numberFeature(name: string): NumberFeature {
  const feature = tabular.features.find((candidate) => candidate.name === name);
  if (feature?.type !== 'number') throw new Error(`"${name}" is not a number feature.`);
  return feature;
}

/** Returns `row` with the cell under `column` replaced. */
function withCell(header: readonly string[], row: readonly string[], column: string, value: string): string[] {
  const copy = [...row];
  copy[header.indexOf(column)] = value;
  return copy;
}

function encodeRow(row: readonly string[], mapping: ColumnMapping = modeldataMapping): Float32Array {
  const out = new Float32Array(encoder.width);
  encoder.encodeValues(row, mapping, out, 0);
  return out;
}

/** Encodes a row and returns what the encoder threw, failing the test when it does not throw. */
function rejectionOf(row: readonly string[], mapping: ColumnMapping = modeldataMapping): InvalidValueError {
  try {
    encodeRow(row, mapping);
  } catch (error) {
    if (error instanceof InvalidValueError) return error;
    throw error;
  }
  throw new Error('The encoder accepted an invalid row.');
}

describe('createFeatureEncoder', () => {
  it('has churn width 40', () => {
    expect(encoder.width).toBe(40);
  });

  // These checks are exact because the encoder computes in float64 and rounds the result to float32, as Math.fround does.
  it('scales numbers with mean and scale', () => {
    const encoded = encodeRow(sampleRow);

    for (const [name, text] of [['tenure', '58'], ['monthly_charges', '100.35'], ['total_charges', '5681.1']] as const) {
      const { mean, scale } = numberFeature(name).scaler!;
      expect(encoded[slotOf(name)], name).toBe(Math.fround((Number(text) - mean) / scale));
    }
  });

  it('accepts signed and exponent numbers', () => {
    const { mean, scale } = numberFeature('tenure').scaler!;

    for (const text of ['+12', '-3', '.5', '12.', '1.2e1', ' 12 ']) {
      const encoded = encodeRow(withCell(modeldataHeader, sampleRow, 'tenure', text));
      expect(encoded[slotOf('tenure')], text).toBe(Math.fround((Number(text) - mean) / scale));
    }
  });

  it('reads booleans from 1 and 0', () => {
    const yes = encodeRow(withCell(modeldataHeader, sampleRow, 'partner', '1'));
    const no = encodeRow(withCell(modeldataHeader, sampleRow, 'partner', '0'));

    expect(yes[slotOf('partner')]).toBe(1);
    expect(no[slotOf('partner')]).toBe(0);
  });

  it('reads booleans from Yes and No', () => {
    for (const [text, expected] of [['Yes', 1], ['No', 0], ['YES', 1], [' no ', 0], ['true', 1], ['False', 0]] as const) {
      const encoded = encodeRow(withCell(modeldataHeader, sampleRow, 'partner', text));
      expect(encoded[slotOf('partner')], text).toBe(expected);
    }
  });

  it('reads booleans from Female and Male', () => {
    for (const [text, expected] of [['Female', 1], ['Male', 0], ['female', 1], ['MALE', 0]] as const) {
      const encoded = encodeRow(withCell(ibmHeader, sampleIbmRow, 'gender', text), ibmMapping);
      expect(encoded[slotOf('female')], text).toBe(expected);
    }
  });

  it('one-hot encodes categories ignoring case', () => {
    const internet = slotOf('internet_service');

    for (const text of ['Fiber optic', 'fiber optic', 'FIBER OPTIC', '  Fiber Optic ']) {
      const encoded = encodeRow(withCell(modeldataHeader, sampleRow, 'internet_service', text));
      expect(Array.from(encoded.subarray(internet, internet + 3)), text).toEqual([0, 1, 0]);
    }
  });

  it('clears stale one-hot slots', () => {
    const out = new Float32Array(encoder.width);
    const internet = slotOf('internet_service');

    encoder.encodeValues(withCell(modeldataHeader, sampleRow, 'internet_service', 'DSL'), modeldataMapping, out, 0);
    encoder.encodeValues(withCell(modeldataHeader, sampleRow, 'internet_service', 'No'), modeldataMapping, out, 0);

    expect(Array.from(out.subarray(internet, internet + 3))).toEqual([0, 0, 1]);
  });

  it('encodes a repeated text the same way each time', () => {
    // A fresh encoder, so each text is seen first here and then served from what it remembers.
    const fresh = createFeatureEncoder(tabular.features);
    const internet = slotOf('internet_service');
    const partner = slotOf('partner');
    for (const [internetText, partnerText, expected] of [
      ['DSL', '1', [1, 0, 0, 1]],
      [' dsl', '0', [1, 0, 0, 0]],
      ['DSL', '1', [1, 0, 0, 1]],
      ['No', '0', [0, 0, 1, 0]],
      [' dsl', '1', [1, 0, 0, 1]],
      ['No', '0', [0, 0, 1, 0]],
    ] as const) {
      const out = new Float32Array(fresh.width).fill(7);
      const row = withCell(modeldataHeader, withCell(modeldataHeader, sampleRow, 'internet_service', internetText), 'partner', partnerText);
      fresh.encodeValues(row, modeldataMapping, out, 0);
      expect([...Array.from(out.subarray(internet, internet + 3)), out[partner]], `${internetText}, ${partnerText}`).toEqual(expected);
    }
  });

  it('rejects a bad text again after accepting good ones', () => {
    const fresh = createFeatureEncoder(tabular.features);
    const out = new Float32Array(fresh.width);
    fresh.encodeValues(sampleRow, modeldataMapping, out, 0);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => fresh.encodeValues(withCell(modeldataHeader, sampleRow, 'internet_service', 'Cable'), modeldataMapping, out, 0)).toThrow(InvalidValueError);
    }
  });

  it('trims numbers with non-ASCII blanks', () => {
    const tenure = slotOf('tenure');
    const plain = encodeRow(withCell(modeldataHeader, sampleRow, 'tenure', '58'))[tenure];
    for (const text of ['\u00a058', '58\u00a0', '\t58 ', '\u300058']) {
      expect(encodeRow(withCell(modeldataHeader, sampleRow, 'tenure', text))[tenure], JSON.stringify(text)).toBe(plain);
    }
  });

  it('writes at given offset', () => {
    const out = new Float32Array(encoder.width * 2).fill(-7);
    encoder.encodeValues(sampleRow, modeldataMapping, out, encoder.width);

    expect(Array.from(out.subarray(0, encoder.width))).toEqual(new Array(encoder.width).fill(-7));
    expect(Array.from(out.subarray(encoder.width))).toEqual(Array.from(encodeRow(sampleRow)));
  });

  it('encodes both layouts identically', () => {
    expect(Array.from(encodeRow(sampleIbmRow, ibmMapping))).toEqual(Array.from(encodeRow(sampleRow)));
  });

  it('fills empty total_charges with 0', () => {
    const explicitZero = encodeRow(withCell(modeldataHeader, sampleRow, 'total_charges', '0'));
    const empty = encodeRow(withCell(modeldataHeader, sampleRow, 'total_charges', ''));
    const { mean, scale } = numberFeature('total_charges').scaler!;

    expect(Array.from(empty)).toEqual(Array.from(explicitZero));
    expect(empty[slotOf('total_charges')]).toBe(Math.fround((0 - mean) / scale));
  });

  it('fills single-space total_charges with 0', () => {
    const explicitZero = encodeRow(withCell(ibmHeader, sampleIbmRow, 'TotalCharges', '0'), ibmMapping);
    const space = encodeRow(withCell(ibmHeader, sampleIbmRow, 'TotalCharges', ' '), ibmMapping);

    expect(Array.from(space)).toEqual(Array.from(explicitZero));
  });

  it('fills cell missing from short row', () => {
    const explicitZero = encodeRow(withCell(modeldataHeader, sampleRow, 'total_charges', '0'));
    const short = encodeRow(sampleRow.slice(0, -1));

    expect(Array.from(short)).toEqual(Array.from(explicitZero));
  });

  it('rejects bad number naming column', () => {
    const error = rejectionOf(withCell(ibmHeader, sampleIbmRow, 'MonthlyCharges', '12,50'), ibmMapping);

    expect(error.column).toBe('MonthlyCharges');
    expect(error.value).toBe('12,50');
    expect(error.message).toContain('"MonthlyCharges"');
    expect(error.message).toContain('"12,50"');
  });

  it('rejects each malformed number', () => {
    for (const text of ['abc', '1.2.3', '0x10', 'NaN', 'Infinity', '12abc', '1e', '$5']) {
      const error = rejectionOf(withCell(modeldataHeader, sampleRow, 'tenure', text));
      expect(error.value, text).toBe(text);
    }
  });

  it('rejects overflowing number', () => {
    const error = rejectionOf(withCell(modeldataHeader, sampleRow, 'tenure', '1e999'));

    expect(error.column).toBe('tenure');
    expect(error.value).toBe('1e999');
  });

  it('rejects number that overflows float32', () => {
    // 1e308 is a finite double, but far beyond the largest 32-bit float the model reads.
    const error = rejectionOf(withCell(modeldataHeader, sampleRow, 'monthly_charges', '1e308'));

    expect(error.column).toBe('monthly_charges');
    expect(error.value).toBe('1e308');
    expect(error.reason).toContain('too large');
    expect(error.reason).toContain('between 0 and 120');
  });

  it('returns no warnings for in-range row', () => {
    const out = new Float32Array(encoder.width);

    expect(encoder.encodeValues(sampleRow, modeldataMapping, out, 0)).toBeNull();
  });

  it('warns for numbers outside the manifest range', () => {
    const out = new Float32Array(encoder.width);
    let row = withCell(modeldataHeader, sampleRow, 'tenure', '-5');
    row = withCell(modeldataHeader, row, 'total_charges', '12000');

    const warnings = encoder.encodeValues(row, modeldataMapping, out, 0);

    expect(warnings).toEqual([
      { feature: 'tenure', column: 'tenure', value: -5, min: 0, max: 80 },
      { feature: 'total_charges', column: 'total_charges', value: 12000, min: 0, max: 9000 },
    ]);
    // The row is still encoded: the out-of-range value is scaled like any other.
    const tenure = numberFeature('tenure');
    expect(out[slotOf('tenure')]).toBeCloseTo((-5 - tenure.scaler!.mean) / tenure.scaler!.scale, 5);
  });

  it('accepts range bounds without warning', () => {
    const out = new Float32Array(encoder.width);

    expect(encoder.encodeValues(withCell(modeldataHeader, sampleRow, 'tenure', '0'), modeldataMapping, out, 0)).toBeNull();
    expect(encoder.encodeValues(withCell(modeldataHeader, sampleRow, 'tenure', '80'), modeldataMapping, out, 0)).toBeNull();
  });

  it('names the file column in warnings', () => {
    const out = new Float32Array(encoder.width);
    const warnings = encoder.encodeValues(withCell(ibmHeader, sampleIbmRow, 'tenure', '95'), ibmMapping, out, 0);

    expect(warnings?.map((warning) => [warning.feature, warning.column])).toEqual([['tenure', 'tenure']]);
    const charges = encoder.encodeValues(withCell(ibmHeader, sampleIbmRow, 'MonthlyCharges', '130'), ibmMapping, out, 0);
    expect(charges?.map((warning) => [warning.feature, warning.column])).toEqual([['monthly_charges', 'MonthlyCharges']]);
  });

  it('rejects unknown category naming column', () => {
    const error = rejectionOf(withCell(ibmHeader, sampleIbmRow, 'Contract', 'Three year'), ibmMapping);

    expect(error.column).toBe('Contract');
    expect(error.value).toBe('Three year');
    expect(error.reason).toContain('Month-to-month, One year, Two year');
  });

  it('rejects unknown boolean naming column', () => {
    const error = rejectionOf(withCell(ibmHeader, sampleIbmRow, 'Partner', 'maybe'), ibmMapping);

    expect(error.column).toBe('Partner');
    expect(error.value).toBe('maybe');
  });

  it('rejects missing required value', () => {
    const error = rejectionOf(withCell(ibmHeader, sampleIbmRow, 'tenure', ' '), ibmMapping);

    expect(error.column).toBe('tenure');
    expect(error.value).toBe(' ');
    expect(error.reason).toContain('required');
  });

  it('rejects missing required category', () => {
    const error = rejectionOf(withCell(ibmHeader, sampleIbmRow, 'PaymentMethod', ''), ibmMapping);

    expect(error.column).toBe('PaymentMethod');
    expect(error.value).toBe('');
  });
});

describe('encodeRecord', () => {
  it('matches encodeValues for sample', async () => {
    const { rows } = await readCsvFile(churnCsvPath);
    expect(rows[12]).toEqual(sampleRow);

    const fromRecord = new Float32Array(encoder.width);
    encoder.encodeRecord(manifest.sample!, fromRecord, 0);

    expect(Array.from(fromRecord)).toEqual(Array.from(encodeRow(rows[12]!)));
  });

  it('fills absent total_charges with 0', () => {
    const { total_charges: _total, ...record } = manifest.sample!;
    const withoutTotal = new Float32Array(encoder.width);
    const withZero = new Float32Array(encoder.width);

    encoder.encodeRecord(record, withoutTotal, 0);
    encoder.encodeRecord({ ...record, total_charges: 0 }, withZero, 0);

    expect(Array.from(withoutTotal)).toEqual(Array.from(withZero));
  });

  it('rejects null required value', () => {
    const out = new Float32Array(encoder.width);

    expect(() => encoder.encodeRecord({ ...manifest.sample!, tenure: null }, out, 0)).toThrow(InvalidValueError);
  });

  it('returns range warnings for record', () => {
    const out = new Float32Array(encoder.width);

    expect(encoder.encodeRecord(manifest.sample!, out, 0)).toBeNull();
    expect(encoder.encodeRecord({ ...manifest.sample!, tenure: -5 }, out, 0)).toEqual([{ feature: 'tenure', column: 'tenure', value: -5, min: 0, max: 80 }]);
  });

  it('calls the value a field in record errors', () => {
    const out = new Float32Array(encoder.width);

    expect(() => encoder.encodeRecord({ ...manifest.sample!, tenure: 'abc' }, out, 0)).toThrow(/^Field "tenure" has "abc"/);
  });

  it('names feature in record errors', () => {
    const out = new Float32Array(encoder.width);

    try {
      encoder.encodeRecord({ ...manifest.sample!, contract: 'Weekly' }, out, 0);
      expect.unreachable('encodeRecord accepted an unknown contract');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).column).toBe('contract');
      expect((error as InvalidValueError).value).toBe('Weekly');
    }
  });
});

describe('describeRangeWarning', () => {
  it('says below or above the range', () => {
    expect(describeRangeWarning({ feature: 'tenure', column: 'tenure', value: -5, min: 0, max: 80 })).toBe("tenure is -5, below the model's range of 0 to 80");
    expect(describeRangeWarning({ feature: 'tenure', column: 'tenure', value: 95, min: 0, max: 80 })).toBe("tenure is 95, above the model's range of 0 to 80");
  });

  it('names a one-sided limit', () => {
    expect(describeRangeWarning({ feature: 'age', column: 'age', value: -1, min: 0, max: undefined })).toBe("age is -1, below the model's minimum of 0");
    expect(describeRangeWarning({ feature: 'age', column: 'age', value: 200, min: undefined, max: 120 })).toBe("age is 200, above the model's maximum of 120");
  });

  it('joins record warnings into one note', () => {
    expect(describeRangeWarnings([])).toBe('');
    const note = describeRangeWarnings([
      { feature: 'tenure', column: 'tenure', value: -5, min: 0, max: 80 },
      { feature: 'total_charges', column: 'total_charges', value: 12000, min: 0, max: 9000 },
    ]);
    expect(note).toContain("tenure is -5, below the model's range of 0 to 80; total_charges is 12000, above the model's range of 0 to 9000");
  });
});

describe('parseLabel', () => {
  const label = tabular.label!;

  it('reads positive labels as 1', () => {
    for (const text of ['Yes', 'yes', ' YES ', '1', 'true']) {
      expect(parseLabel(text, label), text).toBe(1);
    }
  });

  it('reads negative labels as 0', () => {
    for (const text of ['No', 'no', '0', 'False']) {
      expect(parseLabel(text, label), text).toBe(0);
    }
  });

  it('returns null for empty or unknown', () => {
    for (const text of [undefined, '', '  ', 'maybe']) {
      expect(parseLabel(text, label), String(text)).toBeNull();
    }
  });
});

describe('labelParser', () => {
  it('agrees with parseLabel on first and repeated texts', () => {
    const read = labelParser(tabular.label!);
    const texts = [undefined, 'Yes', 'yes', ' YES ', '1', 'true', 'No', 'no', '0', 'False', '', '  ', 'maybe'];
    for (const text of [...texts, ...texts]) expect(read(text), String(text)).toBe(parseLabel(text, tabular.label!));
  });
});

describe('parseDecimal', () => {
  const cases: [string, '.' | ',', number][] = [
    ['29.85', '.', 29.85],
    ['29,85', ',', 29.85],
    ['1,234.5', '.', 1234.5],
    ['1.234,5', ',', 1234.5],
    ['1,234,567', '.', 1234567],
    ['-12', '.', -12],
    ['1e3', '.', 1000],
  ];
  for (const [text, decimal, expected] of cases) {
    it(`reads ${text} with ${decimal}`, () => {
      expect(parseDecimal(text, decimal)).toBe(expected);
    });
  }

  const invalid: [string, '.' | ','][] = [
    ['NaN', '.'],
    ['Infinity', '.'],
    ['-Infinity', '.'],
    ['1e999', '.'],
    ['29,85', '.'],
    ['12,34,5', '.'],
    ['abc', ','],
  ];
  for (const [text, decimal] of invalid) {
    it(`rejects ${text} with ${decimal}`, () => {
      expect(parseDecimal(text, decimal)).toBeNaN();
    });
  }
});
