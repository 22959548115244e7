"""English -> Spanish parallel corpus from the shared English quotations, translated by Apertium's rules.

Reads ../shared/datasets/en-fortunes.txt (entries separated by lines holding '%'), joins each entry's lines, splits it
into sentences, keeps those of 3 to 25 words made of printable ASCII, removes duplicates (case and spacing ignored),
translates them with `apertium -u eng-spa` (Debian packages apertium and apertium-eng-spa; -u drops the marks on
unknown words, which are copied through), and splits the pairs by source sentence into train / valid / test
(90 / 5 / 5 %, seeded). Writes OUT/{train,valid,test}.tsv (source TAB target), OUT/gpt-train.txt (the training pairs
as "source => target" lines, for the decoder-only baseline) and OUT/stats.json. Nothing generated here
is committed: the references are Apertium's output, so a model trained on them learns that rule-based system.

    python3 bench/seq2seq/make-apertium-corpus.py [OUT] [--corpus PATH] [--seed N]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "datasets", "en-fortunes.txt"))
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def sentences(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        entry = []
        for line in f:
            if line.strip() == "%":
                yield from split(" ".join(entry))
                entry = []
            else:
                entry.append(line.strip())
        yield from split(" ".join(entry))


def split(text):
    text = re.sub(r"\s+", " ", text).strip()
    for s in SENTENCE_END.split(text):
        s = s.strip()
        words = s.split()
        # Attributions ("-- Mark Twain"), tabs and non-ASCII text are left out.
        if 3 <= len(words) <= 25 and "--" not in s and all(32 <= ord(ch) < 127 for ch in s):
            yield s


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=os.path.join("runs", "apertium-en-es"))
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not os.path.exists(args.corpus):
        sys.exit(f"{args.corpus} not found (the shared English quotations)")
    seen, sources = set(), []
    for s in sentences(args.corpus):
        key = " ".join(s.lower().split())
        if key not in seen:
            seen.add(key)
            sources.append(s)
    try:
        result = subprocess.run(["apertium", "-u", "eng-spa"], input="\n".join(sources) + "\n", capture_output=True, text=True, check=True)
    except FileNotFoundError:
        sys.exit("apertium is not installed: apt-get install apertium apertium-eng-spa")
    targets = result.stdout.rstrip("\n").split("\n")
    if len(targets) != len(sources):
        sys.exit(f"apertium returned {len(targets)} lines for {len(sources)} sentences")
    pairs = [(s, t.strip()) for s, t in zip(sources, targets) if t.strip()]
    random.Random(args.seed).shuffle(pairs)
    n = len(pairs)
    cut_valid, cut_test = int(n * 0.90), int(n * 0.95)
    os.makedirs(args.out, exist_ok=True)
    for name, part in [("train", pairs[:cut_valid]), ("valid", pairs[cut_valid:cut_test]), ("test", pairs[cut_test:])]:
        with open(os.path.join(args.out, f"{name}.tsv"), "w", encoding="utf-8") as f:
            for s, t in part:
                f.write(f"{s}\t{t}\n")
    with open(os.path.join(args.out, "gpt-train.txt"), "w", encoding="utf-8") as f:
        for s, t in pairs[:cut_valid]:
            f.write(f"{s} => {t}\n")
    stats = {"pairs": n, "train": cut_valid, "valid": cut_test - cut_valid, "test": n - cut_test,
             "source_words": sum(len(s.split()) for s, _ in pairs), "target_words": sum(len(t.split()) for _, t in pairs)}
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
