// Writes Llama 2's tokenizer.json, in the layout Hugging Face ships for meta-llama/Llama-2-7b-hf, from the
// SentencePiece vocabulary and merges inside the npm package llama-tokenizer-js.
// Usage: node llama2-tokenizer-json.mjs OUT.json
import { writeFileSync } from "node:fs";
import llamaTokenizer from "llama-tokenizer-js";

const vocab = {};
llamaTokenizer.vocabById.forEach((token, id) => { vocab[token] = id; });
const merges = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const tokenizer = {
  version: "1.0", truncation: null, padding: null,
  added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
  normalizer: { type: "Sequence", normalizers: [
    { type: "Prepend", prepend: "\u2581" },
    { type: "Replace", pattern: { String: " " }, content: "\u2581" }] },
  pre_tokenizer: null,
  post_processor: { type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
           { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } } },
  decoder: { type: "Sequence", decoders: [
    { type: "Replace", pattern: { String: "\u2581" }, content: " " },
    { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] },
  model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
};
writeFileSync(process.argv[2], JSON.stringify(tokenizer));
console.log(`${Object.keys(vocab).length} tokens, ${merges.length} merges`);
