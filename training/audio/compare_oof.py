#!/usr/bin/env python3
"""Paired comparison of two cross-validation runs on the same folds: per corpus and condition, the pooled accuracy
of each, the clips only one of them gets right, and the exact two-sided McNemar p-value.

    python training/audio/compare_oof.py training/audio/results-v2/oof.npz training/audio/results-v3/oof.npz
"""
import sys
from math import comb

import numpy as np

SIX = [0, 2, 3, 4, 5, 6]        # EmoDB's headline: argmax over the 6 labels it has


def main(a_path, b_path):
    a = np.load(a_path, allow_pickle=True)
    b = np.load(b_path, allow_pickle=True)
    if not ((a["labels"] == b["labels"]).all() and (a["folds"] == b["folds"]).all()):
        raise SystemExit("the two runs do not hold the same clips in the same folds")
    y, corpus = a["labels"], a["corpus"]
    for cond in ("clean", "telephone"):
        for c in ("ravdess", "emodb"):
            m = corpus == c
            right = []
            for run in (a, b):
                logits = run[cond][m]
                pred = np.array(SIX)[logits[:, SIX].argmax(1)] if c == "emodb" else logits.argmax(1)
                right.append(pred == y[m])
            only_a = int((right[0] & ~right[1]).sum())
            only_b = int((~right[0] & right[1]).sum())
            n = only_a + only_b
            p = min(1.0, 2 * sum(comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2 ** n) if n else 1.0
            print(f"{c:8s} {cond:9s} A {100 * right[0].mean():6.2f} %  B {100 * right[1].mean():6.2f} %  "
                  f"only A right {only_a:4d}  only B right {only_b:4d}  exact McNemar p = {p:.2g}  ({int(m.sum())} clips)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
