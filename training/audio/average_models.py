#!/usr/bin/env python3
"""One ONNX graph that runs two exported speech-emotion models on the same waveform and averages their raw logits
(each model's own calibration temperature undone), then divides by a temperature fitted on the average of their
out-of-fold clean logits: the "v3 and v5 averaged" candidate of training/audio/README.md, without retraining.

With --name it also writes OUT/reference.json for the Java reference test: each clip's expected logits are the
same average of the two models' own reference.json logits (torch's, not this graph's), so the test checks the
averaged graph against the two trained models, not against itself.

Usage (from the project root; writes OUT/model.onnx (and reference.json), the folder's other files are the caller's):
  python training/audio/average_models.py models/speech-emotion-v3 training/audio/results-v3 \\
      models/speech-emotion-v5 training/audio/results-v5 --out models/speech-emotion-v6 --name speech-emotion-v6
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, compose, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import fit_temperature, softmax  # noqa: E402


def shipped_temperature(results):
    return float(json.load(open(os.path.join(results, "cv_report.json")))["calibration"]["temperature_all_oof"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_a")
    ap.add_argument("results_a")
    ap.add_argument("model_b")
    ap.add_argument("results_b")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", help="write OUT/reference.json for this model name")
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
    worst = check_against_parts(args, ta, tb, t)
    print(f"onnxruntime: the averaged graph against the two models' graphs, max |logit diff| {worst:.2e}")
    if args.name:
        write_reference(args, ta, tb, t, worst)


def averaged(la, lb, ta, tb, t):
    """The average of two models' calibrated logits (each divided by its own temperature), recalibrated by t."""
    return (np.asarray(la, dtype=np.float64) * ta + np.asarray(lb, dtype=np.float64) * tb) / 2 / t


def session(path):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def check_against_parts(args, ta, tb, t):
    """ORT on the averaged graph against ORT on the two source graphs, on random 0.2-8 s inputs, batch 1-3."""
    avg, a, b = (session(os.path.join(d, "model.onnx")) for d in (args.out, args.model_a, args.model_b))
    rng = np.random.default_rng(7)
    worst = 0.0
    for secs, batch in ((0.2, 2), (0.5, 1), (0.5, 3), (4.0, 1), (4.0, 2), (8.0, 1)):
        x = np.clip(0.1 * rng.standard_normal((batch, int(secs * 16000))), -1, 1).astype(np.float32)
        feed = {"input_values": x}
        want = averaged(a.run(None, feed)[0], b.run(None, feed)[0], ta, tb, t)
        worst = max(worst, float(np.abs(avg.run(None, feed)[0] - want).max()))
    return worst


def write_reference(args, ta, tb, t, worst):
    ra = json.load(open(os.path.join(args.model_a, "reference.json")))
    rb = json.load(open(os.path.join(args.model_b, "reference.json")))
    out = {k: ra[k] for k in ("labels", "sampleRate", "input", "tolerance")}
    out["model"] = args.name
    out["note"] = (f"logits = ({ra['model']} logits x {ta:.4f} + {rb['model']} logits x {tb:.4f}) / 2 / {t:.4f}, "
                   f"from the two models' own reference.json (torch in eval mode), and their softmax; onnxruntime "
                   f"on this graph matched the two source graphs' average within {worst:.1e} (logits) on random "
                   "0.2-8 s inputs with batch 1-3. The clips were in the training data: numerical references, not "
                   "accuracy examples.")
    for key in ("clips", "extraClips"):
        out[key] = []
        for ca, cb in zip(ra[key], rb[key]):
            if ca["path"] != cb["path"] or ca.get("voiced_num_samples") != cb.get("voiced_num_samples"):
                raise SystemExit(f"the two references differ at {ca['path']} / {cb['path']}")
            entry = {k: ca[k] for k in ("file", "path", "corpus", "true_label", "num_samples", "seconds",
                                        "voiced_num_samples")}
            for prefix in ("", "voiced_"):
                z = averaged(ca[prefix + "logits"], cb[prefix + "logits"], ta, tb, t)
                p = softmax(z[None])[0]
                entry[prefix + "predicted_label"] = out["labels"][int(np.argmax(p))]
                entry[prefix + "logits"] = [round(float(v), 6) for v in z]
                entry[prefix + "softmax"] = [round(float(v), 6) for v in p]
            out[key].append(entry)
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(out, f, indent=2)
    print(f"wrote {os.path.join(args.out, 'reference.json')}")


if __name__ == "__main__":
    main()
