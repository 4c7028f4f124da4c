#!/usr/bin/python3
"""A ferry exec trainer: scikit-learn LogisticRegression exported to ONNX by hand.

It follows ferry's exec contract (see README.md): the splits, parameters and an
output folder come in environment variables; it writes $FERRY_OUTPUT/model.onnx
and $FERRY_OUTPUT/metrics.json. The model takes one input per raw feature column,
as ferry's builtin models do (numbers float [N,1], categories string [N,1]), and
carries its preprocessing: mean imputation and standard scaling of numbers,
one-hot encoding of categories (unseen levels encode as all zeros).

skl2onnx is not needed: the graph is a handful of ai.onnx.ml operators built with
onnx.helper.
"""
import json
import os
import sys

import numpy as np
import onnx
import pandas as pd
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score


def env(name):
    value = os.environ.get(name)
    if value is None:
        sys.exit(f"train.py: ${name} is not set; run me through `ferry train`")
    return value


def split_list(value):
    return [v for v in value.split(",") if v]


def label_text(v):
    """Class labels as ferry writes them: 1.0 -> "1", "yes" -> "yes"."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def load(path, features, categories, target):
    dtypes = {c: str for c in categories}
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in features if c not in categories})
    for c in categories:
        df[c] = df[c].fillna("")
    return df


def main():
    features = split_list(env("FERRY_FEATURES"))
    categories = split_list(os.environ.get("FERRY_CATEGORIES", ""))
    numbers = [f for f in features if f not in categories]
    target = env("FERRY_TARGET")
    task = env("FERRY_TASK")
    if task not in ("binary-classification", "multiclass-classification"):
        sys.exit(f"train.py: task {task} is not supported (logistic regression classifies)")
    with open(env("FERRY_PARAMS")) as fh:
        params = json.load(fh)
    unknown = sorted(set(params) - {"C", "maxIter", "maxCategories"})
    if unknown:
        sys.exit(f"train.py: unknown params {unknown} (known: C, maxCategories, maxIter)")
    C = float(params.get("C", 1.0))
    max_iter = int(params.get("maxIter", 1000))
    max_categories = int(params.get("maxCategories", 1000))
    out = env("FERRY_OUTPUT")

    train = load(env("FERRY_TRAIN"), features, categories, target)
    evals = load(env("FERRY_EVAL"), features, categories, target)
    train = train[train[target].astype(str) != ""]

    # Preprocessing, fitted here and written into the graph below.
    means = [float(train[c].astype(float).mean()) if train[c].notna().any() else 0.0 for c in numbers]
    scales = []
    for c, m in zip(numbers, means):
        std = float(train[c].astype(float).fillna(m).std(ddof=0))
        scales.append(1.0 / std if std > 0 else 1.0)
    levels = {}
    for c in categories:
        counts = train[c][train[c] != ""].value_counts()
        top = sorted(counts.index, key=lambda l: (-counts[l], l))[:max_categories]
        levels[c] = sorted(top)

    def design(df):
        parts = []
        if numbers:
            x = df[numbers].astype(float).to_numpy(dtype=np.float32)
            for j, m in enumerate(means):
                col = x[:, j]
                col[np.isnan(col)] = np.float32(m)
                x[:, j] = (col - np.float32(m)) * np.float32(scales[j])
            parts.append(x)
        for c in categories:
            index = {l: i for i, l in enumerate(levels[c])}
            oh = np.zeros((len(df), len(levels[c])), dtype=np.float32)
            for r, v in enumerate(df[c]):
                if v in index:
                    oh[r, index[v]] = 1
            parts.append(oh)
        return np.hstack(parts)

    y_text = train[target].map(label_text)
    classes = sorted(y_text.unique(), key=lambda s: (float(s), s) if _is_number(s) else (float("inf"), s))
    if task == "binary-classification" and len(classes) != 2:
        sys.exit(f"train.py: binary classification needs 2 classes, found {classes[:10]}")
    y = y_text.map({c: i for i, c in enumerate(classes)}).to_numpy()
    clf = LogisticRegression(C=C, max_iter=max_iter)
    clf.fit(design(train), y)
    print(f"fitted on {len(y)} rows, {clf.n_iter_[0]} iterations", flush=True)

    model = build_onnx(numbers, categories, features, means, scales, levels, clf, classes, target, task)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "model.onnx"))

    # Metrics on the eval split, with the same preprocessing.
    evals = evals[evals[target].astype(str) != ""]
    if len(evals):
        ye = evals[target].map(label_text).map({c: i for i, c in enumerate(classes)})
        known = ye.notna().to_numpy()
        proba = clf.predict_proba(design(evals))[known]
        ye = ye[known].astype(int).to_numpy()
        metrics = {"accuracy": float(accuracy_score(ye, proba.argmax(axis=1))),
                   "logloss": float(log_loss(ye, proba, labels=list(range(len(classes)))))}
        if len(classes) == 2 and len(set(ye)) == 2:
            metrics["auc"] = float(roc_auc_score(ye, proba[:, 1]))
        with open(os.path.join(out, "metrics.json"), "w") as fh:
            json.dump(metrics, fh, indent=2, sort_keys=True)
        print("eval:", json.dumps(metrics, sort_keys=True), flush=True)


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def build_onnx(numbers, categories, features, means, scales, levels, clf, classes, target, task):
    ml = "ai.onnx.ml"
    inputs, nodes, parts = [], [], []
    for f in features:
        elem = TensorProto.STRING if f in categories else TensorProto.FLOAT
        inputs.append(helper.make_tensor_value_info(f, elem, ["N", 1]))
    if numbers:
        nodes += [
            helper.make_node("Concat", numbers, ["ferry.numbers"], axis=1),
            helper.make_node("Imputer", ["ferry.numbers"], ["ferry.numbers_imputed"], domain=ml,
                             imputed_value_floats=means, replaced_value_float=float("nan")),
            helper.make_node("Scaler", ["ferry.numbers_imputed"], ["ferry.numbers_scaled"], domain=ml,
                             offset=means, scale=scales),
        ]
        parts.append("ferry.numbers_scaled")
    for j, c in enumerate(categories):
        if not levels[c]:
            continue
        nodes += [
            # zeros=1: a level not seen in training encodes as all zeros.
            helper.make_node("OneHotEncoder", [c], [f"ferry.onehot{j}"], domain=ml, cats_strings=levels[c], zeros=1),
            helper.make_node("Flatten", [f"ferry.onehot{j}"], [f"ferry.onehot{j}_flat"], axis=1),
        ]
        parts.append(f"ferry.onehot{j}_flat")
    nodes.append(helper.make_node("Concat", parts, ["ferry.features"], axis=1))
    coef = clf.coef_.astype(np.float32)
    intercept = clf.intercept_.astype(np.float32)
    if len(classes) == 2:
        # Rows -w and w: scores [-s, s], so LOGISTIC gives [1-p, p].
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
        transform = "LOGISTIC"
    else:
        transform = "SOFTMAX"
    nodes.append(helper.make_node(
        "LinearClassifier", ["ferry.features"], ["label", "probabilities"], domain=ml,
        classlabels_strings=classes, coefficients=coef.ravel().tolist(),
        intercepts=intercept.tolist(), multi_class=0, post_transform=transform))
    outputs = [
        helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)]),
    ]
    graph = helper.make_graph(nodes, "sklearn-logistic", inputs, outputs)
    model = helper.make_model(graph, producer_name="ferry-example-sklearn",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ml, 3)])
    model.ir_version = 8
    for k, v in [("classes", ",".join(classes)), ("features", ",".join(features)),
                 ("producer", "ferry-example-sklearn"), ("runId", os.environ.get("FERRY_RUN_ID", "")),
                 ("target", target), ("task", task)]:
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    return model


if __name__ == "__main__":
    main()
