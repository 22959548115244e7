// A bounded load client for `sapling serve`: C concurrent clients each send streaming completions one after another
// for S seconds. Reports aggregate tokens/s, time to first token (median, p99), request latency, errors and the
// server's memory sampled from /metrics every few seconds. Loopback only; it stops at the time limit.
// Usage: node bench/serve-load.mjs URL MODEL CLIENTS SECONDS [MAX_TOKENS] [PROMPT]
const [url, model, clientsArg, secondsArg, maxTokensArg, promptArg] = process.argv.slice(2);
const clients = Number(clientsArg), seconds = Number(secondsArg), maxTokens = Number(maxTokensArg ?? 48);
const prompts = (promptArg ?? "春眠,白日,床前,故人,山中,明月,江南,黄河").split(",");
const base = url.replace(/\/$/, "");
const endAt = Date.now() + seconds * 1000;
const ttft = [], latency = [], memory = [];
let tokens = 0, requests = 0, errors = 0;
const errorSamples = [];

async function memoryBytes() {
  const text = await (await fetch(base + "/metrics")).text();
  const line = text.split("\n").find(l => l.startsWith("sapling_memory_bytes "));
  return Number(line.split(" ")[1]);
}

async function one(i, n) {
  const started = performance.now();
  let first = null;
  const body = { model, prompt: prompts[(i + n) % prompts.length], max_tokens: maxTokens, temperature: 0.8, top_p: 0.95, seed: i * 1000 + n, stream: true, stream_options: { include_usage: true } };
  const response = await fetch(base + "/v1/completions", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error("status " + response.status + ": " + (await response.text()));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", done = false, usage = null;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const data = buffer.slice(6, cut);
      buffer = buffer.slice(cut + 2);
      if (data === "[DONE]") { done = true; continue; }
      const event = JSON.parse(data);
      if (event.error) throw new Error(event.error.message);
      if (event.usage) usage = event.usage;
      if (first === null && event.choices.length && event.choices[0].text) first = performance.now();
    }
  }
  if (!done || !usage) throw new Error("stream ended without [DONE] and usage");
  tokens += usage.completion_tokens;
  ttft.push(((first ?? performance.now()) - started) / 1000);
  latency.push((performance.now() - started) / 1000);
}

async function client(i) {
  for (let n = 0; Date.now() < endAt; n++) {
    try { await one(i, n); requests++; }
    catch (e) { errors++; if (errorSamples.length < 5) errorSamples.push(String(e.message || e)); }
  }
}

const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null; };
const started = performance.now();
memory.push(await memoryBytes());
const sampler = setInterval(async () => { try { memory.push(await memoryBytes()); } catch {} }, 5000);
await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
clearInterval(sampler);
memory.push(await memoryBytes());
const elapsed = (performance.now() - started) / 1000;
const mib = b => Math.round(b / 1048576 * 10) / 10;
console.log(JSON.stringify({
  clients, seconds: Math.round(elapsed * 10) / 10, requests, errors, errorSamples, tokens,
  tokens_per_second: Math.round(tokens / elapsed * 10) / 10,
  ttft_median_s: quantile(ttft, 0.5), ttft_p99_s: quantile(ttft, 0.99),
  latency_median_s: quantile(latency, 0.5), latency_p99_s: quantile(latency, 0.99),
  memory_mib: { first: mib(memory[0]), max: mib(Math.max(...memory)), last: mib(memory[memory.length - 1]), samples: memory.length,
    second_half_max: mib(Math.max(...memory.slice(Math.floor(memory.length / 2)))), first_half_max: mib(Math.max(...memory.slice(0, Math.ceil(memory.length / 2)))) },
}));
