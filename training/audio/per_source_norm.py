#!/usr/bin/env python3
"""Per-source normalisation at the model's output, tried on the cross-validated out-of-fold logits (issue #11:
"per-source normalisation if it helps; it must work live: running statistics per source, not of a whole file").

A live call is simulated per held-out speaker: a sequence of that speaker's clips; before clip t the source's running
mean of the logits of clips 1..t-1 is known. Correction: z_t - beta * (running mean - population mean), where the
population mean comes from the other folds' out-of-fold logits (what a deployment would know from its training data).
No training, no retuning: the shipped model's out-of-fold logits as they are.

Three kinds of call, because the correction assumes a speaker's emotions average out to the population's:
  balanced:  every clip of the speaker once, in random order (the corpora are near-balanced per speaker: acted);
  neutral:   60 clips drawn with replacement, half of them neutral (or calm), the rest spread over the other labels;
  one-mood:  60 clips drawn with replacement, 70 % one emotion (each of the speaker's emotions in turn), 30 % the rest.
Accuracy is over every clip of every sequence (the first clip has no statistics: uncorrected), 20 random sequences
per speaker and kind, per corpus (EmoDB: argmax over its six labels).

    python training/audio/per_source_norm.py training/audio/results-v3/oof.npz \
        --ravdess ../shared/data/ravdess-speech-16k --emodb ../shared/data/emodb-16k
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import load_rows  # noqa: E402  (the training's own row order)

SIX = [0, 2, 3, 4, 5, 6]
NEUTRAL = [0, 1]  # neutral, calm


def predict(z, corpus):
    return np.array(SIX)[z[:, SIX].argmax(1)] if corpus == "emodb" else z.argmax(1)


def sequences(idx, labels, kind, rng):
    """Index sequences (into the speaker's clips) for one kind of call."""
    y = labels[idx]
    if kind == "balanced":
        return [rng.permutation(len(idx))]
    if kind == "neutral":
        neutral = np.flatnonzero(np.isin(y, NEUTRAL))
        other = np.flatnonzero(~np.isin(y, NEUTRAL))
        if len(neutral) == 0:
            return []
        pick = [rng.choice(neutral) if rng.random() < 0.5 else rng.choice(other) for _ in range(60)]
        return [np.array(pick)]
    out = []
    for mood in sorted(set(y.tolist())):
        main = np.flatnonzero(y == mood)
        rest = np.flatnonzero(y != mood)
        out.append(np.array([rng.choice(main) if rng.random() < 0.7 else rng.choice(rest) for _ in range(60)]))
    return out


def run(z, labels, corpus, folds, speakers, beta, kind, cond, seed=7):
    rng = np.random.default_rng(seed)
    right = {"ravdess": [0, 0], "emodb": [0, 0]}
    for spk in sorted(set(speakers)):
        idx = np.flatnonzero(speakers == spk)
        c = corpus[idx[0]]
        k = folds[idx[0]]
        population = z[folds != k].mean(0)
        for _ in range(20):
            for seq in sequences(idx, labels, kind, rng):
                zs = z[idx[seq]]
                ys = labels[idx[seq]]
                running = np.cumsum(zs, 0)
                corrected = zs.copy()
                for t in range(1, len(seq)):
                    corrected[t] = zs[t] - beta * (running[t - 1] / t - population)
                p = predict(corrected, c)
                right[c][0] += int((p == ys).sum())
                right[c][1] += len(ys)
    return {c: 100.0 * r / n for c, (r, n) in right.items() if n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("oof")
    ap.add_argument("--ravdess", default="../shared/data/ravdess-speech-16k")
    ap.add_argument("--emodb", default="../shared/data/emodb-16k")
    args = ap.parse_args()
    oof = np.load(args.oof, allow_pickle=True)
    rows, _ = load_rows(args.ravdess, args.emodb)
    labels, corpus, folds = oof["labels"], oof["corpus"], oof["folds"]
    if len(rows) != len(labels) or any(r["label"] != l for r, l in zip(rows, labels)):
        raise SystemExit("the out-of-fold file does not hold the training rows in order")
    speakers = np.array([r["speaker"] for r in rows])
    print("accuracy % over every clip of the simulated calls (beta 0 = no correction)")
    print(f"{'condition':10s} {'call':9s} {'beta':>4s}  {'RAVDESS':>8s}  {'EmoDB':>8s}")
    for cond in ("clean", "telephone"):
        for kind in ("balanced", "neutral", "one-mood"):
            for beta in (0.0, 0.5, 1.0):
                acc = run(oof[cond], labels, corpus, folds, speakers, beta, kind, cond)
                print(f"{cond:10s} {kind:9s} {beta:4.1f}  {acc['ravdess']:8.2f}  {acc['emodb']:8.2f}")


if __name__ == "__main__":
    main()
