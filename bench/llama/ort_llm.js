// A Llama-family decoder exported by `sapling export --format onnx` (inputs input_ids, attention_mask, position_ids,
// past_key_values.i.key/value) run in ONNX Runtime (CPU, onnxruntime-node from tests/onnx-runtime): load time, prefill of
// a prompt, greedy decoding with the past, and the process's peak resident memory, as JSON.
//   node bench/llama/ort_llm.js MODEL.onnx CONFIG.json [PROMPT_TOKENS=512] [NEW_TOKENS=64] [THREADS=2]
// CONFIG.json is the model folder's config.json (key/value heads and head size for the empty past).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '..', '..', 'tests', 'onnx-runtime', 'node_modules', 'onnxruntime-node'));

function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main() {
  const [modelPath, configPath, promptArg, newArg, threadsArg] = process.argv.slice(2);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const kvHeads = config.num_key_value_heads ?? config.num_attention_heads;
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const promptTokens = Number(promptArg || 512), newTokens = Number(newArg || 64), threads = Number(threadsArg || 2);
  let start = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const loadSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rssAfterLoad = process.memoryUsage().rss / 1048576;
  const pastInputs = session.inputNames.filter(n => n.startsWith('past_key_values.'));
  const vocabIds = 1000;
  const prompt = Array.from({ length: promptTokens }, (_, i) => BigInt((i * 7919 + 13) % vocabIds));
  function feed(ids, firstPosition, total, past) {
    const inputs = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(firstPosition + i))), [1, ids.length]),
    };
    for (const name of pastInputs) inputs[name] = past ? past[name.replace('past_key_values.', 'present.')] : emptyPast[name];
    return inputs;
  }
  const emptyPast = {};
  for (const name of pastInputs) emptyPast[name] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
  function argmax(logits, vocab, row) {
    let best = 0, bestValue = -Infinity;
    for (let i = 0; i < vocab; i++) { const v = logits[row * vocab + i]; if (v > bestValue) { bestValue = v; best = i; } }
    return best;
  }
  start = process.hrtime.bigint();
  let outputs = await session.run(feed(prompt, 0, prompt.length, null));
  const prefillSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const vocab = outputs.logits.dims[2];
  let next = argmax(outputs.logits.data, vocab, prompt.length - 1);
  const generated = [next];
  const stepTimes = [];
  for (let step = 1; step < newTokens; step++) {
    const t0 = process.hrtime.bigint();
    outputs = await session.run(feed([BigInt(next)], prompt.length + step - 1, prompt.length + step, outputs));
    stepTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    next = argmax(outputs.logits.data, vocab, 0);
    generated.push(next);
  }
  stepTimes.sort((a, b) => a - b);
  const median = stepTimes[Math.floor(stepTimes.length / 2)];
  process.stdout.write(JSON.stringify({
    model: modelPath, threads, load_seconds: loadSeconds, rss_after_load_mb: Math.round(rssAfterLoad),
    prompt_tokens: promptTokens, prefill_tokens_per_second: promptTokens / prefillSeconds,
    new_tokens: newTokens, decode_tokens_per_second_median: 1 / median,
    peak_rss_mb: Math.round(peakRssMb()), first_tokens: generated.slice(0, 8),
  }, null, 2) + '\n');
}

main().catch(e => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
