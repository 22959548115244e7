#!/usr/bin/python3
"""Write a tiny random llama-architecture GGUF (v3) file that llama.cpp loads, for exercising tests/Sapling.LlamaCpp
and bench/llamacpp without downloading a model.

    /usr/bin/python3 bench/llamacpp/make_tiny_gguf.py /tmp/tiny-llama.gguf [--hidden 256 --layers 2 --heads 4
        --kv-heads 2 --ffn 512 --ctx 2048 --dtype f32|f16 --seed 0]

Only numpy is needed (no `gguf` package). The layout follows the GGUF spec (ggml docs/gguf.md):

    header  : "GGUF", uint32 version = 3, uint64 tensor_count, uint64 metadata_kv_count
    kv      : string key, uint32 value_type, value        (strings are uint64 byte length + UTF-8, no terminator)
    tensors : string name, uint32 n_dims, uint64 ne[n_dims] (innermost first: ne0 = row length), uint32 ggml_type,
              uint64 offset (relative to the data section, a multiple of general.alignment)
    padding to general.alignment, then the tensor data, each tensor padded to the alignment.

The tokenizer is GPT-2 style byte-level BPE (`tokenizer.ggml.model` = "gpt2", pre-tokenizer "gpt-2"): the 256 byte
symbols of GPT-2's bytes_to_unicode table (id = byte value), a handful of merges whose results are also tokens, and
<|endoftext|> as a control token used for BOS and EOS. Weights are seeded normal noise; norms are ones.
For K-quants (q4_k, q6_k, ...) llama.cpp needs every quantised row length (hidden and ffn) to be a multiple of 256,
otherwise it falls back to another type for that tensor; Q4_0/Q8_0 need multiples of 32.
"""
import argparse
import struct
import sys

import numpy as np

# GGUF metadata value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
# ggml tensor types used here
GGML_F32, GGML_F16 = 0, 1
# llama.cpp token types (tokenizer.ggml.token_type)
TOK_NORMAL, TOK_CONTROL = 1, 3


def gpt2_byte_symbols():
    """GPT-2's reversible byte -> printable unicode character table (bytes_to_unicode)."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
                 + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


class Writer:
    def __init__(self):
        self.buf = bytearray()

    def raw(self, fmt, *values):
        self.buf += struct.pack("<" + fmt, *values)

    def string(self, s):
        data = s.encode("utf-8")
        self.raw("Q", len(data))
        self.buf += data

    def value(self, vtype, v):
        if vtype == STRING:
            self.string(v)
        elif vtype == BOOL:
            self.raw("B", 1 if v else 0)
        else:
            self.raw({U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", U64: "Q", I64: "q",
                      F64: "d"}[vtype], v)

    def kv(self, key, vtype, v, elem_type=None):
        self.string(key)
        self.raw("I", vtype)
        if vtype == ARRAY:
            self.raw("I", elem_type)
            self.raw("Q", len(v))
            for item in v:
                self.value(elem_type, item)
        else:
            self.value(vtype, v)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32", help="type of the 2-D weights (norms stay f32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--std", type=float, default=0.05)
    ap.add_argument("--omit-key", action="append", default=[], help="leave out a metadata key (to see what llama.cpp demands)")
    ap.add_argument("--omit-tensor", action="append", default=[], help="leave out a tensor, e.g. output.weight (tied embeddings)")
    args = ap.parse_args()

    n_embd, n_layer, n_head, n_head_kv, n_ff = args.hidden, args.layers, args.heads, args.kv_heads, args.ffn
    if n_embd % n_head or n_head % n_head_kv:
        sys.exit("hidden must be a multiple of heads, heads a multiple of kv-heads")
    head_dim = n_embd // n_head
    alignment = 32

    # ---- vocabulary: 256 byte symbols, merges (their results are tokens too), one control token
    tokens = gpt2_byte_symbols()
    merges = ["\u0120 t", "h e", "\u0120t he", "i n", "e r", "\u0120 a", "o n", "r e"]  # \u0120 = 'Ġ' = byte 0x20
    for m in merges:
        a, b = m.split(" ")
        tokens.append(a + b)
    eot = len(tokens)
    tokens.append("<|endoftext|>")
    token_types = [TOK_NORMAL] * (len(tokens) - 1) + [TOK_CONTROL]
    n_vocab = len(tokens)
    assert len(set(tokens)) == n_vocab, "llama.cpp rejects duplicate tokens"

    # ---- tensors (numpy shape is (ne1, ne0): rows x row length; GGUF lists ne0 first)
    rng = np.random.default_rng(args.seed)
    wdt = np.float32 if args.dtype == "f32" else np.float16
    wtype = GGML_F32 if args.dtype == "f32" else GGML_F16

    def mat(rows, cols):
        return (rng.standard_normal((rows, cols)) * args.std).astype(wdt), wtype

    def ones(n):
        return np.ones((n,), dtype=np.float32), GGML_F32

    tensors = [("token_embd.weight",) + mat(n_vocab, n_embd)]
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors += [
            (p + "attn_norm.weight",) + ones(n_embd),
            (p + "attn_q.weight",) + mat(n_head * head_dim, n_embd),
            (p + "attn_k.weight",) + mat(n_head_kv * head_dim, n_embd),
            (p + "attn_v.weight",) + mat(n_head_kv * head_dim, n_embd),
            (p + "attn_output.weight",) + mat(n_embd, n_head * head_dim),
            (p + "ffn_norm.weight",) + ones(n_embd),
            (p + "ffn_gate.weight",) + mat(n_ff, n_embd),
            (p + "ffn_up.weight",) + mat(n_ff, n_embd),
            (p + "ffn_down.weight",) + mat(n_embd, n_ff),
        ]
    tensors += [("output_norm.weight",) + ones(n_embd), ("output.weight",) + mat(n_vocab, n_embd)]
    tensors = [t for t in tensors if t[0] not in args.omit_tensor]

    # ---- header + metadata
    w = Writer()
    w.buf += b"GGUF"
    w.raw("I", 3)
    w.raw("Q", len(tensors))
    kvs = [
        ("general.architecture", STRING, "llama"),
        ("general.name", STRING, "sapling-tiny-random-llama"),
        ("general.alignment", U32, alignment),
        ("general.file_type", U32, 0 if args.dtype == "f32" else 1),  # LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
        ("llama.context_length", U32, args.ctx),
        ("llama.embedding_length", U32, n_embd),
        ("llama.block_count", U32, n_layer),
        ("llama.feed_forward_length", U32, n_ff),
        ("llama.attention.head_count", U32, n_head),
        ("llama.attention.head_count_kv", U32, n_head_kv),
        ("llama.rope.freq_base", F32, 10000.0),
        ("llama.rope.dimension_count", U32, head_dim),
        ("llama.attention.layer_norm_rms_epsilon", F32, 1e-5),
        ("llama.vocab_size", U32, n_vocab),
        ("tokenizer.ggml.model", STRING, "gpt2"),
        ("tokenizer.ggml.pre", STRING, "gpt-2"),
        ("tokenizer.ggml.tokens", ARRAY, tokens, STRING),
        ("tokenizer.ggml.token_type", ARRAY, token_types, I32),
        ("tokenizer.ggml.merges", ARRAY, merges, STRING),
        ("tokenizer.ggml.bos_token_id", U32, eot),
        ("tokenizer.ggml.eos_token_id", U32, eot),
        ("tokenizer.ggml.add_bos_token", BOOL, True),
        ("tokenizer.ggml.add_eos_token", BOOL, False),
    ]
    kvs = [kv for kv in kvs if kv[0] not in args.omit_key]
    w.raw("Q", len(kvs))
    for entry in kvs:
        w.kv(*entry)

    # ---- tensor infos
    def pad(n):
        return (n + alignment - 1) // alignment * alignment

    offset = 0
    for name, arr, ttype in tensors:
        w.string(name)
        w.raw("I", arr.ndim)
        for d in reversed(arr.shape):  # innermost (row length) first
            w.raw("Q", d)
        w.raw("I", ttype)
        w.raw("Q", offset)
        offset = pad(offset + arr.nbytes)

    w.buf += b"\0" * (pad(len(w.buf)) - len(w.buf))
    data_start = len(w.buf)
    for name, arr, ttype in tensors:
        w.buf += np.ascontiguousarray(arr).tobytes()
        w.buf += b"\0" * (pad(len(w.buf) - data_start) - (len(w.buf) - data_start))

    with open(args.out, "wb") as f:
        f.write(w.buf)
    n_params = sum(a.size for _, a, _ in tensors)
    print(f"wrote {args.out}: {len(w.buf)} bytes, {len(tensors)} tensors, {n_params} parameters, vocab {n_vocab} "
          f"(bos=eos={eot}), hidden {n_embd}, layers {n_layer}, heads {n_head}/{n_head_kv}, ffn {n_ff}, {args.dtype}")


if __name__ == "__main__":
    main()
