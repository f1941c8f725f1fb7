#!/usr/bin/python3
"""Writes reference fixtures for Sentio's linear n-gram model, computed by scikit-learn.

Output: tests/Sentio.Tests/Fixtures/linear/tfidf.json — TF-IDF matrices of a few texts from
TfidfVectorizer (word 1-2-grams and char_wb 2-5-grams, sublinear tf, smooth idf, l2 norm) as
{term: value} per row, plus idf per term; and logistic_regression.json — a small random sparse problem,
the probabilities and coefficients of LogisticRegression(solver='liblinear', C) fitted to high precision.

Run from the repository root with Debian's python3-sklearn:  /usr/bin/python3 tools/make_linear_fixtures.py
"""
import json
import os

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "Sentio.Tests", "Fixtures", "linear")

TEXTS = [
    "I love this so much!!",
    "This is the WORST day, I hate it.",
    "love love love [NAME] is great",
    "Café au lait?  Not   my thing.",
    "a I x",
    "Thanks for sharing, I love it",
    "worst movie ever, hate hate",
]


def tfidf_case(analyzer, ngram_range, min_df):
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, min_df=min_df, sublinear_tf=True)
    matrix = vectorizer.fit_transform(TEXTS)
    terms = vectorizer.get_feature_names_out()
    rows = []
    for r in range(matrix.shape[0]):
        row = matrix.getrow(r)
        rows.append({terms[c]: float(v) for c, v in zip(row.indices, row.data)})
    return {
        "analyzer": analyzer, "min_n": ngram_range[0], "max_n": ngram_range[1], "min_df": min_df,
        "idf": {t: float(v) for t, v in zip(terms, vectorizer.idf_)},
        "rows": rows,
    }


def logistic_case(c, class_weight, seed):
    rng = np.random.default_rng(seed)
    n, d = 60, 12
    x = rng.random((n, d)) * (rng.random((n, d)) < 0.3)
    w = rng.normal(size=d)
    y = (x @ w + 0.3 * rng.normal(size=n) > np.median(x @ w)).astype(int)
    model = LogisticRegression(C=c, solver="liblinear", tol=1e-10, max_iter=100000, class_weight=class_weight).fit(x, y)
    return {
        "c": c, "class_weight": class_weight or "none",
        "x": x.tolist(), "y": y.tolist(),
        "coefficients": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]),
        "probabilities": model.predict_proba(x)[:, 1].tolist(),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tfidf.json"), "w") as f:
        json.dump({"texts": TEXTS, "cases": [tfidf_case("word", (1, 2), 1), tfidf_case("char_wb", (2, 5), 2)]}, f, indent=1)
    with open(os.path.join(OUT, "logistic_regression.json"), "w") as f:
        json.dump({"cases": [logistic_case(1.0, None, 1), logistic_case(10.0, None, 2), logistic_case(0.5, "balanced", 3)]}, f)


if __name__ == "__main__":
    main()
