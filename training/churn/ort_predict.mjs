// Runs an ONNX model with one float32 [N, F] input through onnxruntime-node, for train.py.
// Usage: node ort_predict.mjs MODEL INPUT_F32 F OUTPUT_F32
// INPUT_F32 contains N*F little-endian float32 values, row-major. OUTPUT_F32 receives the first
// output's N*K float32 values in the same byte order.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [modelPath, inputPath, widthText, outputPath] = process.argv.slice(2);
const width = Number(widthText);
if (!outputPath || !Number.isInteger(width) || width <= 0) {
  console.error('Usage: node ort_predict.mjs MODEL INPUT_F32 F OUTPUT_F32 (F is the number of columns)');
  process.exit(2);
}

const bytes = readFileSync(inputPath);
const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
if (values.length % width !== 0) {
  console.error(`Invalid input ${inputPath}: its ${values.length} float32 values are not a multiple of F = ${width}. Pass the column count it was written with.`);
  process.exit(2);
}

const session = await ort.InferenceSession.create(modelPath);
const input = new ort.Tensor('float32', values, [values.length / width, width]);
const results = await session.run({ [session.inputNames[0]]: input });
const output = results[session.outputNames[0]].data;
writeFileSync(outputPath, Buffer.from(output.buffer, output.byteOffset, output.byteLength));
