#!/usr/bin/env python3
"""CPU cost of the speech-emotion models per 4 s clip, side by side (issue #11, part 5).

Each model runs in ONNX Runtime on one thread (intra_op_num_threads = inter_op_num_threads = 1, sequential
execution) on the same 4 s input (a real RAVDESS clip, cut or cyclically repeated to 64000 samples, batch 1);
after --warmup runs, --runs timed runs; the figure is the median of the per-run process CPU time (and wall time).

Usage (from the project root):
  python training/audio/bench.py                     # v1 and v2, 4 s, 200 runs
  python training/audio/bench.py --models models/speech-emotion-ravdess models/speech-emotion-v3 --runs 500
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import onnxruntime as ort
import soundfile as sf


def load_input(path, seconds, sr=16000):
    wav, file_sr = sf.read(path, dtype="float32", always_2d=False)
    if file_sr != sr:
        raise SystemExit(f"{path}: {file_sr} Hz, expected {sr}")
    n = int(round(seconds * sr))
    return np.resize(wav, n).astype(np.float32)[None]


def bench(model_dir, x, warmup, runs):
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(os.path.join(model_dir, manifest["file"]), opts, providers=["CPUExecutionProvider"])
    feed = {manifest["input"]["name"]: x}
    for _ in range(warmup):
        sess.run(None, feed)
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        sess.run(None, feed)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return manifest["name"] + " " + manifest["version"], statistics.median(cpu), statistics.median(wall)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["models/speech-emotion-ravdess", "models/speech-emotion-v2",
                                                    "models/speech-emotion-v3"])
    ap.add_argument("--clip", default="../shared/data/ravdess-speech-16k/Actor_01/03-01-05-02-01-01-01.flac")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--limit-ms", type=float, default=100.0, help="budget per clip; exit 1 if the last model is over")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.seconds <= 0:
        raise SystemExit("--runs must be >= 1, --warmup >= 0, --seconds > 0")
    x = load_input(args.clip, args.seconds)
    print(f"onnxruntime {ort.__version__}, 1 thread, input {args.seconds} s ({x.shape[1]} samples, batch 1), "
          f"{args.warmup} warm-up + {args.runs} timed runs, median")
    rows = [bench(m, x, args.warmup, args.runs) for m in args.models]
    for name, cpu, wall in rows:
        print(f"{name:28s} CPU {1000 * cpu:8.2f} ms   wall {1000 * wall:8.2f} ms   "
              f"real-time factor {cpu / args.seconds:.4f}")
    if len(rows) >= 2:
        print(f"ratio {rows[-1][0]} / {rows[0][0]}: CPU x{rows[-1][1] / rows[0][1]:.2f}")
    over = 1000 * rows[-1][1] > args.limit_ms
    print(f"{rows[-1][0]}: {1000 * rows[-1][1]:.2f} ms per {args.seconds} s clip, limit {args.limit_ms} ms: "
          f"{'OVER' if over else 'within'}")
    raise SystemExit(1 if over else 0)


if __name__ == "__main__":
    main()
