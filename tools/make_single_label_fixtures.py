#!/usr/bin/python3
"""Reference values for single-label (multi-class) classification, computed with scikit-learn 1.2.1.

Produces tests/Sentio.Tests/Fixtures/single_label/cases.json, which tests/Sentio.Tests/Evaluation/SingleLabelMetricsTests.cs,
tests/Sentio.Tests/Models/MultinomialLogisticRegressionTests.cs and tests/Sentio.Tests/Training/SingleLabelLossTests.cs
compare against. The loss cases come from torch (1.13).

    /usr/bin/python3 tools/make_single_label_fixtures.py

Contents:
  "metric_cases": seeded random truth / prediction pairs (a few sizes; one where a class is never predicted, one
    where a class is absent from truth and prediction, one all correct, one sample) with accuracy_score,
    precision_recall_fscore_support(labels=range(n), average=None / micro / macro / weighted, zero_division=0),
    confusion_matrix(labels=range(n)) and classification_report(output_dict=True, zero_division=0).
  "multinomial": a small dense problem (X [60, 5], 3 classes), LogisticRegression(multi_class='multinomial',
    solver='lbfgs', C=0.7, tol=1e-12, max_iter=100000): coef_ [classes, features], intercept_ [classes] and
    predict_proba on X; "multinomial_balanced": the same with class_weight='balanced' (solver='newton-cg', which converges
    where lbfgs stops early on these weights).
  "ngram_multinomial": texts with one class each (anger, joy, sadness), TfidfVectorizer(word 1-2-grams, min_df 1,
    sublinear tf) then LogisticRegression(multi_class='multinomial', solver='newton-cg', C=2, tol=1e-12): predict_proba of
    the training texts and of probe texts, for tests/Sentio.Tests/Models/NGramLinearTests.cs.
  "losses": logits [12, 4] and targets with torch.nn.functional.cross_entropy (no weights, class weights) and the
    multi-class focal loss sum_i w_y (1 - p_iy)^gamma (-log p_iy) / sum_i w_y (gamma 2, without and with the weights),
    computed in float64 by torch; plus balanced class weights n / (classes * count) of a one-hot target matrix.
"""
import json
import os
import warnings

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix,
                             precision_recall_fscore_support)

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "Sentio.Tests", "Fixtures", "single_label", "cases.json")


def metric_case(name, truth, predicted, classes):
    labels = list(range(classes))
    case = {"name": name, "classes": classes, "truth": [int(t) for t in truth], "predicted": [int(p) for p in predicted],
            "accuracy": accuracy_score(truth, predicted),
            "confusion_matrix": confusion_matrix(truth, predicted, labels=labels).tolist()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=labels, average=None, zero_division=0)
        case["per_class"] = {"precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist()}
        for average in ("micro", "macro", "weighted"):
            p, r, f, _ = precision_recall_fscore_support(truth, predicted, labels=labels, average=average, zero_division=0)
            case[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
        case["report"] = classification_report(truth, predicted, labels=labels, output_dict=True, zero_division=0)
    return case


NGRAM_TEXTS = [
    ("i am so happy today", "joy"), ("what a lovely surprise, thank you", "joy"), ("best day ever!!", "joy"),
    ("i love this so much", "joy"), ("so glad you came", "joy"), ("this made me smile", "joy"),
    ("i hate this, it is the worst", "anger"), ("stop lying to me", "anger"), ("this is outrageous and unfair", "anger"),
    ("i am furious with you", "anger"), ("get out of my way", "anger"), ("worst service, i hate it", "anger"),
    ("i miss her so much", "sadness"), ("i cried all night", "sadness"), ("this is so sad and lonely", "sadness"),
    ("nobody came to my party", "sadness"), ("i feel empty today", "sadness"), ("losing him broke my heart", "sadness"),
]
NGRAM_PROBES = ["so happy and glad", "i hate lying", "so sad today", "unseen words only", ""]


def ngram_multinomial():
    texts = [t for t, _ in NGRAM_TEXTS]
    classes = sorted({c for _, c in NGRAM_TEXTS})
    y = [classes.index(c) for _, c in NGRAM_TEXTS]
    vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    x = vectorizer.fit_transform(texts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(multi_class="multinomial", solver="newton-cg", C=2.0, tol=1e-12, max_iter=100000).fit(x, y)
    return {"texts": texts, "labels": [c for _, c in NGRAM_TEXTS], "classes": classes, "c": 2.0, "probes": NGRAM_PROBES,
            "train_proba": model.predict_proba(x).tolist(),
            "probe_proba": model.predict_proba(vectorizer.transform(NGRAM_PROBES)).tolist()}


def focal(logits, targets, gamma, weight=None):
    log_p = F.log_softmax(logits, dim=1).gather(1, targets[:, None])[:, 0]
    terms = -(1 - log_p.exp()) ** gamma * log_p
    w = torch.ones_like(terms) if weight is None else weight[targets]
    return float((terms * w).sum() / w.sum())


def losses():
    generator = torch.Generator().manual_seed(2019)
    logits = torch.randn(12, 4, generator=generator, dtype=torch.float64) * 2
    targets = torch.tensor([0, 1, 2, 3, 0, 0, 1, 2, 0, 3, 1, 0])
    weight = torch.tensor([0.5, 1.25, 2.0, 0.8], dtype=torch.float64)
    one_hot = F.one_hot(targets, 4).numpy()
    counts = one_hot.sum(axis=0)
    return {"logits": logits.tolist(), "targets": targets.tolist(), "class_weights": weight.tolist(),
            "cross_entropy": float(F.cross_entropy(logits, targets)),
            "cross_entropy_weighted": float(F.cross_entropy(logits, targets, weight=weight)),
            "focal_gamma": 2.0,
            "focal": focal(logits, targets, 2.0),
            "focal_weighted": focal(logits, targets, 2.0, weight),
            "balanced_class_weights": (len(targets) / (4 * counts)).tolist()}


def main():
    rng = np.random.default_rng(2018)
    cases = []
    for n, k in ((20, 3), (200, 6), (1000, 11)):
        truth = rng.integers(0, k, n)
        predicted = np.where(rng.random(n) < 0.6, truth, rng.integers(0, k, n))
        cases.append(metric_case(f"random_{n}x{k}", truth, predicted, k))
    truth = rng.integers(0, 4, 50)
    cases.append(metric_case("class_never_predicted", truth, np.where(truth == 3, 0, truth), 4))
    truth = rng.integers(0, 3, 40)
    cases.append(metric_case("class_absent_everywhere", truth, np.where(rng.random(40) < 0.5, truth, 0), 4))
    cases.append(metric_case("all_correct", [0, 1, 2, 1], [0, 1, 2, 1], 3))
    cases.append(metric_case("one_sample", [1], [0], 2))
    cases.append(metric_case("worked_example", [0, 0, 1, 2], [0, 1, 1, 1], 3))

    x = rng.normal(size=(60, 5))
    true_w = rng.normal(size=(3, 5)) * 1.5
    y = np.argmax(x @ true_w.T + rng.gumbel(size=(60, 3)), axis=1)
    model = LogisticRegression(multi_class="multinomial", solver="lbfgs", C=0.7, tol=1e-12, max_iter=100000).fit(x, y)
    multinomial = {"x": x.tolist(), "y": y.tolist(), "c": 0.7, "coef": model.coef_.tolist(),
                   "intercept": model.intercept_.tolist(), "proba": model.predict_proba(x).tolist()}

    # newton-cg: with these weights lbfgs stops on scipy's ftol with a gradient of 3e-4; newton-cg reaches 1e-8.
    # Its last line search cannot improve any further and warns; the solution is converged.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        balanced = LogisticRegression(multi_class="multinomial", solver="newton-cg", C=0.7, tol=1e-12, max_iter=100000,
                                      class_weight="balanced").fit(x, y)
    multinomial_balanced = {"c": 0.7, "coef": balanced.coef_.tolist(), "intercept": balanced.intercept_.tolist(),
                            "proba": balanced.predict_proba(x).tolist()}

    with open(OUT, "w") as f:
        json.dump({"sklearn": sklearn.__version__, "torch": torch.__version__, "metric_cases": cases, "multinomial": multinomial,
                   "multinomial_balanced": multinomial_balanced, "ngram_multinomial": ngram_multinomial(), "losses": losses()}, f, indent=1)
    print(f"{OUT}: {len(cases)} metric cases, multinomial {x.shape}")


if __name__ == "__main__":
    main()
