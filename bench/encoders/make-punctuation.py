"""Punctuation restoration as sequence labelling, from the shared fortunes corpus.

Each fortune (the text between "%" lines, attribution lines starting with "--" left out) becomes one example: its words
lower-cased with the punctuation around them removed, and a tag per word for the mark that followed it: COMMA (, ; :),
PERIOD (. !), QUESTION (?) or O. This is the task speech-recognition output needs (it comes without punctuation), and
the first-sub-word labelling of token classification reads it directly. Examples longer than 80 words are cut at a
sentence end when one exists. Writes one {"tokens": [...], "tags": [...]} line per fortune.

    /usr/bin/python3 bench/encoders/make-punctuation.py ../shared/datasets/en-fortunes.txt runs/fortunes-punctuation.jsonl
"""
import json
import re
import sys

MARKS = {",": "COMMA", ";": "COMMA", ":": "COMMA", ".": "PERIOD", "!": "PERIOD", "?": "QUESTION"}
STRIP = "\"'()[]{}*_`<>-"


def example(text):
    tokens, tags = [], []
    for raw in text.split():
        word = raw.strip(STRIP)
        tag = "O"
        while word and word[-1] in MARKS or (word and word[-1] in STRIP):
            if word[-1] in MARKS and tag == "O":
                tag = MARKS[word[-1]]
            word = word[:-1]
        word = word.strip(STRIP).lower()
        if not re.search(r"[a-z0-9]", word):
            if tags and tag != "O":
                tags[-1] = tag  # a detached mark ("word ?") belongs to the word before it
            continue
        tokens.append(word)
        tags.append(tag)
    if len(tokens) > 80:
        ends = [i for i in range(40, 80) if tags[i] in ("PERIOD", "QUESTION")]
        cut = ends[-1] + 1 if ends else 80
        tokens, tags = tokens[:cut], tags[:cut]
    return tokens, tags


def main(source, target):
    fortunes, current = [], []
    for line in open(source, encoding="utf-8", errors="replace"):
        if line.strip() == "%":
            fortunes.append(" ".join(current))
            current = []
        elif not line.strip().startswith("--"):
            current.append(line.strip())
    fortunes.append(" ".join(current))
    written = 0
    counts = {}
    with open(target, "w", encoding="utf-8") as out:
        for text in fortunes:
            tokens, tags = example(text)
            if len(tokens) < 3 or all(t == "O" for t in tags):
                continue
            out.write(json.dumps({"tokens": tokens, "tags": tags}) + "\n")
            written += 1
            for t in tags:
                counts[t] = counts.get(t, 0) + 1
    print(f"{target}: {written} examples, tags {counts}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
