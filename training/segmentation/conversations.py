#!/usr/bin/env python3
"""Speech-aligned against fixed segments (issue #11 part 2), measured on labelled "conversations".

build: per speaker (RAVDESS actors 01-18, EmoDB's ten speakers), one WAV of 30-60 s made of that
speaker's utterances, adjacent ones of different emotions, each trimmed of its leading and trailing
silence (librosa.effects.trim, 35 dB), joined by pauses of 0.3-1.5 s (uniform) of faint noise
(-65 dBFS RMS); segments.csv gives every utterance's time span and label. Seeded: the same set
every time.

score: reads the JSON lines of `./emostream analyze --json` on those files, once per
segmentation, and scores each fused segment against the labels overlapping it: the segment's true
label is the majority by time of the labelled speech in it; it straddles when a second emotion
covers at least 0.25 s of it. Accuracy by segment (a segment without labelled speech is not
counted) and by time (each second of labelled speech scored with the segment it lies in).

    python3 training/segmentation/conversations.py build --out /tmp/conv
    ./emostream analyze --json /tmp/conv/*.wav > fixed.jsonl
    EMOSTREAM_SEGMENTATION=vad ./emostream analyze --json /tmp/conv/*.wav > vad.jsonl
    python3 training/segmentation/conversations.py score /tmp/conv/segments.csv fixed=fixed.jsonl vad=vad.jsonl

The shipped speech model was trained on these speakers: the absolute accuracies are in-sample; the
comparison between segmentations is the point.
"""
import argparse
import csv
import json
import os
import random
import sys
from collections import defaultdict

RATE = 16000
RAVDESS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
           "06": "fearful", "07": "disgust", "08": "surprised"}
EMODB = {"W": "angry", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}
STRADDLE_S = 0.25


def utterances(shared):
    """(corpus-speaker, path, label) of every usable file."""
    out = []
    rav = os.path.join(shared, "data", "ravdess-speech-16k")
    for actor in sorted(os.listdir(rav)):
        folder = os.path.join(rav, actor)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".flac", ".wav")):
                continue
            parts = name.split(".")[0].split("-")
            out.append(("ravdess-" + parts[6], os.path.join(folder, name), RAVDESS[parts[2]]))
    emo = os.path.join(shared, "data", "emodb-16k")
    for name in sorted(os.listdir(emo)):
        if name.endswith((".flac", ".wav")) and len(name) >= 7 and name[5] in EMODB:  # boredom (L) has no canonical label
            out.append(("emodb-" + name[:2], os.path.join(emo, name), EMODB[name[5]]))
    return out


def build(args):
    import librosa
    import numpy as np
    import soundfile as sf

    rng = random.Random(args.seed)
    noise = np.random.default_rng(args.seed)
    by_speaker = defaultdict(list)
    for speaker, path, label in utterances(args.shared):
        by_speaker[speaker].append((path, label))
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for speaker in sorted(by_speaker):
        pool = by_speaker[speaker][:]
        rng.shuffle(pool)
        target = rng.uniform(30, 60)
        pieces, t, previous = [], 0.0, None
        while pool and t < target:
            pick = next((u for u in pool if u[1] != previous), None)
            if pick is None:
                break
            pool.remove(pick)
            wav, rate = sf.read(pick[0], dtype="float32")
            assert rate == RATE, pick[0]
            wav, _ = librosa.effects.trim(wav, top_db=35)
            gap = rng.uniform(0.3, 1.5)
            silence = noise.normal(0, 10 ** (-65 / 20), int(gap * RATE)).astype("float32")
            if pieces:
                pieces.append(silence)
                t += len(silence) / RATE
            rows.append((speaker, t, t + len(wav) / RATE, pick[1]))
            pieces.append(wav)
            t += len(wav) / RATE
            previous = pick[1]
        sf.write(os.path.join(args.out, f"conv-{speaker}.wav"), np.concatenate(pieces), RATE,
                 subtype="PCM_16")
    with open(os.path.join(args.out, "segments.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "start_s", "end_s", "label"])
        for speaker, start, end, label in rows:
            w.writerow([f"conv-{speaker}.wav", f"{start:.3f}", f"{end:.3f}", label])
    print(f"{len(by_speaker)} files, {len(rows)} utterances, {rows and sum(e - s for _, s, e, _ in rows):.0f} s of speech in {args.out}")


def score_run(labels, path):
    """Figures of one run's JSON lines against the labels, per corpus and in all."""
    stats = defaultdict(lambda: defaultdict(float))
    seen = set()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            seg = json.loads(line)
            name = seg["sourceName"]
            if name not in labels:
                continue
            seen.add(name)
            start, end = seg["startMs"] / 1000, seg["endMs"] / 1000
            cover = defaultdict(float)
            for s, e, label in labels[name]:
                overlap = min(e, end) - max(s, start)
                if overlap > 0:
                    cover[label] += overlap
            corpus = name.split("-")[1]
            for key in (corpus, "all"):
                st = stats[key]
                st["segments"] += 1
                st["seconds"] += end - start
                st["no_speech"] += seg["status"] == "NO_PREDICTION"
                if not cover:
                    st["without_speech"] += 1
                    continue
                truth = max(cover, key=cover.get)
                st["scored"] += 1
                st["correct"] += seg["label"] == truth
                st["straddle"] += sum(1 for v in cover.values() if v >= STRADDLE_S) > 1
                st["speech_s"] += sum(cover.values())
                st["correct_s"] += cover.get(seg["label"], 0.0)
    missing = set(labels) - seen
    if missing:
        sys.exit(f"{path}: no segments for {len(missing)} file(s), e.g. {sorted(missing)[0]}")
    return stats


def score(args):
    labels = defaultdict(list)
    with open(args.labels) as f:
        for row in csv.DictReader(f):
            labels[row["file"]].append((float(row["start_s"]), float(row["end_s"]), row["label"]))
    print("| segmentation | corpus | segments | mean length | straddling two emotions "
          "| accuracy by segment | accuracy by time | NO_PREDICTION | without speech |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in args.runs:
        name, path = run.split("=", 1)
        stats = score_run(labels, path)
        for corpus in ("ravdess", "emodb", "all"):
            st = stats[corpus]
            if not st["segments"]:
                continue
            print(f"| {name} | {corpus} | {st['segments']:.0f} | {st['seconds'] / st['segments']:.2f} s "
                  f"| {st['straddle'] / st['scored']:.1%} ({st['straddle']:.0f}) "
                  f"| {st['correct'] / st['scored']:.1%} ({st['correct']:.0f}/{st['scored']:.0f}) "
                  f"| {st['correct_s'] / st['speech_s']:.1%} "
                  f"| {st['no_speech']:.0f} | {st['without_speech']:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the conversation WAVs and segments.csv")
    b.add_argument("--out", required=True)
    b.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../../shared"))
    b.add_argument("--seed", type=int, default=11)
    s = sub.add_parser("score", help="score analyze --json runs against segments.csv")
    s.add_argument("labels")
    s.add_argument("runs", nargs="+", help="NAME=FILE.jsonl")
    args = parser.parse_args()
    build(args) if args.command == "build" else score(args)


if __name__ == "__main__":
    main()
