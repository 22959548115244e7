// Runs an ONNX model in ONNX Runtime (CPU) for Sapling's export tests.
//   node runner.js MODEL.onnx FEEDS.json
// FEEDS.json: {"runs": [{"NAME": {"type": "float32" | "int64", "dims": [...], "data": [...]}, ...}, ...]}
// Prints {"runs": [{"OUTPUT": {"dims": [...], "data": [...]}, ...}, ...]} on stdout: one entry per run, so a single
// process (and one session) checks several batch sizes and lengths against the same file.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function toTensor(spec) {
  if (spec.type === 'float32') return new ort.Tensor('float32', Float32Array.from(spec.data), spec.dims);
  if (spec.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(spec.data.map(BigInt)), spec.dims);
  throw new Error(`unsupported input type ${spec.type}`);
}

async function main() {
  const [modelPath, feedsPath] = process.argv.slice(2);
  if (!modelPath || !feedsPath) throw new Error('usage: node runner.js MODEL.onnx FEEDS.json');
  const feeds = JSON.parse(fs.readFileSync(feedsPath, 'utf8'));
  const session = await ort.InferenceSession.create(modelPath);
  const runs = [];
  for (const run of feeds.runs) {
    const inputs = {};
    for (const [name, spec] of Object.entries(run)) inputs[name] = toTensor(spec);
    const outputs = await session.run(inputs);
    const result = {};
    for (const name of session.outputNames) result[name] = { dims: outputs[name].dims.map(Number), data: Array.from(outputs[name].data, Number) };
    runs.push(result);
  }
  process.stdout.write(JSON.stringify({ runs }));
}

main().catch(e => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
