"""Word-by-word baseline for the Apertium English -> Spanish corpus: a dictionary learnt from the training pairs.

IBM Model 1 (Brown et al., 1993): t(spanish word | english word) by expectation-maximisation over the training pairs
(lower-cased words and punctuation marks as tokens, a NULL word on the English side), 8 iterations. Each test sentence
is then translated token by token into the most likely Spanish token of each English token (unknown tokens are copied),
keeping the source's capitalisation of the first letter, and detokenised (no space before , . ! ? ; : ) and after
opening brackets). Writes one hypothesis per test line and the references beside it, for `sapling eval --metric bleu`.

    python3 bench/seq2seq/dictionary-baseline.py runs/apertium-en-es OUT_DIR
"""
import collections
import os
import re
import sys

TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def tokens(text):
    return TOKEN.findall(text)


def read(path):
    with open(path, encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t")) for line in f if "\t" in line]


def detokenize(words):
    text = " ".join(words)
    text = re.sub(r" ([,.!?;:)\]])", r"\1", text)
    return re.sub(r"([(\[¿¡]) ", r"\1", text)


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    train = read(os.path.join(corpus, "train.tsv"))
    test = read(os.path.join(corpus, "test.tsv"))
    pairs = [([None] + [w.lower() for w in tokens(s)], [w.lower() for w in tokens(t)]) for s, t in train]
    spanish = {f for _, fs in pairs for f in fs}
    t = collections.defaultdict(lambda: 1.0 / len(spanish))
    for _ in range(8):
        count = collections.defaultdict(float)
        total = collections.defaultdict(float)
        for es, fs in pairs:
            for f in fs:
                z = sum(t[(f, e)] for e in es)
                for e in es:
                    c = t[(f, e)] / z
                    count[(f, e)] += c
                    total[e] += c
        t = collections.defaultdict(float, {(f, e): c / total[e] for (f, e), c in count.items()})
    best = {}
    for (f, e), p in t.items():
        if e is not None and p > best.get(e, (None, 0.0))[1]:
            best[e] = (f, p)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "dictionary.txt"), "w", encoding="utf-8") as h, open(os.path.join(out, "references.txt"), "w", encoding="utf-8") as r:
        for source, reference in test:
            words = []
            for w in tokens(source):
                f = best.get(w.lower(), (w, 0))[0]
                words.append(f[:1].upper() + f[1:] if w[:1].isupper() else f)
            h.write(detokenize(words) + "\n")
            r.write(reference + "\n")
    print(f"dictionary of {len(best)} English words from {len(train)} pairs; {len(test)} test lines written to {out}")


if __name__ == "__main__":
    main()
