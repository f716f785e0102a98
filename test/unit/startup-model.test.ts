/**
 * The one-node model that starts onnxruntime-web before a real model is compiled
 * (src/worker/startup-model.ts): its bytes must be the model its comment describes, and a real
 * runtime must run it.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxModel } from '../../src/shared/onnx-proto';
import { startupModel } from '../../src/worker/startup-model';

describe('start-up model', () => {
  it('is an Identity graph on a float tensor of shape [1]', () => {
    const summary = readOnnxModel(startupModel, 'startup-model');
    expect(summary.irVersion).toBe(8);
    expect(summary.opsets).toEqual({ 'ai.onnx': 13 });
    expect(summary.graphName).toBe('t');
    expect(summary.nodes.map((node) => [node.opType, node.inputs, node.outputs])).toEqual([['Identity', ['x'], ['y']]]);
    const tensor = { kind: 'tensor', elementType: 'float', shape: [{ value: 1, param: null }], docString: '' };
    expect(summary.inputs).toEqual([{ name: 'x', ...tensor }]);
    expect(summary.outputs).toEqual([{ name: 'y', ...tensor }]);
  });

  it('runs in onnxruntime and returns its input', async () => {
    const session = await ort.InferenceSession.create(startupModel);
    const outputs = await session.run({ x: new ort.Tensor('float32', new Float32Array([2.5]), [1]) });
    expect(Array.from(outputs.y!.data as Float32Array)).toEqual([2.5]);
    await session.release();
  });
});
