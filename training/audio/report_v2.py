#!/usr/bin/env python3
"""Markdown report of a train_v2.py cross-validation run: per-fold accuracy, CIs, macro F1, confusion matrices,
calibration, and the figures without the clips the VAD gate would call NO_SPEECH.

Usage (from the project root, after train_v2.py):
  python training/audio/report_v2.py            # writes training/audio/results-v2/cv_report.md and prints it
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_v2 import EMODB_LABELS, FOLDS, LABELS, cache_file, summarise  # noqa: E402


def pct(x):
    return f"{100 * x:.2f} %"


def table_cm(cm, classes_true, classes_pred):
    out = ["| true \\ pred | " + " | ".join(LABELS[c] for c in classes_pred) + " |",
           "|---|" + "---|" * len(classes_pred)]
    for t in classes_true:
        out.append(f"| {LABELS[t]} | " + " | ".join(str(cm[t][p]) for p in classes_pred) + " |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default=os.path.join("training", "audio", "results-v2"))
    ap.add_argument("--cache", default=os.path.join("training", "audio", ".cache"))
    ap.add_argument("--min-speech", type=float, nargs="+", default=[0.3, 0.5],
                    help="voiced-seconds thresholds to report the NO_SPEECH share and accuracy without those clips")
    args = ap.parse_args()
    rep = json.load(open(os.path.join(args.results, "cv_report.json")))
    oof = np.load(os.path.join(args.results, "oof.npz"))
    a = rep["args"]
    # only copies 0 and 1 are read here: the same in a cache with --speaker-copies copies after them
    path, _ = cache_file(args.cache, "features", a["copies"], a.get("speaker_copies", 0), a["seed"])
    feats = torch.load(path, weights_only=False)
    y, folds, corpus = oof["labels"], oof["folds"], oof["corpus"]
    emodb6 = [LABELS.index(l) for l in EMODB_LABELS]
    recipe = "speech-emotion-v3 recipe" if a.get("extra", "none") != "none" else "speech-emotion-v2 recipe"
    if a.get("speaker_copies") or a.get("mixup"):
        recipe = "v4 attempt (not shipped)"
    keys = ('copies', 'speaker_copies', 'mixup', 'branches', 'extra', 'heads', 'epochs', 'batch', 'lr', 'seed',
            'vad_threshold')
    run = f"Run: `train_v2.py` with {json.dumps({k: a[k] for k in keys if k in a})}"
    if "averaged_from" in rep:          # average_cv.py: two runs' out-of-fold logits averaged
        recipe = f"logits of {' and '.join(rep['averaged_from'])} averaged"
        b = rep["args_b"]
        run += f", averaged with `train_v2.py` with {json.dumps({k: b[k] for k in keys if k in b})} (average_cv.py)"
    L = [f"# {recipe}: cross-validation report", "",
         f"{run}; {rep['boredom_left_out']} EmoDB boredom clips left out.", "",
         "## Accuracy (speakers never trained on)", "",
         "| condition | per fold (0-5) | mean of folds ± 95 % CI (t) | pooled ± 95 % CI | macro F1 | clips |",
         "|---|---|---|---|---|---|"]
    order = ["ravdess_clean", "ravdess_telephone", "emodb_clean_6class", "emodb_telephone_6class", "emodb_clean",
             "emodb_telephone"]
    names = {"ravdess_clean": "RAVDESS 8-class, clean", "ravdess_telephone": "RAVDESS 8-class, telephone mu-law",
             "emodb_clean_6class": "EmoDB 6-class (argmax over its 6 labels), clean",
             "emodb_telephone_6class": "EmoDB 6-class, telephone mu-law",
             "emodb_clean": "EmoDB, plain 8-way argmax, clean", "emodb_telephone": "EmoDB, plain 8-way argmax, telephone"}
    for key in order:
        r = rep["results"][key]
        L.append(f"| {names[key]} | {' / '.join(f'{100 * v:.1f}' for v in r['per_fold'].values())} | "
                 f"{100 * r['fold_mean']:.2f} ± {100 * r['fold_ci95']:.2f} | {100 * r['pooled']:.2f} ± "
                 f"{100 * r['pooled_ci95']:.2f} | {100 * r['macro_f1']:.2f} | {r['n']} |")
    L += ["", "Folds (test speakers): " + "; ".join(
        f"{k}: RAVDESS {', '.join(map(str, f[0]))} + EmoDB {', '.join(f[1])}" for k, f in enumerate(FOLDS)), ""]

    L += ["## Voice activity (shared Silero VAD contract, threshold " + str(a["vad_threshold"]) + ")", ""]
    for c, cname in ((0, "clean"), (1, "telephone")):
        v = feats["voiced_s"][c]
        for corp in ("ravdess", "emodb"):
            m = corpus == corp
            L.append(f"- {corp} {cname}: voiced seconds median {np.median(v[m]):.2f}, 5th percentile "
                     f"{np.percentile(v[m], 5):.2f}, min {v[m].min():.2f}; " + ", ".join(
                         f"{int((v[m] < t).sum())} clips under {t} s" for t in args.min_speech))
    L += ["", "Clips with under 0.3 s of voiced audio were scored on their whole clip above (the figures include "
          "them). Under the product's gate they would be NO_SPEECH; the same figures without them:", ""]
    for t in args.min_speech:
        for c, cname in ((0, "clean"), (1, "telephone")):
            keep = feats["voiced_s"][c] >= t
            for corp, restrict in (("ravdess", None), ("emodb", emodb6)):
                m = keep & (corpus == corp)
                logits = oof["clean" if c == 0 else "telephone"][m]
                s = summarise("", logits, y[m], folds[m], restrict)
                L.append(f"- min {t} s, {corp} {cname}: {pct(s['pooled'])} pooled over {s['n']} clips "
                         f"({int((~keep & (corpus == corp)).sum())} NO_SPEECH)")
    L += ["", "## Calibration (15-bin expected calibration error, 8-way softmax, both corpora)", ""]
    cal = rep["calibration"]
    for cname in ("clean", "telephone"):
        c = cal[cname]
        L.append(f"- {cname}: ECE {pct(c['ece_before'])} before, {pct(c['ece_after_nested'])} after (temperature of "
                 f"fold k fitted on the other folds' out-of-fold clean logits: "
                 f"{', '.join(f'{float(t):.3f}' for t in c['fold_temperatures'].values())}); NLL "
                 f"{c['nll_before']:.4f} -> {c['nll_after_nested']:.4f}")
    L.append(f"- shipped temperature (all out-of-fold clean logits): {cal['temperature_all_oof']:.4f}")
    L += ["", "## Confusion matrices (summed over the six test folds; rows true, columns predicted)", ""]
    for key, title in (("ravdess_clean", "RAVDESS clean"), ("ravdess_telephone", "RAVDESS telephone mu-law"),
                       ("emodb_clean_6class", "EmoDB clean, 6-class argmax"),
                       ("emodb_telephone_6class", "EmoDB telephone, 6-class argmax")):
        r = rep["results"][key]
        cls = r["classes"]
        L += [f"### {title}", ""] + table_cm(r["confusion"], cls, cls) + [""]
        cm = np.asarray(r["confusion"])
        rec = [f"{LABELS[c]} {100 * cm[c, c] / max(1, cm[c].sum()):.0f}" for c in cls]
        L += ["Recall per class (%): " + ", ".join(rec), ""]
    text = "\n".join(L) + "\n"
    with open(os.path.join(args.results, "cv_report.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
