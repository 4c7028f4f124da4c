#!/usr/bin/python3
"""Trains the serving benchmark's model: scikit-learn's GradientBoostingClassifier
on the flights CSV (flightscsv/main.go makes it), saved twice:

  gbt.pkl   the sklearn model, which fastapi_server.py serves;
  gbt.onnx  the same trees as an ONNX graph ferry serves, written with onnx.helper
            (skl2onnx is not available): one float [N,1] input per feature ->
            Concat -> ai.onnx.ml TreeEnsembleClassifier (BRANCH_LEQ, the prior's
            log-odds as base value, learning rate folded into the leaf weights,
            LOGISTIC) -> label int64[N], probabilities float[N,2];
  gbt.expected.json  sklearn's predict_proba on the first 256 rows, which the Go
            benchmark checks onnxruntime against before measuring.

  /usr/bin/python3 train_gbt.py FLIGHTS.csv OUTDIR [TREES] [DEPTH]
"""
import json
import os
import pickle
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble import GradientBoostingClassifier

FEATURES = ["distance", "hour", "weekday", "month"]


def main():
    src, out = sys.argv[1], sys.argv[2]
    trees = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    depth = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    data = np.loadtxt(src, delimiter=",", skiprows=1, dtype=np.float64)
    X, y = data[:, :4].astype(np.float32), data[:, 4].astype(np.int64)
    gbt = GradientBoostingClassifier(n_estimators=trees, max_depth=depth, learning_rate=0.1, random_state=42)
    gbt.fit(X, y)
    with open(os.path.join(out, "gbt.pkl"), "wb") as f:
        pickle.dump(gbt, f)

    # The prior's log-odds: the raw score before any tree.
    base = float(gbt._raw_predict_init(X[:1])[0, 0])
    attrs = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values",
                             "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids",
                             "class_treeids", "class_nodeids", "class_ids", "class_weights"]}
    lr = gbt.learning_rate
    for t, est in enumerate(gbt.estimators_[:, 0]):
        tr = est.tree_
        for n in range(tr.node_count):
            leaf = tr.children_left[n] == -1
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(n)
            attrs["nodes_featureids"].append(0 if leaf else int(tr.feature[n]))
            attrs["nodes_values"].append(0.0 if leaf else float(tr.threshold[n]))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(0 if leaf else int(tr.children_left[n]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(tr.children_right[n]))
            if leaf:
                attrs["class_treeids"].append(t)
                attrs["class_nodeids"].append(n)
                attrs["class_ids"].append(0)
                attrs["class_weights"].append(float(lr * tr.value[n][0][0]))
    nodes = [
        helper.make_node("Concat", FEATURES, ["features"], axis=1),
        helper.make_node("TreeEnsembleClassifier", ["features"], ["label", "probabilities"],
                         domain="ai.onnx.ml", classlabels_int64s=[0, 1], base_values=[base],
                         post_transform="LOGISTIC", **attrs),
    ]
    graph = helper.make_graph(
        nodes, "flights_gbt",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 1]) for n in FEATURES],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    model.producer_name = "ferry-bench"
    helper.set_model_props(model, {"task": "binary-classification", "target": "delayed",
                                   "trees": str(trees), "depth": str(depth)})
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "gbt.onnx"))
    rows = X[:256]
    with open(os.path.join(out, "gbt.expected.json"), "w") as f:
        json.dump({"features": FEATURES, "rows": rows.tolist(),
                   "probabilities": gbt.predict_proba(rows)[:, 1].tolist()}, f)
    print(f"trained {trees} trees of depth {depth} on {len(y)} rows; train accuracy {gbt.score(X, y):.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
