import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkRunnable, deriveManifest } from '../../src/shared/derive-manifest';
import { TandemError } from '../../src/shared/errors';
import { readOnnxModel, removeZipMaps } from '../../src/shared/onnx-proto';
import { PNG } from 'pngjs';
import { preprocessImage, type ImageSpec } from '../../src/worker/preprocess/image';

const fixtures = 'test/fixtures/generated/byo';
const stamp = join(fixtures, 'references.json');
// The models are rebuilt when they are missing or older than the script that writes them.
if (!existsSync(stamp) || statSync(stamp).mtimeMs < statSync('training/test-models/build.py').mtimeMs) {
  execFileSync('/usr/bin/python3', ['training/test-models/build.py'], { stdio: 'inherit' });
}
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));
const references = JSON.parse(readFileSync(join(fixtures, 'references.json'), 'utf8'));

function thrown(action: () => unknown): TandemError {
  try {
    action();
  } catch (error) {
    if (error instanceof TandemError) return error;
    throw error;
  }
  throw new Error('expected a TandemError');
}

describe('ONNX protobuf reader', () => {
  it('reads the header fields and the graph', () => {
    const summary = readOnnxModel(bytesOf('regressor.onnx'), 'regressor.onnx');
    expect(summary.irVersion).toBe(8);
    expect(summary.opsets).toEqual({ 'ai.onnx': 17 });
    expect(summary.producerName).toBe('tandem-test-models');
    expect(summary.producerVersion).toBe('1.0');
    expect(summary.docString).toBe('House price regression for tests.');
    expect(summary.metadata).toEqual({ feature_names: 'sqft,rooms,age,distance_km', target: 'price' });
    expect(summary.inputs).toEqual([{ name: 'features', kind: 'tensor', elementType: 'float', shape: [{ value: null, param: 'batch' }, { value: 4, param: null }], docString: '' }]);
    expect(summary.nodes.map((node) => node.opType)).toEqual(['MatMul', 'Add']);
  });

  it('rejects a file that is not ONNX', () => {
    const error = thrown(() => readOnnxModel(bytesOf('not-onnx.onnx'), 'not-onnx.onnx'));
    expect(error.code).toBe('invalid-model');
    expect(error.message).toMatch(/^The file "not-onnx.onnx" is not an ONNX model/);
  });

  it('calls random bytes not ONNX rather than truncated', () => {
    // Bytes that read as a field far longer than the file, as random data often does.
    const bytes = new Uint8Array(4096);
    bytes.set([0x6a, 0xd4, 0xdc, 0xad, 0x7d, 0xc8, 0xdb, 0xac]);
    let state = 12345;
    for (let i = 8; i < bytes.length; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      bytes[i] = state >>> 16;
    }
    const error = thrown(() => readOnnxModel(bytes, 'random.onnx'));
    expect(error.code).toBe('invalid-model');
    expect(error.message).toBe(
      'The file "random.onnx" is not an ONNX model (it begins with field 13, which an ONNX ModelProto does not have). ' +
        'Choose a .onnx file exported by PyTorch, TensorFlow, scikit-learn (skl2onnx) or another ONNX exporter.',
    );
    // A known first field with the wrong wire type is not ONNX either.
    const wrongType = thrown(() => readOnnxModel(new Uint8Array([0x0a, 0x7f, 0x01]), 'wrong.onnx'));
    expect(wrongType.code).toBe('invalid-model');
    expect(wrongType.message).toContain('its first field, 1, has wire type 2 where ONNX has 0');
  });

  it('rejects a truncated file', () => {
    const error = thrown(() => readOnnxModel(bytesOf('truncated.onnx'), 'truncated.onnx'));
    expect(error.code).toBe('truncated-model');
  });

  it('rejects opset 99 and a custom operator', () => {
    expect(thrown(() => checkRunnable(readOnnxModel(bytesOf('opset-99.onnx'), 'a'), 'opset-99.onnx')).message).toContain('uses ONNX opset 99');
    expect(thrown(() => checkRunnable(readOnnxModel(bytesOf('unknown-operator.onnx'), 'b'), 'unknown-operator.onnx')).message).toContain('FancyScaler (domain com.example)');
  });

  it('replaces a ZipMap with its tensor', async () => {
    const original = bytesOf('zipmap.onnx');
    const { bytes, replaced } = removeZipMaps(original);
    expect(replaced).toEqual([{ output: 'output_probability', tensor: 'probabilities' }]);
    const summary = readOnnxModel(bytes, 'zipmap.onnx');
    expect(summary.nodes.map((node) => node.opType)).toEqual(['Gemm', 'Softmax', 'ArgMax']);
    expect(summary.outputs.map((output) => output.name)).toEqual(['output_label', 'probabilities']);

    const session = await ort.InferenceSession.create(bytes);
    const rows: number[][] = references.zipmap.probabilities;
    const csv = readFileSync(join(fixtures, 'zipmap.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
    const result = await session.run({ float_input: new ort.Tensor('float32', Float32Array.from(csv.flat()), [csv.length, 4]) });
    const probabilities = result.probabilities!.data as Float32Array;
    rows.forEach((row, i) => row.forEach((value, k) => expect(probabilities[i * 3 + k]).toBeCloseTo(value, 5)));

    const labels = readOnnxModel(original, 'zipmap.onnx').nodes.find((node) => node.opType === 'ZipMap')!.stringLists.classlabels_strings;
    const { manifest } = deriveManifest(readOnnxModel(original, 'zipmap.onnx'), { name: 'zipmap.onnx', sha256: '0'.repeat(64), sizeBytes: original.length }, [{ ...replaced[0]!, labels: labels! }]);
    expect(manifest.output).toMatchObject({ name: 'probabilities', kind: 'probabilities', labels: ['cat', 'dog', 'bird'] });
  });
});

describe('derived manifest of a colour image model', () => {
  const derive = (name: string) => {
    const bytes = bytesOf(name);
    return deriveManifest(readOnnxModel(bytes, name), { name, sha256: '0'.repeat(64), sizeBytes: bytes.length }, []);
  };

  it('normalises with the mean and std of metadata_props', () => {
    const { manifest, notes } = derive('image-rgb-nchw.onnx');
    expect(manifest.image).toMatchObject({
      layout: 'NCHW',
      num_channels: 3,
      do_convert_rgb: true,
      size: { height: 8, width: 8 },
      do_rescale: true,
      do_normalize: true,
      image_mean: [0.485, 0.456, 0.406],
      image_std: [0.229, 0.224, 0.225],
    });
    expect(manifest.image!.do_convert_grayscale).toBeUndefined();
    expect(notes.join(' ')).toContain('normalized with image_mean [0.485, 0.456, 0.406] and image_std [0.229, 0.224, 0.225]');
  });

  it('rescales to 0-1 with no normalisation by default', () => {
    const { manifest, notes } = derive('image-rgb-nhwc.onnx');
    expect(manifest.image).toMatchObject({ layout: 'NHWC', num_channels: 3, do_normalize: false, image_mean: [0, 0, 0], image_std: [1, 1, 1] });
    expect(notes.join(' ')).toContain('scaled to 0-1 with no normalization');
  });

  for (const layout of ['nchw', 'nhwc']) {
    it(`matches the numpy references on onnxruntime-node (${layout})`, async () => {
      const { manifest } = derive(`image-rgb-${layout}.onnx`);
      const spec = manifest.image as unknown as ImageSpec;
      const session = await ort.InferenceSession.create(bytesOf(`image-rgb-${layout}.onnx`));
      const reference = references[`image_rgb_${layout}`];
      for (const [name, expected] of Object.entries<{ logits: number[] }>(reference.images)) {
        const png = PNG.sync.read(Buffer.from(bytesOf(name)));
        const { tensor } = preprocessImage(png.data, png.width, png.height, spec);
        const shape = layout === 'nchw' ? [1, 3, png.height, png.width] : [1, png.height, png.width, 3];
        const result = await session.run({ pixels: new ort.Tensor('float32', tensor, shape) });
        const logits = result.logits!.data as Float32Array;
        expected.logits.forEach((value, k) => expect(Math.abs(logits[k]! - value), `${name} logit ${k}`).toBeLessThanOrEqual(1e-4));
      }
    });
  }

  it('ignores an image_std with a zero', () => {
    const summary = readOnnxModel(bytesOf('image-rgb-nhwc.onnx'), 'model.onnx');
    summary.metadata = { ...summary.metadata, image_mean: '0.5', image_std: '[1, 0, 1]' };
    const { manifest, notes } = deriveManifest(summary, { name: 'model.onnx', sha256: '0'.repeat(64), sizeBytes: 1 }, []);
    expect(manifest.image!.do_normalize).toBe(false);
    expect(notes).toContain('The metadata_props image_std "[1, 0, 1]" is not 1 or 3 numbers other than 0, so it is ignored.');
    expect(notes).toContain('The metadata_props give image_mean without image_std, so the images are not normalized.');
  });
});
