#!/usr/bin/env python3
"""Exports v2-shaped graphs with the v3 options (--extra, --heads of train_v2.py) and UNTRAINED heads, checks them
with ONNX Runtime against torch, and writes a manifest next to each, so that bench.py can measure what a trained
model of that shape would cost per clip before any is trained (the cost does not depend on the weights).

Usage (from the project root):
  python training/audio/untrained_cost.py --out /tmp/sv3-graph            # acf x1, spec x1, acf x2
  python training/audio/bench.py --models models/speech-emotion-v2 /tmp/sv3-graph/acf-h1 /tmp/sv3-graph/acf-h2
"""
import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_v2  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shared = os.path.join("..", "shared", "models", "speech-embedding")
    ap.add_argument("--mel-onnx", default=os.path.join(shared, "melspectrogram.onnx"))
    ap.add_argument("--emb-onnx", default=os.path.join(shared, "embedding_model.onnx"))
    ap.add_argument("--manifest", default=os.path.join("models", "speech-emotion-v2", "manifest.json"))
    ap.add_argument("--shapes", nargs="+", default=["acf:1", "spec:1", "acf:2"], help="extra:heads pairs")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for shape in args.shapes:
        extra, heads = shape.split(":")
        heads = int(heads)
        if heads < 1:
            raise SystemExit(f"{shape}: heads must be >= 1")
        hs = [train_v2.Head("both", extra=extra).eval() for _ in range(heads)]
        head = hs[0] if heads == 1 else train_v2.Ensemble(hs).eval()
        full = train_v2.SpeechEmotionV2(head, args.mel_onnx, args.emb_onnx, 1.0, extra).eval()
        folder = os.path.join(args.out, f"{extra}-h{heads}")
        os.makedirs(folder, exist_ok=True)
        train_v2.export(full, os.path.join(folder, "model.onnx"), 17)
        manifest = json.load(open(args.manifest))
        manifest.update({"name": f"untrained-{extra}-x{heads}", "version": "0", "file": "model.onnx"})
        with open(os.path.join(folder, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
        sess = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
        g = torch.Generator().manual_seed(7)
        worst = 0.0
        for secs, batch in ((0.2, 2), (0.5, 1), (4.0, 2), (8.0, 1)):
            x = (0.1 * torch.randn(batch, int(secs * train_v2.SR), generator=g)).clamp(-1, 1)
            with torch.no_grad():
                expected = full(x).numpy()
            worst = max(worst, float(np.abs(expected - sess.run(None, {"input_values": x.numpy()})[0]).max()))
        print(f"{folder}: {sum(p.numel() for p in head.parameters())} trainable parameters, "
              f"{os.path.getsize(os.path.join(folder, 'model.onnx'))} bytes, torch vs onnxruntime max |logit diff| "
              f"{worst:.2e}", flush=True)


if __name__ == "__main__":
    main()
