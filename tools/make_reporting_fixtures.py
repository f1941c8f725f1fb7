#!/usr/bin/python3
"""Reference curves for Sentio.Reporting.Curves, from scikit-learn 1.2.1.

Writes tests/Sentio.Tests/Fixtures/reporting/curves.json: three score columns of 60 samples (seeded), one with
continuous scores, one rounded to 1 decimal (many ties), one with scores placed exactly on the calibration bin
edges, each with
  roc:         roc_curve(truth, scores, drop_intermediate=False) -> fpr, tpr, thresholds
  pr:          precision_recall_curve(truth, scores) -> precision, recall, thresholds
  calibration: calibration_curve(truth, scores, n_bins=b, strategy="uniform") -> prob_true, prob_pred, for b = 10 and 7

Run with Debian's python3-sklearn:  /usr/bin/python3 tools/make_reporting_fixtures.py
"""
import json, os

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

assert sklearn.__version__ == "1.2.1", sklearn.__version__

rng = np.random.default_rng(2026)
n = 60
columns = []
for kind in ["continuous", "ties", "bin_edges"]:
    truth = rng.random(n) < 0.35
    if kind == "bin_edges":
        # k * (1/7) and k * (1/10) are the bin edges numpy's linspace computes for 7 and 10 bins
        edges = np.concatenate([np.arange(8) * (1.0 / 7), np.arange(11) * (1.0 / 10)])
        scores = rng.choice(edges, size=n)
    else:
        scores = np.clip(0.3 * truth + 0.7 * rng.random(n), 0, 1)
        if kind == "ties":
            scores = np.round(scores, 1)
    fpr, tpr, roc_thresholds = roc_curve(truth, scores, drop_intermediate=False)
    precision, recall, pr_thresholds = precision_recall_curve(truth, scores)
    calibration = {}
    for bins in (10, 7):
        prob_true, prob_pred = calibration_curve(truth, scores, n_bins=bins, strategy="uniform")
        calibration[str(bins)] = {"prob_true": prob_true.tolist(), "prob_pred": prob_pred.tolist()}
    columns.append({
        "name": kind,
        "truth": [bool(t) for t in truth],
        "scores": scores.tolist(),
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": roc_thresholds.tolist()},
        "pr": {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": pr_thresholds.tolist()},
        "calibration": calibration,
    })

out = os.path.join(os.path.dirname(__file__), "..", "tests", "Sentio.Tests", "Fixtures", "reporting", "curves.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"sklearn": sklearn.__version__, "columns": columns}, f, indent=1)
print(f"wrote {out}")
