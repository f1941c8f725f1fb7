#!/usr/bin/python3
"""scikit-learn reference for Sentio's linear n-gram model (used by `bench/`).

Trains the same model as `sentio.NGramLinear.v1` with scikit-learn: word 1-2-grams + char_wb 2-5-grams,
each a sublinear TF-IDF block (min_df=2, L2-normalised), concatenated, one-vs-rest L2 logistic regression
(liblinear). Per-label thresholds are tuned on the validation split by an exact sweep, then macro-F1 is
measured on test. Prints one JSON line: {"macro_f1", "micro_f1", "fit_seconds", "features", ...}.

Run with Debian's python3-sklearn:  /usr/bin/python3 tools/linear_reference.py DATA_DIR [--c 4] [--threads 2]
where DATA_DIR holds train.tsv, dev.tsv, test.tsv and labels.txt in GoEmotions format.
"""
import argparse, json, os, sys, time

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from joblib import Parallel, delayed


def read_goemotions(path, n_labels):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, ids, _ = line.rstrip("\n").split("\t")
            row = np.zeros(n_labels, dtype=np.int8)
            row[[int(i) for i in ids.split(",")]] = 1
            texts.append(text)
            labels.append(row)
    return texts, np.array(labels)


def best_thresholds(probabilities, truth):
    """Per label, the threshold maximising F1 over all distinct probabilities (predict p >= t)."""
    thresholds = []
    for j in range(truth.shape[1]):
        order = np.argsort(-probabilities[:, j], kind="stable")
        p, y = probabilities[order, j], truth[order, j]
        tp = np.cumsum(y)
        predicted = np.arange(1, len(y) + 1)
        positives = y.sum()
        f1 = np.where(tp > 0, 2 * tp / (predicted + positives), 0.0)
        last_of_run = np.r_[p[1:] != p[:-1], True]  # cut only between distinct values
        f1 = np.where(last_of_run, f1, -1)
        k = int(np.argmax(f1))
        lower = p[k + 1] if k + 1 < len(p) else 0.0
        thresholds.append((p[k] + lower) / 2)
    return np.array(thresholds)


def fit_label(features, y, c):
    return LogisticRegression(C=c, solver="liblinear").fit(features, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--c", type=float, default=4.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    labels = [l.strip() for l in open(os.path.join(args.data_dir, "labels.txt"), encoding="utf-8") if l.strip()]
    train = read_goemotions(os.path.join(args.data_dir, "train.tsv"), len(labels))
    dev = read_goemotions(os.path.join(args.data_dir, "dev.tsv"), len(labels))
    test = read_goemotions(os.path.join(args.data_dir, "test.tsv"), len(labels))

    start = time.perf_counter()
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32)
    x_train = sp.hstack([word.fit_transform(train[0]), char.fit_transform(train[0])]).tocsr()
    featurize_seconds = time.perf_counter() - start
    models = Parallel(n_jobs=args.threads)(delayed(fit_label)(x_train, train[1][:, j], args.c) for j in range(len(labels)))
    fit_seconds = time.perf_counter() - start

    def predict(texts):
        x = sp.hstack([word.transform(texts), char.transform(texts)]).tocsr()
        return np.column_stack([m.predict_proba(x)[:, 1] for m in models])

    thresholds = best_thresholds(predict(dev[0]), dev[1])
    predicted = (predict(test[0]) >= thresholds).astype(int)
    print(json.dumps({
        "macro_f1": f1_score(test[1], predicted, average="macro", zero_division=0),
        "micro_f1": f1_score(test[1], predicted, average="micro", zero_division=0),
        "fit_seconds": fit_seconds,
        "featurize_seconds": featurize_seconds,
        "features": x_train.shape[1],
        "nonzeros": int(x_train.nnz),
        "c": args.c,
    }))


if __name__ == "__main__":
    main()
