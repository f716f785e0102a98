/**
 * A one-node ONNX model: Identity on a float32 tensor of shape [1], in graph "t" with input "x"
 * and output "y", opset 13, IR version 8. Its session costs nothing to run, so compiling it starts
 * onnxruntime-web without a real model: the runtime's WebAssembly is fetched, instantiated and
 * initialised, which is most of the time to a page's first prediction (see bench/RESULTS.md).
 * The bytes are its protobuf encoding; test/unit/startup-model.test.ts reads them back and runs them.
 */
export const startupModel = new Uint8Array([
  8, 8, 58, 55, 10, 16, 10, 1, 120, 18, 1, 121, 34, 8, 73, 100, 101, 110, 116, 105, 116, 121, 18, 1, 116, 90, 15, 10, 1, 120, 18, 10, 10, 8, 8,
  1, 18, 4, 10, 2, 8, 1, 98, 15, 10, 1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 66, 4, 10, 0, 16, 13,
]);
