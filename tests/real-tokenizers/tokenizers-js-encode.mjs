// Encodes texts with Hugging Face's tokenizers.js: node tokenizers-js-encode.mjs TOKENIZER.json [add_special_tokens]
// reads a JSON array of strings on stdin and writes a JSON array of id arrays.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const tokenizer = new Tokenizer(JSON.parse(readFileSync(process.argv[2], "utf8")), {});
const addSpecialTokens = process.argv[3] === "true";
const texts = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((t) => tokenizer.encode(t, { add_special_tokens: addSpecialTokens }).ids)));
