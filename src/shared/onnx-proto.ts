/**
 * A minimal reader of the ONNX protobuf (onnx/onnx.proto3): only the fields Tandem shows or needs
 * to derive a manifest, read straight from the protobuf wire format. Field numbers are those of
 * `ModelProto`, `GraphProto`, `NodeProto`, `ValueInfoProto` and `TypeProto` in onnx.proto.
 *
 * It also rewrites a graph so that ZipMap outputs (a sequence of maps, which onnxruntime-web
 * cannot return) are replaced by the probability tensors that feed them.
 */
import { TandemError } from './errors';

export interface OnnxDimension {
  /** A fixed size, or null for a dynamic dimension. */
  value: number | null;
  /** The symbolic name of a dynamic dimension, such as `batch`, when the model gives one. */
  param: string | null;
}

export interface OnnxValueInfo {
  name: string;
  /** `tensor`, `sequence`, `map`, `optional`, `sparse_tensor`, or `unknown` when no type is given. */
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';
  /** The element type of a tensor, as ONNX names it (`float`, `int64`, ...), or null. */
  elementType: string | null;
  /** The tensor's dimensions, or null when the rank is unknown. */
  shape: OnnxDimension[] | null;
  docString: string;
}

export interface OnnxNode {
  opType: string;
  /** The operator's domain; empty for the default `ai.onnx` domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  /** String-list attributes, such as ZipMap's `classlabels_strings`. */
  stringLists: Record<string, string[]>;
  /** Integer-list attributes, such as ZipMap's `classlabels_int64s`. */
  intLists: Record<string, number[]>;
}

export interface OnnxModelSummary {
  irVersion: number;
  /** Opset imports by domain; the default domain is `ai.onnx`. */
  opsets: Record<string, number>;
  producerName: string;
  producerVersion: string;
  docString: string;
  graphName: string;
  graphDocString: string;
  metadata: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNode[];
}

/** TensorProto.DataType names, by number. */
const elementTypes: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

/** One field of a message: its number, wire type, and value (a number for varints, bytes otherwise). */
interface Field {
  number: number;
  wireType: number;
  value: number;
  bytes: Uint8Array | null;
  /** Offsets of the whole field, key included, in the parent message. */
  start: number;
  end: number;
}

class TruncatedError extends Error {}
class MalformedError extends Error {}

/** Reads a varint at `offset`; returns the value (exact up to 2^53) and the next offset. */
function readVarint(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (offset >= bytes.length) throw new TruncatedError('a number runs past the end of the file');
    const byte = bytes[offset++]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return [value, offset];
    multiplier *= 128;
  }
  throw new MalformedError('a number is longer than 10 bytes');
}

/** Splits a message into its fields, checking that every field ends inside `bytes`. */
function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    const [key, afterKey] = readVarint(bytes, offset);
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    if (number === 0) throw new MalformedError('a field has number 0');
    offset = afterKey;
    let value = 0;
    let content: Uint8Array | null = null;
    switch (wireType) {
      case 0:
        [value, offset] = readVarint(bytes, offset);
        break;
      case 1:
        offset += 8;
        break;
      case 2: {
        const [length, afterLength] = readVarint(bytes, offset);
        if (afterLength + length > bytes.length) throw new TruncatedError(`a field of ${length} bytes runs past the end of the file`);
        content = bytes.subarray(afterLength, afterLength + length);
        offset = afterLength + length;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        throw new MalformedError(`wire type ${wireType} is not used by ONNX files`);
    }
    if (offset > bytes.length) throw new TruncatedError('a fixed-size field runs past the end of the file');
    fields.push({ number, wireType, value, bytes: content, start, end: offset });
  }
  return fields;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function text(field: Field): string {
  return field.bytes ? utf8.decode(field.bytes) : '';
}

function readShape(bytes: Uint8Array): OnnxDimension[] {
  const dims: OnnxDimension[] = [];
  for (const field of readFields(bytes)) {
    if (field.number !== 1 || !field.bytes) continue;
    const dim: OnnxDimension = { value: null, param: null };
    for (const part of readFields(field.bytes)) {
      if (part.number === 1 && part.wireType === 0) dim.value = part.value;
      if (part.number === 2) dim.param = text(part);
    }
    dims.push(dim);
  }
  return dims;
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', kind: 'unknown', elementType: null, shape: null, docString: '' };
  for (const field of readFields(bytes)) {
    if (field.number === 1) info.name = text(field);
    else if (field.number === 3) info.docString = text(field);
    else if (field.number === 2 && field.bytes) {
      for (const typeField of readFields(field.bytes)) {
        if (typeField.number === 1 && typeField.bytes) {
          info.kind = 'tensor';
          for (const part of readFields(typeField.bytes)) {
            if (part.number === 1) info.elementType = elementTypes[part.value] ?? `type ${part.value}`;
            if (part.number === 2 && part.bytes) info.shape = readShape(part.bytes);
          }
        } else if (typeField.number === 4) info.kind = 'sequence';
        else if (typeField.number === 5) info.kind = 'map';
        else if (typeField.number === 9) info.kind = 'optional';
        else if (typeField.number === 8) info.kind = 'sparse_tensor';
      }
    }
  }
  return info;
}

function readNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], stringLists: {}, intLists: {} };
  for (const field of readFields(bytes)) {
    if (field.number === 1) node.inputs.push(text(field));
    else if (field.number === 2) node.outputs.push(text(field));
    else if (field.number === 4) node.opType = text(field);
    else if (field.number === 7) node.domain = text(field);
    else if (field.number === 5 && field.bytes) {
      // AttributeProto: name = 1, ints = 8 (packed or not), strings = 9.
      let name = '';
      const strings: string[] = [];
      const ints: number[] = [];
      for (const part of readFields(field.bytes)) {
        if (part.number === 1) name = text(part);
        else if (part.number === 9) strings.push(text(part));
        else if (part.number === 8 && part.wireType === 0) ints.push(part.value);
        else if (part.number === 8 && part.bytes) {
          for (let offset = 0; offset < part.bytes.length; ) {
            const [value, next] = readVarint(part.bytes, offset);
            ints.push(value);
            offset = next;
          }
        }
      }
      if (strings.length > 0) node.stringLists[name] = strings;
      if (ints.length > 0) node.intLists[name] = ints;
    }
  }
  return node;
}

function readGraph(bytes: Uint8Array, summary: OnnxModelSummary): void {
  const initializers = new Set<string>();
  const inputs: OnnxValueInfo[] = [];
  for (const field of readFields(bytes)) {
    if (!field.bytes) continue;
    if (field.number === 1) summary.nodes.push(readNode(field.bytes));
    else if (field.number === 2) summary.graphName = text(field);
    else if (field.number === 10) summary.graphDocString = text(field);
    else if (field.number === 11) inputs.push(readValueInfo(field.bytes));
    else if (field.number === 12) summary.outputs.push(readValueInfo(field.bytes));
    else if (field.number === 5) {
      // TensorProto: name = 8. Models before IR version 4 list initializers among the inputs too.
      for (const part of readFields(field.bytes)) if (part.number === 8) initializers.add(text(part));
    }
  }
  summary.inputs = inputs.filter((input) => !initializers.has(input.name));
}

function failNotOnnx(fileName: string, detail: string): never {
  throw new TandemError(
    'invalid-model',
    `The file "${fileName}" is not an ONNX model (${detail}). Choose a .onnx file exported by PyTorch, TensorFlow, scikit-learn (skl2onnx) or another ONNX exporter.`,
  );
}

/**
 * Reads the summary of an ONNX model. Throws a {@link TandemError} with code `invalid-model` for
 * a file that is not ONNX, and `truncated-model` for one that ends early.
 */
export function readOnnxModel(bytes: Uint8Array, fileName: string): OnnxModelSummary {
  if (bytes.length === 0) failNotOnnx(fileName, 'the file is empty');
  const summary: OnnxModelSummary = {
    irVersion: 0, opsets: {}, producerName: '', producerVersion: '', docString: '', graphName: '', graphDocString: '',
    metadata: {}, inputs: [], outputs: [], nodes: [],
  };
  let graphSeen = false;
  // ModelProto's fields 1 to 8, 14 and 20 to 25; anything else first means another format.
  const known = new Set([1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 21, 22, 23, 24, 25]);
  try {
    // The first field decides between "not ONNX" and "truncated": random bytes or another
    // format rarely begin with a ModelProto field of the right wire type, while a cut-off
    // ONNX file always does (exporters write ir_version, field 1, first).
    const [firstKey] = readVarint(bytes, 0);
    const firstNumber = Math.floor(firstKey / 8);
    const firstWireType = firstKey % 8;
    if (!known.has(firstNumber)) failNotOnnx(fileName, `it begins with field ${firstNumber}, which an ONNX ModelProto does not have`);
    const expectedWireType = firstNumber === 1 || firstNumber === 5 ? 0 : 2;
    if (firstWireType !== expectedWireType) failNotOnnx(fileName, `its first field, ${firstNumber}, has wire type ${firstWireType} where ONNX has ${expectedWireType}`);
    const fields = readFields(bytes);
    const unknown = fields.find((field) => !known.has(field.number));
    if (unknown) failNotOnnx(fileName, `it has field ${unknown.number}, which an ONNX ModelProto does not have`);
    for (const field of fields) {
      if (field.number === 1) summary.irVersion = field.value;
      else if (field.number === 2) summary.producerName = text(field);
      else if (field.number === 3) summary.producerVersion = text(field);
      else if (field.number === 6) summary.docString = text(field);
      else if (field.number === 7 && field.bytes) {
        graphSeen = true;
        readGraph(field.bytes, summary);
      } else if (field.number === 8 && field.bytes) {
        let domain = '';
        let version = 0;
        for (const part of readFields(field.bytes)) {
          if (part.number === 1) domain = text(part);
          if (part.number === 2) version = part.value;
        }
        summary.opsets[domain === '' ? 'ai.onnx' : domain] = version;
      } else if (field.number === 14 && field.bytes) {
        let key = '';
        let value = '';
        for (const part of readFields(field.bytes)) {
          if (part.number === 1) key = text(part);
          if (part.number === 2) value = text(part);
        }
        summary.metadata[key] = value;
      }
    }
  } catch (error) {
    if (error instanceof TruncatedError) {
      throw new TandemError(
        'truncated-model',
        `The file "${fileName}" is a truncated ONNX model: ${error.message} (${bytes.length} bytes read). Download or export the model again and check that the copy is complete.`,
      );
    }
    if (error instanceof MalformedError) failNotOnnx(fileName, error.message);
    throw error;
  }
  if (!graphSeen) failNotOnnx(fileName, 'it has no graph');
  if (summary.irVersion === 0) failNotOnnx(fileName, 'it has no IR version');
  return summary;
}

function writeVarint(value: number, out: number[]): void {
  let rest = value;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** Encodes a length-delimited field: key, length, content. */
function lengthField(number: number, content: Uint8Array): Uint8Array {
  const head: number[] = [];
  writeVarint(number * 8 + 2, head);
  writeVarint(content.length, head);
  const out = new Uint8Array(head.length + content.length);
  out.set(head);
  out.set(content, head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Returns the model with its ZipMap nodes removed and their input tensors made graph outputs in
 * place of the sequence-of-maps outputs, or the same bytes when it has no ZipMap. The tensor
 * outputs keep no type information, which onnxruntime infers from the producing node.
 */
export function removeZipMaps(bytes: Uint8Array): { bytes: Uint8Array; replaced: { output: string; tensor: string }[] } {
  const fields = readFields(bytes);
  const graphField = fields.find((field) => field.number === 7);
  if (!graphField?.bytes) return { bytes, replaced: [] };

  const graphFields = readFields(graphField.bytes);
  const zipMaps = graphFields
    .filter((field) => field.number === 1 && field.bytes)
    .map((field) => ({ field, node: readNode(field.bytes!) }))
    .filter(({ node }) => node.opType === 'ZipMap' && node.domain === 'ai.onnx.ml');
  if (zipMaps.length === 0) return { bytes, replaced: [] };

  const replaced = zipMaps.map(({ node }) => ({ output: node.outputs[0] ?? '', tensor: node.inputs[0] ?? '' }));
  const removedOutputs = new Set(replaced.map((entry) => entry.output));
  const graphParts: Uint8Array[] = [];
  for (const field of graphFields) {
    if (zipMaps.some((zipMap) => zipMap.field === field)) continue;
    if (field.number === 12 && field.bytes && removedOutputs.has(readValueInfo(field.bytes).name)) continue;
    graphParts.push(graphField.bytes.subarray(field.start, field.end));
  }
  const encoder = new TextEncoder();
  for (const { tensor } of replaced) graphParts.push(lengthField(12, lengthField(1, encoder.encode(tensor))));

  const modelParts: Uint8Array[] = [];
  for (const field of fields) {
    modelParts.push(field === graphField ? lengthField(7, concat(graphParts)) : bytes.subarray(field.start, field.end));
  }
  return { bytes: concat(modelParts), replaced };
}
