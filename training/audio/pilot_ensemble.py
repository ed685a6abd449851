#!/usr/bin/env python3
"""What averaging the logits of separately trained heads would have given, from their saved out-of-fold logits
(oof*.npz of train_v2.py runs over the same folds): a free estimate of an ensemble before training one.

Usage (from the project root):
  python training/audio/pilot_ensemble.py training/audio/results-v2/oof_pilot_both.npz \\
      training/audio/results-v3/oof_pilot_acf.npz training/audio/results-v3/oof_pilot_spec.npz
"""
import argparse
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import EMODB_LABELS, LABELS, summarise  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("oof", nargs="+", help="oof*.npz files of runs over the same folds")
    args = ap.parse_args()
    runs = [np.load(p) for p in args.oof]
    labels, folds, corpus = runs[0]["labels"], runs[0]["folds"], runs[0]["corpus"]
    done = np.any(runs[0]["clean"] != 0, axis=1)          # clips of the folds the run made (the rest stay 0)
    for r, p in zip(runs, args.oof):
        if not (np.array_equal(r["labels"], labels) and np.array_equal(r["folds"], folds)):
            raise SystemExit(f"{p}: other clips than {args.oof[0]}")
        if not np.array_equal(np.any(r["clean"] != 0, axis=1), done):
            raise SystemExit(f"{p}: other folds than {args.oof[0]}")
    six = [LABELS.index(label) for label in EMODB_LABELS]
    names = [os.path.basename(p) for p in args.oof]
    for n in range(1, len(runs) + 1):
        for combo in itertools.combinations(range(len(runs)), n):
            figures = []
            for cond, corp, restrict in (("clean", "ravdess", None), ("telephone", "ravdess", None),
                                         ("clean", "emodb", six)):
                m = done & (corpus == corp)
                logits = np.mean([runs[i][cond][m] for i in combo], axis=0)
                figures.append(100 * summarise("", logits, labels[m], folds[m], restrict)["pooled"])
            print(f"{' + '.join(names[i] for i in combo):60s} RAVDESS clean {figures[0]:.2f} | telephone "
                  f"{figures[1]:.2f} | EmoDB 6-class {figures[2]:.2f} | mean {np.mean(figures):.2f}")


if __name__ == "__main__":
    main()
