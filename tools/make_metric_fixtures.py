#!/usr/bin/python3
"""Reference values for Sentio.Evaluation, computed with scikit-learn 1.2.1.

Produces tests/Sentio.Tests/Fixtures/metrics/cases.json, which the tests in
tests/Sentio.Tests/Evaluation/ compare against to 1e-9.

Run from the repository root with Debian's python (it has sklearn 1.2.1 and numpy):

    /usr/bin/python3 tools/make_metric_fixtures.py

Contents:
  "cases": multi-label cases (seeded random ones of a few sizes, and edge cases: samples with no
    labels in truth and/or prediction, an all-zero and an all-one label column, a label never
    predicted, tied scores, a single sample). Each case holds truth, probabilities, per-label
    thresholds, predicted = probabilities >= thresholds, and every metric from sklearn:
    precision/recall/f1 for micro, macro, weighted, samples and None (zero_division=0),
    hamming_loss, accuracy_score, jaccard_score(average="samples", zero_division=1) as the
    hamming score (the only zero denominator in a per-sample Jaccard is a sample empty in both
    truth and prediction, so zero_division=1 is exactly the "both empty = 1" convention; it is also
    recomputed explicitly below and the two are asserted equal), classification_report(
    output_dict=True, zero_division=0), roc_auc_score and average_precision_score per column
    (roc_auc is null where the column has one class, as sklearn raises there; average precision of
    a column without positives is what sklearn 1.2.1 returns: 0, with a warning), and
    multilabel_confusion_matrix as [tn, fp, fn, tp] per label.
  "threshold_cases": validation probabilities (rounded so that ties occur) and truth, with the best
    per-label F1 and best global micro/macro F1 found by brute force over every candidate threshold
    (each distinct probability, and "predict none"), and the thresholds Sentio's documented rule
    should report: among candidates with the best F1 the highest wins, reported as the midpoint
    between it and the next lower distinct value (half of it when it is the lowest; for "predict
    none", the midpoint between the highest value and 1).
"""
import json
import os
import warnings
from fractions import Fraction

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    classification_report,
    f1_score,
    hamming_loss,
    jaccard_score,
    multilabel_confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
)

assert sklearn.__version__ == "1.2.1", sklearn.__version__
warnings.simplefilter("ignore")  # zero-division and "no positive class" warnings are expected here

OUT = os.path.join("tests", "Sentio.Tests", "Fixtures", "metrics", "cases.json")


def floats(a):
    return [float(x) for x in a]


def explicit_hamming_score(truth, predicted):
    scores = []
    for t, p in zip(truth, predicted):
        union = np.logical_or(t, p).sum()
        scores.append(1.0 if union == 0 else np.logical_and(t, p).sum() / union)
    return float(np.mean(scores))


def metric_case(name, truth, probabilities, thresholds):
    truth = np.asarray(truth, dtype=int)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    predicted = (probabilities >= thresholds).astype(int)
    labels = [f"label_{j}" for j in range(truth.shape[1])]
    case = {
        "name": name,
        "labels": labels,
        "truth": truth.tolist(),
        "probabilities": probabilities.tolist(),
        "thresholds": floats(thresholds),
        "predicted": predicted.tolist(),
    }
    for metric_name, metric in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        case[metric_name] = {
            average: float(metric(truth, predicted, average=average, zero_division=0))
            for average in ("micro", "macro", "weighted", "samples")
        }
        case[metric_name]["per_label"] = floats(metric(truth, predicted, average=None, zero_division=0))
    case["hamming_loss"] = float(hamming_loss(truth, predicted))
    case["subset_accuracy"] = float(accuracy_score(truth, predicted))
    hamming_score = float(jaccard_score(truth, predicted, average="samples", zero_division=1))
    assert abs(hamming_score - explicit_hamming_score(truth, predicted)) < 1e-12
    case["hamming_score"] = hamming_score
    case["classification_report"] = classification_report(
        truth, predicted, target_names=labels, output_dict=True, zero_division=0
    )
    roc_auc, average_precision = [], []
    for j in range(truth.shape[1]):
        column = truth[:, j]
        defined = len(np.unique(column)) == 2
        roc_auc.append(float(roc_auc_score(column, probabilities[:, j])) if defined else None)
        average_precision.append(float(average_precision_score(column, probabilities[:, j])))
    case["roc_auc"] = roc_auc
    case["average_precision"] = average_precision
    case["confusion"] = [m.ravel().tolist() for m in multilabel_confusion_matrix(truth, predicted)]
    return case


def random_case(name, rng, samples, labels, decimals=None):
    probabilities = rng.random((samples, labels))
    if decimals is not None:
        probabilities = np.round(probabilities, decimals)
    # Truth correlated with the probabilities so that the scores are informative but imperfect.
    truth = (rng.random((samples, labels)) < 0.3 + 0.5 * probabilities).astype(int)
    thresholds = np.round(rng.uniform(0.3, 0.7, labels), 2)
    return metric_case(name, truth, probabilities, thresholds)


def edge_cases():
    cases = []
    # Rows 0 and 1: no true labels; rows 0 and 2: no predicted labels (row 0 is empty in both, so its
    # hamming score is 1). Column 2 is all zero in truth and never predicted (sklearn 1.2.1 still counts
    # its 0 in the macro average); column 1 is true but never predicted (threshold 1 is above every score).
    truth = [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [1, 1, 0, 1],
        [1, 0, 0, 1],
        [0, 1, 0, 0],
        [1, 1, 0, 1],
    ]
    probabilities = [
        [0.10, 0.20, 0.30, 0.40],
        [0.60, 0.90, 0.45, 0.80],
        [0.40, 0.50, 0.10, 0.45],
        [0.55, 0.30, 0.20, 0.90],
        [0.20, 0.95, 0.35, 0.10],
        [0.80, 0.40, 0.05, 0.70],
    ]
    thresholds = [0.5, 1.0, 0.5, 0.5]
    case = metric_case("edge_empty_rows_zero_column_never_predicted", truth, probabilities, thresholds)
    truth, predicted = np.array(truth), np.array(case["predicted"])
    assert truth[0].sum() == 0 and truth[1].sum() == 0 and predicted[0].sum() == 0 and predicted[2].sum() == 0
    assert predicted[:, 1].sum() == 0 and truth[:, 2].sum() == 0 and predicted[:, 2].sum() == 0
    cases.append(case)

    # Column 0 is true for every sample (ROC-AUC undefined, AP defined); column 1 is predicted for every sample.
    truth = [[1, 0, 1], [1, 1, 0], [1, 0, 0], [1, 1, 1]]
    probabilities = [[0.7, 0.6, 0.9], [0.4, 0.8, 0.3], [0.9, 0.55, 0.6], [0.2, 0.9, 0.4]]
    case = metric_case("edge_all_one_column", truth, probabilities, [0.5, 0.5, 0.5])
    assert np.array(truth)[:, 0].all() and np.array(case["predicted"])[:, 1].all()
    cases.append(case)

    # Tied scores within and across classes (ROC-AUC and AP must group ties).
    truth = [[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 1], [0, 0, 0]]
    probabilities = [
        [0.5, 0.5, 0.3],
        [0.5, 0.5, 0.3],
        [0.7, 0.2, 0.3],
        [0.2, 0.2, 0.9],
        [0.5, 0.7, 0.3],
        [0.2, 0.7, 0.9],
        [0.7, 0.5, 0.3],
        [0.5, 0.2, 0.3],
    ]
    cases.append(metric_case("edge_tied_scores", truth, probabilities, [0.5, 0.5, 0.3]))

    # One sample.
    cases.append(metric_case("edge_single_sample", [[1, 0, 1]], [[0.9, 0.6, 0.2]], [0.5, 0.5, 0.5]))

    # Nothing true and nothing predicted anywhere: every zero-division rule at once.
    cases.append(
        metric_case("edge_all_empty", [[0, 0], [0, 0], [0, 0]], [[0.1, 0.2], [0.3, 0.4], [0.2, 0.1]], [0.5, 0.5])
    )

    # Nothing true, something predicted.
    cases.append(
        metric_case("edge_no_truth_some_predicted", [[0, 0], [0, 0], [0, 0]], [[0.6, 0.2], [0.3, 0.4], [0.2, 0.9]], [0.5, 0.5])
    )
    return cases


def exact_f1(truth, predicted):
    """F1 = 2tp / (tp + fp + positives) as an exact fraction, so equal F1s compare equal (ties are broken by
    the rule, not by rounding); checked against sklearn's value."""
    tp = int(np.logical_and(truth, predicted).sum())
    denominator = int(predicted.sum()) + int(truth.sum())
    value = Fraction(2 * tp, denominator) if denominator else Fraction(0)
    assert abs(float(value) - f1_score(truth.ravel(), predicted.ravel(), zero_division=0)) < 1e-12
    return value


def best_f1_threshold(column_probabilities, column_truth):
    """Brute force: F1 of every candidate; the highest candidate among the best wins."""
    values = np.unique(column_probabilities)[::-1]  # distinct, descending
    best_f1, best_index = Fraction(0), -1  # "predict none"
    for k, value in enumerate(values):
        f1 = exact_f1(column_truth, (column_probabilities >= value).astype(int))
        if f1 > best_f1:
            best_f1, best_index = f1, k
    return float(best_f1), reported_threshold(values, best_index)


def reported_threshold(values_descending, index):
    if index == -1:
        return (values_descending[0] + 1.0) / 2.0
    if index == len(values_descending) - 1:
        return values_descending[index] / 2.0
    return (values_descending[index] + values_descending[index + 1]) / 2.0


def threshold_case(name, rng, samples, labels):
    probabilities = np.round(rng.random((samples, labels)), 2)
    truth = (rng.random((samples, labels)) < 0.1 + 0.7 * probabilities).astype(int)
    truth[:, labels - 1] = 0  # a label without positives: the tuner falls back to the global threshold
    per_label_best, per_label_threshold = [], []
    for j in range(labels - 1):
        f1, threshold = best_f1_threshold(probabilities[:, j], truth[:, j])
        per_label_best.append(float(f1))
        per_label_threshold.append(float(threshold))
    values = np.unique(probabilities)[::-1]
    global_best = {}
    for objective, average in (("micro_f1", "micro"), ("macro_f1", "macro")):
        # Micro F1 is compared exactly; macro F1, a mean of fractions, as computed doubles (as Sentio does).
        best_f1, best_index = 0, -1
        for k, value in enumerate(values):
            predicted = (probabilities >= value).astype(int)
            f1 = exact_f1(truth, predicted) if average == "micro" else f1_score(truth, predicted, average="macro", zero_division=0)
            if f1 > best_f1:
                best_f1, best_index = f1, k
        global_best[objective] = {"f1": float(best_f1), "threshold": float(reported_threshold(values, best_index))}
    return {
        "name": name,
        "labels": [f"label_{j}" for j in range(labels)],
        "truth": truth.tolist(),
        "probabilities": probabilities.tolist(),
        "per_label_best_f1": per_label_best + [0.0],
        "per_label_threshold": per_label_threshold + [None],
        "fallback_labels": [f"label_{labels - 1}"],
        "global": global_best,
    }


def main():
    rng = np.random.default_rng(20240611)
    cases = [
        random_case("random_20x3", rng, 20, 3),
        random_case("random_60x6", rng, 60, 6),
        random_case("random_150x10_ties", rng, 150, 10, decimals=1),
    ]
    cases += edge_cases()
    threshold_cases = [threshold_case("threshold_80x5", rng, 80, 5), threshold_case("threshold_30x3", rng, 30, 3)]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"sklearn_version": sklearn.__version__, "cases": cases, "threshold_cases": threshold_cases}, f)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
