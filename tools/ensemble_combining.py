#!/usr/bin/python3
"""How two or more runs' probabilities are best combined: the weighted mean of probabilities (what `sentio ensemble`
does) against the weighted mean of logits (log-odds), each with weights from a grid searched exhaustively and
per-label thresholds tuned on validation (grid 0.01..0.99), scored on test.

Reads each run's predictions/{validation,test}.csv (columns id, {label}_true..., {label}_probability...); numpy only.
Run: /usr/bin/python3 tools/ensemble_combining.py RUN_A RUN_B [RUN_C ...]
"""
import csv
import itertools
import sys

import numpy as np

GRID = np.arange(0.01, 1.0, 0.01)
WEIGHTS = [0, 0.5, 1, 1.5, 2, 3]  # RunEnsemble.WeightGrid


def load(run, split):
    rows = list(csv.reader(open(f"{run}/predictions/{split}.csv")))
    head, body = rows[0], np.array(rows[1:])
    truth = body[:, [i for i, c in enumerate(head) if c.endswith("_true")]].astype(float)
    probabilities = body[:, [i for i, c in enumerate(head) if c.endswith("_probability")]].astype(float)
    return truth, np.clip(probabilities, 1e-7, 1 - 1e-7)


def f1_at_grid(truth, scores):
    """F1 of one label at every grid threshold: [thresholds]."""
    predicted = scores[:, None] >= GRID[None, :]
    tp = (predicted & (truth[:, None] == 1)).sum(0)
    fp, fn = predicted.sum(0) - tp, truth.sum() - tp
    return np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)


def macro_f1(truth, scores, thresholds):
    predicted = scores >= thresholds[None, :]
    tp = (predicted & (truth == 1)).sum(0)
    fp, fn = predicted.sum(0) - tp, truth.sum(0) - tp
    return float(np.mean(np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)))


def combine(probabilities, weights, rule):
    w = np.array(weights, dtype=float) / sum(weights)
    if rule == "probabilities":
        return sum(wi * p for wi, p in zip(w, probabilities))
    z = sum(wi * np.log(p / (1 - p)) for wi, p in zip(w, probabilities))
    return 1 / (1 + np.exp(-z))


def main():
    runs = sys.argv[1:]
    validation = [load(r, "validation") for r in runs]
    test = [load(r, "test") for r in runs]
    truth_v, truth_t = validation[0][0], test[0][0]
    for rule in ("probabilities", "logits"):
        best = None
        for weights in itertools.product(WEIGHTS, repeat=len(runs)):
            if sum(weights) == 0:
                continue
            scores = combine([v[1] for v in validation], weights, rule)
            thresholds = np.array([GRID[int(np.argmax(f1_at_grid(truth_v[:, j], scores[:, j])))] for j in range(scores.shape[1])])
            f1 = macro_f1(truth_v, scores, thresholds)
            if best is None or f1 > best[0]:
                best = (f1, weights, thresholds)
        f1, weights, thresholds = best
        test_f1 = macro_f1(truth_t, combine([t[1] for t in test], weights, rule), thresholds)
        print(f"mean of {rule:13s}: weights {weights}, validation macro-F1 {f1:.4f}, test macro-F1 {test_f1:.4f}")


if __name__ == "__main__":
    main()
