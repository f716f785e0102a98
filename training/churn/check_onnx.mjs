// Checks public/models/churn against golden.json with onnxruntime-node, using only the manifest.
// Encodes every held-out row of both CSV layouts (public/data/churn.csv and churn-ibm.csv) as
// docs/manifest.md describes, so a pass shows that the manifest contains all the preprocessing.
// Run from the repository root: node training/churn/check_onnx.mjs
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import Papa from 'papaparse';

const modelDir = 'public/models/churn';
const manifest = JSON.parse(readFileSync(`${modelDir}/manifest.json`, 'utf8'));
const golden = JSON.parse(readFileSync(`${modelDir}/${manifest.golden.file}`, 'utf8'));
const { tabular } = manifest;

const modelBytes = readFileSync(`${modelDir}/${manifest.model.file}`);
const sha256 = createHash('sha256').update(modelBytes).digest('hex');
if (sha256 !== manifest.model.sha256) throw new Error(`model.sha256 is ${manifest.model.sha256}, but the file hashes to ${sha256}. Rerun training/churn/train.py.`);

const normalize = (name) => name.toLowerCase().replace(/[\s_-]+/g, '');

function encodeCell(feature, cell, out) {
  const text = cell.trim();
  if (text === '' && feature.missing.strategy === 'error') throw new Error(`${feature.name} is empty`);
  if (feature.type === 'number') {
    const value = text === '' ? Number(feature.missing.fill_value) : Number(text);
    if (!Number.isFinite(value)) throw new Error(`${feature.name} has invalid number ${JSON.stringify(cell)}`);
    out.push((value - feature.scaler.mean) / feature.scaler.scale);
  } else if (feature.type === 'boolean') {
    const key = text.toLowerCase();
    if (feature.true_values.includes(key)) out.push(1);
    else if (feature.false_values.includes(key)) out.push(0);
    else throw new Error(`${feature.name} has invalid value ${JSON.stringify(cell)}`);
  } else {
    const aliases = Object.fromEntries(Object.entries(feature.category_aliases ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const key = (aliases[text.toLowerCase()] ?? text).toLowerCase();
    const slot = feature.categories.findIndex((category) => category.toLowerCase() === key);
    if (slot === -1) throw new Error(`${feature.name} has unknown category ${JSON.stringify(cell)}`);
    feature.categories.forEach((_, i) => out.push(i === slot ? 1 : 0));
  }
}

/** Encodes the golden rows of a CSV file into a float32 [N, F] array (float64 until the cast). */
function encodeFile(path) {
  const [header, ...rows] = Papa.parse(readFileSync(path, 'utf8'), { skipEmptyLines: true }).data;
  const columns = tabular.features.map((feature) => {
    const names = [feature.name, ...(feature.aliases ?? [])].map(normalize);
    const column = header.findIndex((name) => names.includes(normalize(name)));
    if (column === -1) throw new Error(`${path} has no column for feature ${feature.name}`);
    return column;
  });
  const values = [];
  for (const { row } of golden.rows) {
    try {
      tabular.features.forEach((feature, i) => encodeCell(feature, rows[row][columns[i]], values));
    } catch (error) {
      throw new Error(`${path}, data row ${row}: ${error.message}`);
    }
  }
  return Float32Array.from(values);
}

const session = await ort.InferenceSession.create(modelBytes);
const width = manifest.signature.inputs[0]['tensor-spec'].shape[1];
let failed = false;
for (const path of ['public/data/churn.csv', 'public/data/churn-ibm.csv']) {
  const features = new ort.Tensor('float32', encodeFile(path), [golden.rows.length, width]);
  const output = (await session.run({ [tabular.input]: features }))[manifest.output.name].data;
  const maxDifference = Math.max(...golden.rows.map(({ probability }, i) => Math.abs(output[i] - probability)));
  const ok = maxDifference <= golden.tolerance;
  failed ||= !ok;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${path}: ${golden.rows.length} rows, max difference ${maxDifference.toExponential(2)} (tolerance ${golden.tolerance})`);
}
process.exit(failed ? 1 : 0);
