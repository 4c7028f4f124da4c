#!/usr/bin/python3
"""Writes metrics.json: predictions, labels and scikit-learn's metric values on them.

Run from this folder: /usr/bin/python3 make_metrics.py
The Go tests in package eval recompute every metric and compare to 1e-9.

Conventions the Go side follows:
  binary:     y in {0,1}; score = positive-class probability; labels predicted at
              score >= 0.5; log loss clips like sklearn 1.2 (eps="auto": float64 machine epsilon).
  multiclass: y and pred are class indices; proba rows over all classes.
  regression: MAPE like sklearn's mean_absolute_percentage_error.
"""
import json

import numpy as np
import sklearn
from sklearn import metrics as M

rng = np.random.default_rng(7)
cases = []


def binary(name, y, s):
    y = np.asarray(y, dtype=int)
    s = np.asarray(s, dtype=float)
    pred = (s >= 0.5).astype(int)
    want = {
        "accuracy": M.accuracy_score(y, pred),
        "precision": M.precision_score(y, pred, zero_division=0),
        "recall": M.recall_score(y, pred, zero_division=0),
        "f1": M.f1_score(y, pred, zero_division=0),
        "brier": M.brier_score_loss(y, s),
        "logloss": M.log_loss(y, s, labels=[0, 1]),
    }
    if len(set(y.tolist())) == 2:
        want["auc"] = M.roc_auc_score(y, s)
        want["prAuc"] = M.average_precision_score(y, s)
    cases.append({"name": name, "task": "binary-classification",
                  "y": y.tolist(), "score": s.tolist(),
                  "want": {k: float(v) for k, v in want.items()}})


def multiclass(name, y, proba):
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    pred = proba.argmax(axis=1)
    k = proba.shape[1]
    want = {
        "accuracy": M.accuracy_score(y, pred),
        "macroF1": M.f1_score(y, pred, average="macro", zero_division=0),
        "logloss": M.log_loss(y, proba, labels=list(range(k))),
    }
    cases.append({"name": name, "task": "multiclass-classification",
                  "y": y.tolist(), "proba": proba.tolist(),
                  "want": {k: float(v) for k, v in want.items()}})


def regression(name, y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    want = {
        "rmse": float(np.sqrt(M.mean_squared_error(y, p))),
        "mae": M.mean_absolute_error(y, p),
        "r2": M.r2_score(y, p),
        "mape": M.mean_absolute_percentage_error(y, p),
    }
    cases.append({"name": name, "task": "regression", "y": y.tolist(),
                  "pred": p.tolist(), "want": {k: float(v) for k, v in want.items()}})


# binary: smooth scores, heavy ties, extremes 0 and 1 (log loss clipping), one class
n = 400
y = rng.integers(0, 2, n)
binary("smooth", y, np.clip(0.3 * y + rng.normal(0.35, 0.2, n), 0.001, 0.999))
binary("ties", y, np.round(np.clip(0.2 * y + rng.uniform(0, 0.8, n), 0, 1), 1))
binary("extremes", [0, 0, 1, 1, 1, 0, 1, 0], [0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.9, 0.2])
binary("all same score", [0, 1, 1, 0, 1], [0.5] * 5)
binary("one class", [1, 1, 1, 1], [0.2, 0.9, 0.6, 0.7])
binary("no predicted positive", [0, 1, 1, 0], [0.1, 0.2, 0.3, 0.4])

# multiclass: 4 classes, one never predicted; extremes for clipping
k, n = 4, 300
y = rng.integers(0, k, n)
logits = rng.normal(0, 1, (n, k))
logits[np.arange(n), y] += 1.2
logits[:, 3] -= 4
pr = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
multiclass("softmax", y, pr)
multiclass("extremes", [0, 1, 2, 2], [[1, 0, 0], [0.2, 0.8, 0], [0, 0, 1], [0.5, 0.5, 0]])

# regression: noisy line, a zero target (MAPE eps), a constant target (R² rule)
n = 300
x = rng.uniform(0, 10, n)
yt = 3 * x + rng.normal(0, 2, n)
regression("line", yt, 3 * x + rng.normal(0, 1, n))
regression("zero target", [0.0, 1.0, 2.0, -3.0], [0.5, 1.5, 1.0, -2.0])
regression("constant target", [2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
regression("perfect constant", [2.0, 2.0], [2.0, 2.0])

with open("metrics.json", "w") as f:
    json.dump({"sklearn": sklearn.__version__, "cases": cases}, f, indent=None)
    f.write("\n")
