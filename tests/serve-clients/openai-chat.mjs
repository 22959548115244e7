// One streamed chat completion with the official OpenAI client, greedy.
// Usage: node openai-chat.mjs BASE_URL API_KEY MODEL SYSTEM USER. Prints {"text", "finish", "chunks", "usage"}; exits 1 on failure.
import OpenAI from "openai";

const [baseUrl, apiKey, model, system, user] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseUrl.replace(/\/$/, "") + "/v1", apiKey, maxRetries: 0, timeout: 60_000 });
const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "system", content: system }, { role: "user", content: user }],
  max_tokens: 16,
  temperature: 0,
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let chunks = 0;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    text += choice.delta?.content ?? "";
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
console.log(JSON.stringify({ text, finish, chunks, usage }));
