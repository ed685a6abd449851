#!/usr/bin/env python3
"""What averaging the logits of separately trained recipes gives across corpora, from the logits that
`train_v2.py --cross-corpus` saves (cross_corpus<tag>.npz): the cross-corpus counterpart of pilot_ensemble.py.

Usage (from the project root):
  python training/audio/cross_ensemble.py training/audio/results-cross/cross_corpus_v3-s1234.npz \\
      training/audio/results-cross/cross_corpus_v5-s1234.npz
"""
import argparse
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import EMODB_LABELS, LABELS, summarise  # noqa: E402

DIRECTIONS = ("ravdess_to_emodb", "emodb_to_ravdess")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="cross_corpus*.npz files")
    args = ap.parse_args()
    runs = [np.load(p) for p in args.runs]
    for r, p in zip(runs, args.runs):
        for d in DIRECTIONS:
            if not np.array_equal(r[f"{d}_labels"], runs[0][f"{d}_labels"]):
                raise SystemExit(f"{p}: other test clips than {args.runs[0]}")
    six = [LABELS.index(label) for label in EMODB_LABELS]
    names = [os.path.basename(p) for p in args.runs]
    for n in range(1, len(runs) + 1):
        for combo in itertools.combinations(range(len(runs)), n):
            cells = []
            for d in DIRECTIONS:
                y = runs[0][f"{d}_labels"]
                for cond in ("clean", "telephone"):
                    logits = np.mean([runs[i][f"{d}_{cond}"] for i in combo], axis=0)
                    r = summarise("", logits, y, np.zeros(len(y), dtype=int), six)
                    cells.append(100 * r["pooled"])
            print(f"{' + '.join(names[i] for i in combo):70s} R->E clean {cells[0]:.2f} tel {cells[1]:.2f} | "
                  f"E->R clean {cells[2]:.2f} tel {cells[3]:.2f} | mean clean {(cells[0] + cells[2]) / 2:.2f}")


if __name__ == "__main__":
    main()
