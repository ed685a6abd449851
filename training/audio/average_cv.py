#!/usr/bin/env python3
"""The cross-validation report of two or more models' logits averaged, from their runs' out-of-fold logits over the same
folds: cv_report.json and oof.npz in --out, as train_v2.py writes them for one model (per-fold figures, CIs,
confusion matrices, nested calibration), so report_v2.py renders it. Averaging needs no training: this is what the
averaged graph of average_models.py gives on the CV's held-out speakers, each fold's two models trained without
them.

Usage (from the project root):
  python training/audio/average_cv.py training/audio/results-v3 training/audio/results-v5 --out training/audio/results-v6
  python training/audio/report_v2.py --results training/audio/results-v6
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import cv_summary  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+", help="two or more results folders of train_v2.py runs on the same folds")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if len(args.results) < 2:
        raise SystemExit("give at least two results folders")
    runs = [np.load(os.path.join(r, "oof.npz")) for r in args.results]
    reports = [json.load(open(os.path.join(r, "cv_report.json"))) for r in args.results]
    a = runs[0]
    for r, run, rep in zip(args.results[1:], runs[1:], reports[1:]):
        for key in ("labels", "folds", "corpus"):
            if not np.array_equal(a[key], run[key]):
                raise SystemExit(f"{r} differs from {args.results[0]} in {key}: not the same clips and folds")
        if rep["folds_run"] != reports[0]["folds_run"]:
            raise SystemExit(f"{r} covers other folds than {args.results[0]}")
    os.makedirs(args.out, exist_ok=True)
    oof = {0: sum(run["clean"] for run in runs) / len(runs), 1: sum(run["telephone"] for run in runs) / len(runs)}
    report = {k: v for k, v in reports[0].items() if k not in ("results", "calibration", "folds_run")}
    report["averaged_from"] = list(args.results)
    report["args_b"] = reports[1]["args"]
    if len(runs) > 2:
        report["args_others"] = [rep["args"] for rep in reports[2:]]
    log_path = os.path.join(args.out, "log.txt")
    with open(log_path, "w") as logf:
        def log(msg):
            print(msg, flush=True)
            logf.write(msg + "\n")
        log(f"averaged out-of-fold logits of {', '.join(args.results)}")
        run_args = argparse.Namespace(results=args.out, tag="")
        temperature = cv_summary(oof, reports[0]["folds_run"], a["labels"], a["corpus"], a["folds"], report,
                                 run_args, log)
        log(f"temperature of the average (all out-of-fold clean logits): {temperature:.4f}")


if __name__ == "__main__":
    main()
