#!/usr/bin/env python3
"""One ONNX graph that runs two exported speech-emotion models on the same waveform and averages their raw logits
(each model's own calibration temperature undone), then divides by a temperature fitted on the average of their
out-of-fold clean logits: the "v3 and v5 averaged" candidate of training/audio/README.md, without retraining.

Usage (from the project root; writes OUT/model.onnx only, the folder's other files are the caller's):
  python training/audio/average_models.py models/speech-emotion-v3 training/audio/results-v3 \\
      models/speech-emotion-v5 training/audio/results-v5 --out /tmp/speech-emotion-avg
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, compose, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import fit_temperature  # noqa: E402


def shipped_temperature(results):
    return float(json.load(open(os.path.join(results, "cv_report.json")))["calibration"]["temperature_all_oof"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_a")
    ap.add_argument("results_a")
    ap.add_argument("model_b")
    ap.add_argument("results_b")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ta, tb = shipped_temperature(args.results_a), shipped_temperature(args.results_b)
    oa, ob = np.load(os.path.join(args.results_a, "oof.npz")), np.load(os.path.join(args.results_b, "oof.npz"))
    if not (np.array_equal(oa["labels"], ob["labels"]) and np.array_equal(oa["folds"], ob["folds"])):
        raise SystemExit("the two runs' out-of-fold logits are over other clips or folds")
    t = fit_temperature((oa["clean"] + ob["clean"]) / 2, oa["labels"])
    a = onnx.load(os.path.join(args.model_a, "model.onnx"))
    b = compose.add_prefix(onnx.load(os.path.join(args.model_b, "model.onnx")), "b/")
    if [o.version for o in a.opset_import] != [o.version for o in b.opset_import]:
        raise SystemExit("the two models use other opsets")
    scale = helper.make_tensor("avg/scales", TensorProto.FLOAT, [3], [ta / 2, tb / 2, 1.0 / t])
    nodes = [helper.make_node("Identity", ["input_values"], ["b/input_values"], name="avg/feed_b")]
    nodes += list(a.graph.node) + list(b.graph.node)
    nodes += [
        helper.make_node("Gather", ["avg/scales", "avg/i0"], ["avg/sa"], name="avg/sa", axis=0),
        helper.make_node("Gather", ["avg/scales", "avg/i1"], ["avg/sb"], name="avg/sb", axis=0),
        helper.make_node("Gather", ["avg/scales", "avg/i2"], ["avg/st"], name="avg/st", axis=0),
        helper.make_node("Mul", ["logits_a", "avg/sa"], ["avg/ra"], name="avg/ra"),
        helper.make_node("Mul", ["b/logits", "avg/sb"], ["avg/rb"], name="avg/rb"),
        helper.make_node("Add", ["avg/ra", "avg/rb"], ["avg/raw"], name="avg/raw"),
        helper.make_node("Mul", ["avg/raw", "avg/st"], ["logits"], name="avg/out"),
    ]
    for node in nodes:                       # model a's output becomes an inner tensor
        node.output[:] = ["logits_a" if o == "logits" and node.name != "avg/out" else o for o in node.output]
        node.input[:] = ["logits_a" if i == "logits" else i for i in node.input]
    inits = list(a.graph.initializer) + list(b.graph.initializer) + [
        scale, helper.make_tensor("avg/i0", TensorProto.INT64, [], [0]),
        helper.make_tensor("avg/i1", TensorProto.INT64, [], [1]), helper.make_tensor("avg/i2", TensorProto.INT64, [], [2])]
    graph = helper.make_graph(nodes, "speech_emotion_average", list(a.graph.input), list(a.graph.output), inits)
    model = helper.make_model(graph, opset_imports=list(a.opset_import), ir_version=a.ir_version)
    onnx.checker.check_model(model)
    os.makedirs(args.out, exist_ok=True)
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    print(f"temperatures: {ta:.4f} (a), {tb:.4f} (b), average {t:.4f}; wrote {os.path.join(args.out, 'model.onnx')}")


if __name__ == "__main__":
    main()
