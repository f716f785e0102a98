import { describe, expect, it } from 'vitest';
import { TandemError } from '../../src/shared/errors';
import { encodedWidth, parseManifest } from '../../src/shared/manifest';
import { readChurnManifestJson } from './support/churn';

const manifestUrl = 'models/test/manifest.json';

type Json = Record<string, any>;

/** Returns a fresh copy of the shipped churn manifest as plain JSON, safe to modify. */
function churnJson(): Json {
  return readChurnManifestJson() as Json;
}

function featureNamed(json: Json, name: string): Json {
  const feature = (json.tabular.features as Json[]).find((candidate) => candidate.name === name);
  if (!feature) throw new Error(`The churn manifest has no feature "${name}".`);
  return feature;
}

/** Calls parseManifest and returns what it threw, failing the test when it returns. */
function rejectionOf(json: unknown): TandemError {
  try {
    parseManifest(json, manifestUrl);
  } catch (error) {
    if (error instanceof TandemError) return error;
    throw error;
  }
  throw new Error('parseManifest accepted an invalid manifest.');
}

describe('parseManifest', () => {
  it('accepts shipped churn manifest', () => {
    const manifest = parseManifest(churnJson(), manifestUrl);

    expect(manifest.name).toBe('churn');
    expect(manifest.tabular?.features).toHaveLength(19);
    expect(manifest.tabular?.id_columns).toEqual(['customer_id', 'customerID', 'id']);
    expect(manifest.tabular?.label?.name).toBe('churn');
    expect(manifest.output.kind).toBe('probability');
  });

  it('gives width matching signature', () => {
    const manifest = parseManifest(churnJson(), manifestUrl);
    const inputShape = manifest.signature.inputs[0]!['tensor-spec'].shape;

    expect(encodedWidth(manifest.tabular!.features)).toBe(40);
    expect(inputShape).toEqual([-1, 40]);
  });

  it('defaults missing id_columns to empty', () => {
    const json = churnJson();
    delete json.tabular.id_columns;

    expect(parseManifest(json, manifestUrl).tabular?.id_columns).toEqual([]);
  });

  it('accepts image-only manifest', () => {
    const json = churnJson();
    delete json.tabular;
    json.image = { input: 'pixels' };

    expect(parseManifest(json, manifestUrl).image?.input).toBe('pixels');
  });

  it('rejects non-object JSON', () => {
    const error = rejectionOf('not a manifest');

    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toContain('not a JSON object');
  });

  it('rejects unsupported manifest_version', () => {
    const json = churnJson();
    json.manifest_version = 2;
    const error = rejectionOf(json);

    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toContain('"manifest_version" is 2');
  });

  it('rejects bad sha256', () => {
    const badDigests = ['', 'abc123', 'A'.repeat(64), 'g'.repeat(64), '0'.repeat(63)];

    for (const digest of badDigests) {
      const json = churnJson();
      json.model.sha256 = digest;
      const error = rejectionOf(json);

      expect(error.code, `digest ${JSON.stringify(digest)}`).toBe('invalid-manifest');
      expect(error.message, `digest ${JSON.stringify(digest)}`).toContain('"model.sha256"');
    }
  });

  it('rejects missing sha256', () => {
    const json = churnJson();
    delete json.model.sha256;

    expect(rejectionOf(json).message).toContain('"model.sha256"');
  });

  it('rejects missing model file', () => {
    const json = churnJson();
    delete json.model.file;

    expect(rejectionOf(json).message).toContain('"model.file"');
  });

  it('rejects unknown output kind', () => {
    const json = churnJson();
    json.output.kind = 'score';

    expect(rejectionOf(json).message).toContain('"output.kind"');
  });

  it('rejects unknown feature type', () => {
    const json = churnJson();
    featureNamed(json, 'tenure').type = 'integer';
    const error = rejectionOf(json);

    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toContain('feature "tenure"');
    expect(error.message).toContain('type "integer"');
  });

  it('rejects category without categories', () => {
    const json = churnJson();
    delete featureNamed(json, 'contract').categories;
    const error = rejectionOf(json);

    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toContain('feature "contract"');
    expect(error.message).toContain('"categories"');
  });

  it('rejects empty categories list', () => {
    const json = churnJson();
    featureNamed(json, 'contract').categories = [];

    expect(rejectionOf(json).message).toContain('"categories"');
  });

  it('rejects boolean without value lists', () => {
    const json = churnJson();
    delete featureNamed(json, 'partner').false_values;
    const error = rejectionOf(json);

    expect(error.message).toContain('feature "partner"');
    expect(error.message).toContain('"false_values"');
  });

  it('rejects missing missing.strategy', () => {
    const json = churnJson();
    featureNamed(json, 'tenure').missing = {};
    const error = rejectionOf(json);

    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toContain('feature "tenure"');
    expect(error.message).toContain('"missing.strategy"');
  });

  it('rejects absent missing rule', () => {
    const json = churnJson();
    delete featureNamed(json, 'tenure').missing;

    expect(rejectionOf(json).message).toContain('"missing.strategy"');
  });

  it('rejects constant rule without fill_value', () => {
    const json = churnJson();
    featureNamed(json, 'total_charges').missing = { strategy: 'constant' };
    const error = rejectionOf(json);

    expect(error.message).toContain('feature "total_charges"');
    expect(error.message).toContain('"fill_value"');
  });

  it('rejects non-positive scaler scale', () => {
    const json = churnJson();
    featureNamed(json, 'tenure').scaler.scale = 0;
    const error = rejectionOf(json);

    expect(error.message).toContain('feature "tenure"');
    expect(error.message).toContain('scaler.scale');
  });

  it('rejects feature without name', () => {
    const json = churnJson();
    delete featureNamed(json, 'tenure').name;

    expect(rejectionOf(json).message).toContain('"features[4].name"');
  });

  it('rejects empty features list', () => {
    const json = churnJson();
    json.tabular.features = [];

    expect(rejectionOf(json).message).toContain('"tabular.features"');
  });

  it('rejects neither tabular nor image', () => {
    const json = churnJson();
    delete json.tabular;
    const error = rejectionOf(json);

    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toContain('"tabular"');
    expect(error.message).toContain('"image"');
  });

  it('names manifest URL in message', () => {
    const json = churnJson();
    json.model.sha256 = 'abc';

    expect(rejectionOf(json).message).toContain(manifestUrl);
  });
});

describe('encodedWidth', () => {
  it('counts one slot per category', () => {
    const width = encodedWidth([
      { name: 'age', type: 'number', missing: { strategy: 'error' } },
      { name: 'member', type: 'boolean', true_values: ['yes'], false_values: ['no'], missing: { strategy: 'error' } },
      { name: 'plan', type: 'category', categories: ['basic', 'plus', 'pro'], missing: { strategy: 'error' } },
    ]);

    expect(width).toBe(5);
  });
});
