#!/usr/bin/python3
"""Peer benchmark: scikit-learn on the same flights split as ferry's Go benchmarks.

Train on January 2001, evaluate on February (flights-3m from vega-datasets):
features hour, weekday, distance, origin, destination; label delay > 15 minutes.
Python here cannot read Parquet, so the CSVs come from Go:

    D=$(scripts/vega-data.sh)
    go run ./runners/train/testdata/bench/flightscsv -data $D -from 2001-01-01 -before 2001-02-01 -out /tmp/flights-jan.csv
    go run ./runners/train/testdata/bench/flightscsv -data $D -from 2001-02-01 -before 2001-03-01 -out /tmp/flights-feb.csv
    /usr/bin/python3 runners/train/testdata/bench/sklearn_flights.py /tmp/flights-jan.csv /tmp/flights-feb.csv

Settings mirror ferry's defaults: gradient boosting with 100 trees of depth 6,
learning rate 0.1, 20 rows per leaf, 255 bins, no L2, no early stopping, native
categorical splits; logistic regression with C=1 on standardised numbers and
one-hot categories (L-BFGS). Times cover fitting, preprocessing included.
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

NUM = ["hour", "weekday", "distance"]
CAT = ["origin", "destination"]


def load(path):
    df = pd.read_csv(path, dtype={"origin": str, "destination": str})
    return df[NUM + CAT], df["delayed"].to_numpy()


def gbt(xtr, ytr, xev, yev, trees=100, depth=6):
    pre = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), CAT)],
        remainder="passthrough")
    clf = HistGradientBoostingClassifier(
        max_iter=trees, learning_rate=0.1, max_depth=depth, max_leaf_nodes=None,
        min_samples_leaf=20, l2_regularization=0.0, max_bins=255, early_stopping=False,
        categorical_features=[0, 1], random_state=0)
    model = make_pipeline(pre, clf)
    t0 = time.perf_counter()
    model.fit(xtr, ytr)
    secs = time.perf_counter() - t0
    return roc_auc_score(yev, model.predict_proba(xev)[:, 1]), secs


def logistic(xtr, ytr, xev, yev):
    pre = ColumnTransformer([
        ("num", StandardScaler(), NUM),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CAT)])
    model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=1000))
    t0 = time.perf_counter()
    model.fit(xtr, ytr)
    secs = time.perf_counter() - t0
    return roc_auc_score(yev, model.predict_proba(xev)[:, 1]), secs


def main():
    xtr, ytr = load(sys.argv[1])
    xev, yev = load(sys.argv[2])
    print(f"train {len(ytr)} rows, eval {len(yev)} rows")
    only = sys.argv[3:]  # optional: gradient-boosting, logistic-regression
    for name, fn in [("gradient-boosting", gbt), ("logistic-regression", logistic)]:
        if only and name not in only:
            continue
        c0 = time.process_time()
        auc, secs = fn(xtr, ytr, xev, yev)
        cpu = time.process_time() - c0
        print(f"{name}\tauc {auc:.4f}\tseconds {secs:.2f}\tcpu-seconds {cpu:.2f} (fit and predict)", flush=True)


if __name__ == "__main__":
    main()
