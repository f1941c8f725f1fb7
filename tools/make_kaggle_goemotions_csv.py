"""Writes GoEmotions in the Kaggle layout (seed 001's go_emotions_dataset.csv): one row per rating, columns
id, text, example_very_unclear, then one 0/1 column per emotion, 211,225 rows, quoted as pandas' to_csv quotes.

The shared data holds the simplified release (54,263 texts, one row each); the Kaggle file holds the raw ratings
(3 to 5 raters per text). Each text is written four times (a rater each), stopping at 211,225 rows, so that the file
has the Kaggle file's size and shape for reading benchmarks; it is not the raw ratings data.

    /usr/bin/python3 tools/make_kaggle_goemotions_csv.py ../shared/data/goemotions/original /tmp/go_emotions_dataset.csv
"""
import csv
import sys
from pathlib import Path

ROWS = 211_225
RATERS = 4


def main(folder: Path, output: Path) -> None:
    labels = (folder / "labels.txt").read_text(encoding="utf-8").split()
    examples = []
    for split in ("train", "dev", "test"):
        with open(folder / f"{split}.tsv", encoding="utf-8", newline="") as f:
            for line in f.read().splitlines():
                text, ids, comment_id = line.split("\t")
                examples.append((comment_id, text, {int(i) for i in ids.split(",")}))
    written = 0
    with open(output, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(["id", "text", "example_very_unclear", *labels])
        for rater in range(RATERS):
            for comment_id, text, ids in examples:
                if written == ROWS:
                    break
                unclear = "True" if (written % 97 == 0) else "False"
                writer.writerow([comment_id, text, unclear, *("1" if i in ids else "0" for i in range(len(labels)))])
                written += 1
    print(f"{output}: {written} rows, {len(labels)} label columns")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
