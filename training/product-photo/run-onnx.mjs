// Runs the exported product-photo model with onnxruntime-node for train.py, which uses the
// outputs for the recorded metrics and golden.json.
//
// Usage: node run-onnx.mjs MODEL PIXELS_F32 ROWS LOGITS_OUT EMBEDDING_OUT
// PIXELS_F32 is raw little-endian float32 [ROWS, 1, 28, 28]. The outputs are written the
// same way, [ROWS, classes] and [ROWS, embedding size].
import { readFileSync, writeFileSync } from "node:fs";
import * as ort from "onnxruntime-node";

const BATCH_SIZE = 500;
const PIXELS_PER_IMAGE = 28 * 28;

const [modelPath, pixelsPath, rowsText, logitsPath, embeddingPath] = process.argv.slice(2);
if (!embeddingPath) {
  console.error("usage: node run-onnx.mjs MODEL PIXELS_F32 ROWS LOGITS_OUT EMBEDDING_OUT");
  process.exit(2);
}

const rows = Number(rowsText);
const bytes = readFileSync(pixelsPath);
// Copy into a fresh buffer because a Float32Array view needs a 4-byte aligned offset.
const pixels = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
if (!Number.isInteger(rows) || pixels.length !== rows * PIXELS_PER_IMAGE) {
  console.error(`${pixelsPath}: ${pixels.length} floats, expected ROWS (${rowsText}) x ${PIXELS_PER_IMAGE}`);
  process.exit(1);
}

const session = await ort.InferenceSession.create(modelPath);
const logitsParts = [];
const embeddingParts = [];
for (let start = 0; start < rows; start += BATCH_SIZE) {
  const count = Math.min(BATCH_SIZE, rows - start);
  const batch = pixels.subarray(start * PIXELS_PER_IMAGE, (start + count) * PIXELS_PER_IMAGE);
  const outputs = await session.run({ pixels: new ort.Tensor("float32", batch, [count, 1, 28, 28]) });
  logitsParts.push(Buffer.from(outputs.logits.data.buffer, outputs.logits.data.byteOffset, outputs.logits.data.byteLength));
  embeddingParts.push(
    Buffer.from(outputs.embedding.data.buffer, outputs.embedding.data.byteOffset, outputs.embedding.data.byteLength),
  );
}

writeFileSync(logitsPath, Buffer.concat(logitsParts));
writeFileSync(embeddingPath, Buffer.concat(embeddingParts));
