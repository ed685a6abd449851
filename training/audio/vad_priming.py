#!/usr/bin/env python3
"""Voiced seconds of 4 s cuts of continuous speech with and without priming Silero's state on silence.

A call is cut into fixed 4 s clips, so most clips start in the middle of speech. Each corpus file is trimmed to the
first and last 20 ms frame within 35 dB of its loudest, the files of each speaker are joined back to back, and the
result is cut every 4 s. Each cut runs through the voiced-audio contract (vad.py) with its state started from zeros
(as before 2026-11-30) or from the state P seconds of digital silence leave (vad.PRIMING_FRAMES = 16: 0.512 s).
Run from the project root: python training/audio/vad_priming.py"""
import argparse
import glob
import os
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vad import FRAME, SileroVad, voiced_mask  # noqa: E402

SR = 16000


def trim(w):
    n = len(w) // 320
    db = 20 * np.log10(np.array([np.sqrt((w[i * 320:(i + 1) * 320] ** 2).mean()) + 1e-9 for i in range(n)]))
    on = np.where(db > db.max() - 35)[0]
    return w[on[0] * 320:(on[-1] + 1) * 320] if len(on) else w


def cuts(files, first_s):
    s = np.concatenate([trim(sf.read(f, dtype="float32")[0]) for f in files])
    return [s[i:i + 4 * SR] for i in range(int(first_s * SR), len(s) - 4 * SR, 4 * SR)]


def voiced_seconds(vad, wavs, prime_frames):
    out = []
    for w in wavs:
        x = np.concatenate([np.zeros(prime_frames * FRAME, np.float32), w])
        vad.primed = np.zeros((2, 1, 128), np.float32)          # from zeros; the silence is part of the input
        p = vad.frame_probs([x])[0][prime_frames:]
        out.append(min(len(w), int(voiced_mask(p, 0.5).sum()) * FRAME) / SR)
    return np.array(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vad", default="../shared/models/silero-vad/silero_vad_v5.onnx")
    ap.add_argument("--ravdess", default="../shared/data/ravdess-speech-16k")
    ap.add_argument("--emodb", default="../shared/data/emodb-16k")
    args = ap.parse_args()
    vad = SileroVad(args.vad)
    actors = sorted(glob.glob(os.path.join(args.ravdess, "Actor_*")))
    sets = {
        "RAVDESS, every take, cut from 2 s (20 cuts per actor)":
            [c for a in actors for c in cuts(sorted(glob.glob(a + "/*.flac")), 2.0)[:20]],
        "RAVDESS, the strong-intensity takes, cut from 0.1 s (every cut)":
            [c for a in actors for c in cuts(sorted(glob.glob(a + "/03-01-0[2-8]-02-*.flac")), 0.1)],
        "EmoDB, every file, cut from 2 s (20 cuts per speaker)":
            [c for spk in ["03", "08", "09", "10", "11", "12", "13", "14"]
             for c in cuts(sorted(glob.glob(os.path.join(args.emodb, spk + "*.flac"))), 2.0)[:20]],
    }
    primes = [0, 4, 8, 16, 32]
    print("| 4 s cuts of continuous speech | n | " + " | ".join(
        f"primed {p * FRAME / SR:.3f} s: under 0.5 s (median)" for p in primes) + " |")
    print("|---|---|" + "---|" * len(primes))
    for name, wavs in sets.items():
        row = [voiced_seconds(vad, wavs, p) for p in primes]
        print(f"| {name} | {len(wavs)} | " + " | ".join(f"{(v < 0.5).sum()} ({np.median(v):.2f})" for v in row)
              + " |", flush=True)


if __name__ == "__main__":
    main()
