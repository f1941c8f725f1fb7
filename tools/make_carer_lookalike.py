#!/usr/bin/python3
"""Writes a CARER / dair-ai "emotion" look-alike from the shared GoEmotions data: headerless `text;label` lines, one
label name per text, as train.txt, val.txt and test.txt (the names of the distributed files).

CARER itself (Saravia et al., 2018; 6 emotions) is not in the shared data. This takes the GoEmotions rows of the Ekman
taxonomy (anger, disgust, fear, joy, neutral, sadness, surprise) that have exactly one label and no ';' or '"' in the text (CARER texts have neither),
from train, dev and test in their order, so configs/carer-linear.yaml runs on something of the same layout.

    /usr/bin/python3 tools/make_carer_lookalike.py ../shared/data/goemotions/ekman data/carer
"""
import sys
from pathlib import Path


def main(folder: Path, output: Path) -> None:
    labels = (folder / "labels.txt").read_text(encoding="utf-8").split()
    output.mkdir(parents=True, exist_ok=True)
    for source, target in (("train", "train"), ("dev", "val"), ("test", "test")):
        lines = []
        with open(folder / f"{source}.tsv", encoding="utf-8", newline="") as f:
            for line in f.read().splitlines():
                text, ids, _ = line.split("\t")
                if "," not in ids and ";" not in text and '"' not in text:
                    lines.append(f"{text};{labels[int(ids)]}\n")
        (output / f"{target}.txt").write_text("".join(lines), encoding="utf-8")
        print(f"{output / f'{target}.txt'}: {len(lines)} texts")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
