#!/usr/bin/python3
"""Builds the small ONNX test models and data under runners/onnx/testdata.

Run from this folder:  /usr/bin/python3 make_models.py /root/.cache/ferry/vega-datasets-3.2.1
(the argument is the vega-datasets folder that scripts/vega-data.sh prints).

Models are written with onnx.helper (skl2onnx is not available); weights come from
scikit-learn fits. Each model's expected outputs, computed here with numpy, are written
beside it as <model>.expected.json so the Go tests compare onnxruntime against them.

  percolumn.onnx   one input per column: distance float[N,1], origin string[N,1],
                   hour int64[N,1] -> one-hot + scaling -> logistic; outputs
                   label int64[N], probabilities float[N,2]            (flights.csv)
  zipmap.onnx      skl2onnx shape: float_input float[N,3] -> LinearClassifier ->
                   output_label int64[N], output_probability seq(map(int64,float));
                   metadata "features" gives the column order             (weather.csv)
  nozipmap.onnx    the same classifier with zipmap=False: probabilities float[N,2]
  multiclass.onnx  input float[N,4] -> LinearClassifier (softmax) with string class
                   labels -> label string[N], probabilities float[N,3]    (penguins.csv)
  regression.onnx  one input per column of rank 1: temp_min double[N], wind float[N]
                   -> linear -> variable float[N,1]                        (weather.csv)
  types.onnx       per-column inputs of the remaining types: flag bool[N,1],
                   count int32[N,1], x double[N,1] -> value = x + count + flag
  gbt.onnx         the shape of ferry's gradient-boosting models: per-column inputs
                   (distance float, origin string via LabelEncoder, hour int64)
                   -> TreeEnsembleRegressor (100 trees, depth 4) -> sigmoid;
                   outputs label int64[N], probabilities float[N,2]  (flights.csv)
"""
import csv
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn import metrics as M
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

OPSETS = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]
HERE = os.path.dirname(os.path.abspath(__file__))


def save(model, name, meta):
    helper.set_model_props(model, meta)
    model.producer_name = "ferry-testdata"
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def write_csv(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_expected(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def f32(a):
    return np.asarray(a, dtype=np.float32)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def flights(vega):
    with open(os.path.join(vega, "flights-2k.json")) as f:
        rows = json.load(f)[:600]
    distance = np.array([r["distance"] for r in rows], dtype=np.float64)
    origin = [r["origin"] for r in rows]
    hour = np.array([int(r["date"][11:13]) for r in rows], dtype=np.int64)
    delayed = np.array([1 if r["delay"] > 15 else 0 for r in rows])
    top = sorted({o for o in origin}, key=lambda o: (-origin.count(o), o))[:6]
    onehot = np.array([[1.0 if o == t else 0.0 for t in top] for o in origin])
    mean, std = distance.mean(), distance.std()
    X = np.column_stack([(distance - mean) / std, hour.astype(np.float64), onehot])
    clf = LogisticRegression(max_iter=1000).fit(X, delayed)
    w = f32(clf.coef_[0]).reshape(-1, 1)
    b = f32(clf.intercept_)

    inits = [
        numpy_helper.from_array(f32([mean]), "mean"),
        numpy_helper.from_array(f32([std]), "std"),
        numpy_helper.from_array(w, "W"),
        numpy_helper.from_array(b, "B"),
        numpy_helper.from_array(f32([1.0]), "one"),
        numpy_helper.from_array(f32([0.5]), "half"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
    ]
    nodes = [
        helper.make_node("Sub", ["distance", "mean"], ["d0"]),
        helper.make_node("Div", ["d0", "std"], ["dz"]),
        helper.make_node("Cast", ["hour"], ["hf"], to=TensorProto.FLOAT),
        helper.make_node("OneHotEncoder", ["origin"], ["oh3"], domain="ai.onnx.ml",
                         cats_strings=top, zeros=1),
        helper.make_node("Flatten", ["oh3"], ["oh"], axis=1),
        helper.make_node("Concat", ["dz", "hf", "oh"], ["x"], axis=1),
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["p"]),
        helper.make_node("Sub", ["one", "p"], ["q"]),
        helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1),
        helper.make_node("Greater", ["p", "half"], ["gt"]),
        helper.make_node("Cast", ["gt"], ["label2"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["label2", "flat"], ["label"]),
    ]
    graph = helper.make_graph(
        nodes, "percolumn",
        [helper.make_tensor_value_info("distance", TensorProto.FLOAT, ["N", 1]),
         helper.make_tensor_value_info("origin", TensorProto.STRING, ["N", 1]),
         helper.make_tensor_value_info("hour", TensorProto.INT64, ["N", 1])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        inits)
    save(helper.make_model(graph, opset_imports=OPSETS), "percolumn.onnx",
         {"task": "binary-classification", "target": "delayed"})

    # expected, computed in float32 as onnxruntime does
    xz = (f32(distance) - f32(mean)) / f32(std)
    x = np.column_stack([xz, f32(hour), f32(onehot)]).astype(np.float32)
    p = sigmoid((x @ w + b).astype(np.float32)).reshape(-1)
    write_csv("flights.csv", ["date", "distance", "origin", "hour", "delayed"],
              [[r["date"], r["distance"], r["origin"], int(r["date"][11:13]),
                1 if r["delay"] > 15 else 0] for r in rows])
    write_expected("percolumn.expected.json", {
        "score": [float(v) for v in p],
        # what Evaluate must report (package eval checks the formulas to 1e-9;
        # here the scores are float32 from onnxruntime, so compare loosely)
        "metrics": {"auc": M.roc_auc_score(delayed, p),
                    "prAuc": M.average_precision_score(delayed, p),
                    "logloss": M.log_loss(delayed, p.astype(np.float64)),
                    "accuracy": M.accuracy_score(delayed, p >= 0.5),
                    "brier": M.brier_score_loss(delayed, p)}})


def gbt(vega):
    with open(os.path.join(vega, "flights-2k.json")) as f:
        rows = json.load(f)
    distance = np.array([r["distance"] for r in rows], dtype=np.float32)
    origin = [r["origin"] for r in rows]
    hour = np.array([int(r["date"][11:13]) for r in rows], dtype=np.int64)
    delayed = np.array([1 if r["delay"] > 15 else 0 for r in rows])
    levels = sorted(set(origin))
    code = np.array([levels.index(o) for o in origin], dtype=np.float32)
    X = np.column_stack([distance, code, hour.astype(np.float32)]).astype(np.float32)
    clf = GradientBoostingClassifier(n_estimators=100, max_depth=4, learning_rate=0.1,
                                     random_state=0).fit(X, delayed)
    attrs = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids",
                             "nodes_values", "nodes_modes", "nodes_truenodeids",
                             "nodes_falsenodeids", "target_treeids", "target_nodeids",
                             "target_ids", "target_weights"]}
    for t, est in enumerate(clf.estimators_[:, 0]):
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
                attrs["target_treeids"].append(t)
                attrs["target_nodeids"].append(n)
                attrs["target_ids"].append(0)
                attrs["target_weights"].append(float(tr.value[n, 0, 0] * clf.learning_rate))
    prior = clf.init_.class_prior_[1]
    base = float(np.log(prior / (1 - prior)))
    inits = [numpy_helper.from_array(f32([1.0]), "one"),
             numpy_helper.from_array(f32([0.5]), "half"),
             numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat")]
    nodes = [
        helper.make_node("LabelEncoder", ["origin"], ["code"], domain="ai.onnx.ml",
                         keys_strings=levels, values_floats=[float(i) for i in range(len(levels))],
                         default_float=-1.0),
        helper.make_node("Cast", ["hour"], ["hf"], to=TensorProto.FLOAT),
        helper.make_node("Concat", ["distance", "code", "hf"], ["x"], axis=1),
        helper.make_node("TreeEnsembleRegressor", ["x"], ["z"], domain="ai.onnx.ml",
                         n_targets=1, aggregate_function="SUM", base_values=[base], **attrs),
        helper.make_node("Sigmoid", ["z"], ["p"]),
        helper.make_node("Sub", ["one", "p"], ["q"]),
        helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1),
        helper.make_node("Greater", ["p", "half"], ["gt"]),
        helper.make_node("Cast", ["gt"], ["label2"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["label2", "flat"], ["label"]),
    ]
    graph = helper.make_graph(
        nodes, "gbt",
        [helper.make_tensor_value_info("distance", TensorProto.FLOAT, ["N", 1]),
         helper.make_tensor_value_info("origin", TensorProto.STRING, ["N", 1]),
         helper.make_tensor_value_info("hour", TensorProto.INT64, ["N", 1])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        inits)
    save(helper.make_model(graph, opset_imports=OPSETS), "gbt.onnx",
         {"task": "binary-classification", "target": "delayed"})

    # expected on flights.csv (its first 600 rows), trees walked as onnxruntime
    # does: float32 inputs against float32 thresholds
    thr = np.array(attrs["nodes_values"], dtype=np.float32)
    def score(x):
        z = base
        for est in clf.estimators_[:, 0]:
            tr = est.tree_
            n = 0
            while tr.children_left[n] != -1:
                n = tr.children_left[n] if x[tr.feature[n]] <= np.float32(tr.threshold[n]) else tr.children_right[n]
            z += tr.value[n, 0, 0] * clf.learning_rate
        return z
    zs = np.array([score(x) for x in X[:600]], dtype=np.float32)
    p = 1 / (1 + np.exp(-zs.astype(np.float64)))
    write_expected("gbt.expected.json", {"score": [float(v) for v in p]})


def types():
    nodes = [
        helper.make_node("Cast", ["flag"], ["f"], to=TensorProto.DOUBLE),
        helper.make_node("Cast", ["count"], ["c"], to=TensorProto.DOUBLE),
        helper.make_node("Add", ["x", "c"], ["xc"]),
        helper.make_node("Add", ["xc", "f"], ["value"]),
    ]
    graph = helper.make_graph(
        nodes, "types",
        [helper.make_tensor_value_info("flag", TensorProto.BOOL, ["N", 1]),
         helper.make_tensor_value_info("count", TensorProto.INT32, ["N", 1]),
         helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 1])],
        [helper.make_tensor_value_info("value", TensorProto.DOUBLE, ["N", 1])])
    save(helper.make_model(graph, opset_imports=OPSETS), "types.onnx", {"task": "regression"})


def weather(vega):
    with open(os.path.join(vega, "seattle-weather.csv")) as f:
        rows = list(csv.DictReader(f))[:500]
    cols = ["precipitation", "temp_max", "temp_min", "wind"]
    data = {c: np.array([float(r[c]) for r in rows]) for c in cols}
    rain = np.array([1 if r["weather"] == "rain" else 0 for r in rows])
    write_csv("weather.csv", ["date"] + cols + ["weather", "rain"],
              [[r["date"]] + [r[c] for c in cols] + [r["weather"], int(rain[i])]
               for i, r in enumerate(rows)])

    # classifier over [N,3] in the order given by metadata, not the file's order
    order = ["wind", "temp_max", "temp_min"]
    X = np.column_stack([data[c] for c in order])
    clf = LogisticRegression(max_iter=1000).fit(X, rain)
    w, b = f32(clf.coef_[0]), float(clf.intercept_[0])

    def classifier(zipmap):
        nodes = [helper.make_node(
            "LinearClassifier", ["float_input"], ["output_label", "probs"],
            domain="ai.onnx.ml", classlabels_ints=[0, 1],
            coefficients=list(-w) + list(w), intercepts=[-b, b],
            post_transform="LOGISTIC")]
        if zipmap:
            nodes.append(helper.make_node("ZipMap", ["probs"], ["output_probability"],
                                          domain="ai.onnx.ml", classlabels_int64s=[0, 1]))
            seq = onnx.TypeProto()
            seq.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
            seq.sequence_type.elem_type.map_type.value_type.CopyFrom(
                helper.make_tensor_type_proto(TensorProto.FLOAT, []))
            prob_out = helper.make_value_info("output_probability", seq)
        else:
            nodes.append(helper.make_node("Identity", ["probs"], ["probabilities"]))
            prob_out = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])
        graph = helper.make_graph(
            nodes, "weather",
            [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, ["N", 3])],
            [helper.make_tensor_value_info("output_label", TensorProto.INT64, ["N"]), prob_out])
        return helper.make_model(graph, opset_imports=OPSETS)

    meta = {"features": ",".join(order), "target": "rain"}
    save(classifier(True), "zipmap.onnx", meta)
    save(classifier(False), "nozipmap.onnx", meta)
    p = sigmoid((f32(X) @ w + f32(b)).astype(np.float32))
    write_expected("zipmap.expected.json", {"score": [float(v) for v in p]})

    # regression: temp_max from temp_min (double) and wind (float), rank-1 inputs
    Xr = np.column_stack([data["temp_min"], data["wind"]])
    reg = LinearRegression().fit(Xr, data["temp_max"])
    inits = [numpy_helper.from_array(f32(reg.coef_).reshape(2, 1), "W"),
             numpy_helper.from_array(f32([reg.intercept_]), "B"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    nodes = [
        helper.make_node("Cast", ["temp_min"], ["tmin"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["tmin", "axis1"], ["a"]),
        helper.make_node("Unsqueeze", ["wind", "axis1"], ["c"]),
        helper.make_node("Concat", ["a", "c"], ["x"], axis=1),
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], ["variable"]),
    ]
    graph = helper.make_graph(
        nodes, "regression",
        [helper.make_tensor_value_info("temp_min", TensorProto.DOUBLE, ["N"]),
         helper.make_tensor_value_info("wind", TensorProto.FLOAT, ["N"])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])],
        inits)
    save(helper.make_model(graph, opset_imports=OPSETS), "regression.onnx",
         {"task": "regression", "target": "temp_max"})
    v = (f32(Xr) @ f32(reg.coef_).reshape(2, 1) + f32([reg.intercept_])).reshape(-1)
    yt = data["temp_max"]
    write_expected("regression.expected.json", {
        "value": [float(x) for x in v],
        "metrics": {"rmse": float(np.sqrt(M.mean_squared_error(yt, v))),
                    "mae": M.mean_absolute_error(yt, v), "r2": M.r2_score(yt, v),
                    "mape": M.mean_absolute_percentage_error(yt, v)}})


def penguins(vega):
    with open(os.path.join(vega, "penguins.json")) as f:
        rows = json.load(f)
    cols = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"]
    names = ["beak_length", "beak_depth", "flipper_length", "body_mass"]
    rows = [r for r in rows if all(r[c] is not None for c in cols)]
    X = np.array([[float(r[c]) for c in cols] for r in rows])
    y = [r["Species"] for r in rows]
    mean, std = X.mean(axis=0), X.std(axis=0)
    clf = LogisticRegression(max_iter=2000).fit((X - mean) / std, y)
    classes = [str(c) for c in clf.classes_]
    # fold the scaling into the weights: z = ((x-m)/s) W + b = x (W/s) + (b - m/s W)
    W = clf.coef_ / std
    B = clf.intercept_ - (clf.coef_ * (mean / std)).sum(axis=1)
    nodes = [helper.make_node(
        "LinearClassifier", ["input"], ["label", "probabilities"], domain="ai.onnx.ml",
        classlabels_strings=classes, coefficients=[float(v) for v in W.reshape(-1)],
        intercepts=[float(v) for v in B], post_transform="SOFTMAX")]
    graph = helper.make_graph(
        nodes, "penguins",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])])
    save(helper.make_model(graph, opset_imports=OPSETS), "multiclass.onnx",
         {"task": "multiclass-classification", "target": "species"})
    write_csv("penguins.csv", ["species", "island"] + names,
              [[r["Species"], r["Island"]] + [r[c] for c in cols] for r in rows])
    z = f32(X) @ f32(W).T + f32(B)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    proba = e / e.sum(axis=1, keepdims=True)
    yi = [classes.index(c) for c in y]
    write_expected("multiclass.expected.json", {
        "classes": classes, "proba": [[float(v) for v in r] for r in proba],
        "metrics": {"accuracy": M.accuracy_score(yi, proba.argmax(axis=1)),
                    "macroF1": M.f1_score(yi, proba.argmax(axis=1), average="macro"),
                    "logloss": M.log_loss(yi, proba.astype(np.float64), labels=[0, 1, 2])}})


if __name__ == "__main__":
    vega = sys.argv[1] if len(sys.argv) > 1 else "/root/.cache/ferry/vega-datasets-3.2.1"
    flights(vega)
    gbt(vega)
    types()
    weather(vega)
    penguins(vega)
