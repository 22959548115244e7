// Asks `sapling serve` for embeddings with the official OpenAI client (which requests base64 and decodes it), once
// with an array and once with a single text. Usage: node openai-embeddings.mjs BASE_URL API_KEY MODEL.
// Prints one JSON object; exits 1 on failure.
import OpenAI from "openai";

const [baseUrl, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseUrl.replace(/\/$/, "") + "/v1", apiKey, maxRetries: 0, timeout: 60_000 });

const many = await client.embeddings.create({ model, input: ["the quick brown fox", "a lazy dog", "the dog"] });
const one = await client.embeddings.create({ model, input: "the quick brown fox", encoding_format: "float" });
let refused = null;
try {
  await client.embeddings.create({ model, input: "fox", dimensions: 3 });
} catch (e) {
  refused = { status: e.status, message: e.message };
}
console.log(JSON.stringify({
  many: { object: many.object, model: many.model, usage: many.usage, data: many.data.map(d => ({ index: d.index, embedding: Array.from(d.embedding) })) },
  one: { usage: one.usage, embedding: Array.from(one.data[0].embedding) },
  refused,
}));
