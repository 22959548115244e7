// Drives `sapling serve` with the official OpenAI client: lists models, completes, and streams a chat completion.
// Usage: node openai-client.mjs BASE_URL API_KEY CHAT_MODEL COMPLETION_MODEL. Prints one JSON object; exits 1 on failure.
import OpenAI from "openai";

const [baseUrl, apiKey, chatModel, completionModel] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseUrl.replace(/\/$/, "") + "/v1", apiKey, maxRetries: 0, timeout: 60_000 });

const models = [];
for await (const m of client.models.list()) models.push(m.id);

const completion = await client.completions.create({ model: completionModel, prompt: "the", max_tokens: 8, temperature: 0 });

const stream = await client.chat.completions.create({
  model: chatModel,
  messages: [{ role: "user", content: "la la" }],
  max_tokens: 12,
  temperature: 0.7,
  seed: 3,
  stream: true,
  stream_options: { include_usage: true },
});
let streamed = "";
let chunks = 0;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed += choice.delta?.content ?? "";
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}

let refused = null;
try {
  await client.completions.create({ model: "no-such-model", prompt: "a" });
} catch (e) {
  refused = { status: e.status, message: e.message };
}

console.log(JSON.stringify({
  models,
  completion: { text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage },
  chat: { text: streamed, chunks, finish, usage },
  refused,
}));
