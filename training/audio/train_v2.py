#!/usr/bin/env python3
"""Speech-emotion model v2 of emostream: RAVDESS + EmoDB, voiced audio only, deployment augmentation, a frozen
pretrained speech embedding plus a small log-mel CNN, calibrated, exported as one waveform-in ONNX graph.

Exported graph (input `input_values` float32 [batch, samples], 16 kHz PCM16 / 32768; output `logits` [batch, 8]):

  waveform -> cyclic repeat up to 12512 samples if shorter (0.78 s, one embedding window)
           -> openWakeWord/Google speech_embedding mel front end (32 bands, 10 ms hop, dB, /10 + 2)
           -> (a) frozen speech_embedding network, run once over the whole sequence -> [W, 96] every 80 ms
                  -> BatchNorm, 2 x Conv1d(k3)/BN/ReLU (128) -> mean + max over time
              (b) the same mel frames minus their per-utterance mean per band -> BatchNorm,
                  3 x Conv1d/BN/ReLU (64, 128, 128; MaxPool(2) after the first two) -> mean + max over time
           -> concat -> Dropout(0.3) -> Linear(512, 8) -> divided by the calibration temperature

Training data: the voiced audio (shared Silero VAD contract, vad.py) of K copies of every clip: copy 0 clean,
copy 1 telephone band with mu-law (the evaluation's telephone condition), copies >= 2 random deployment
augmentations (augment.py). Features are computed once per copy and cached; the heads train on random crops.

Protocol: 6 speaker-independent folds over both corpora (FOLDS: 3 RAVDESS actors and 1-2 EmoDB speakers each);
each fold trains on every other speaker of both corpora. Test: copy 0 (clean) and copy 1 (telephone mu-law) of the
held-out speakers. Temperature: for fold k fitted on the out-of-fold clean predictions of the other folds (ECE of
fold k after it); the shipped temperature is fitted on all out-of-fold clean predictions.

Options for the v3 attempt (issue #11 part 3; off by default): --extra acf|spec adds a pitch-resolving branch
computed in the graph from the same STFT (prosody.py), --heads K averages the logits of K heads in the one graph,
--merge combines CV runs made on disjoint --fold-ids. See training/audio/README.md, "v3 attempt".

Usage (from the project root; see training/audio/README.md):
  python training/audio/train_v2.py --out models/speech-emotion-v2
"""
import argparse
import csv
import glob
import json
import math
import os
import random
import sys
import time

import numpy as np
import soundfile as sf
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import prosody  # noqa: E402
from speech_embedding import EmbeddingNet, OwwMelFrontEnd, MEL_STRIDE, MEL_WINDOW, TAIL_START, tile_to_min  # noqa: E402
from vad import SileroVad  # noqa: E402

LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
EMODB_LABELS = ["neutral", "happy", "sad", "angry", "fearful", "disgust"]   # boredom has no canonical label
SR = 16000
TAIL_CONV = 15            # --tune-tail trains the embedding network's convolutions from this one on (TAIL_START)
MIN_VOICED_S = 0.3        # a copy with less voiced audio than this keeps its whole clip (counted, reported)

# fold k: (RAVDESS actors, EmoDB speakers) held out; odd RAVDESS ids are male, even female;
# EmoDB 03, 10, 11, 12 male, 08, 09, 13, 14 female.
FOLDS = [
    ([1, 2, 13], ["03", "08"]),
    ([3, 4, 15], ["09", "10"]),
    ([5, 6, 17], ["11"]),
    ([7, 8, 14], ["12"]),
    ([9, 10, 16], ["13"]),
    ([11, 12, 18], ["14"]),
]


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def load_rows(ravdess_dir, emodb_dir):
    rows, boredom = [], 0
    with open(os.path.join(ravdess_dir, "index.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.append({"path": os.path.join(ravdess_dir, r["path"]), "corpus": "ravdess",
                         "speaker": f"ravdess-{int(r['actor']):02d}", "label": LABELS.index(r["emotion"])})
    with open(os.path.join(emodb_dir, "index.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["emotion"] == "boredom":
                boredom += 1
                continue
            assert r["emotion"] in EMODB_LABELS, r
            assert r["speaker"] == "emodb-" + r["file"][:2], r
            rows.append({"path": os.path.join(emodb_dir, r["file"]), "corpus": "emodb",
                         "speaker": r["speaker"], "label": LABELS.index(r["emotion"])})
    return rows, boredom


def fold_of(row):
    for k, (actors, spk) in enumerate(FOLDS):
        if row["speaker"] in [f"ravdess-{a:02d}" for a in actors] + [f"emodb-{s}" for s in spk]:
            return k
    raise ValueError(row["speaker"])


def load_wav(path):
    wav, sr = sf.read(path, dtype="float32", always_2d=False)
    if sr != SR:
        raise ValueError(f"{path}: {sr} Hz, expected {SR}")
    return wav.mean(axis=1).astype(np.float32) if wav.ndim > 1 else wav


def augmented_copy(wav, copy, rng, babble_pool, base_copies=None):
    """Copy 0 clean, 1 telephone mu-law (deterministic), >= 2 random deployment augmentation. Copies at or past
    `base_copies` (--speaker-copies) are other voices first: the pitch and formants shifted together by 1-3
    semitones up or down at the same tempo (augment.voice), then deployment augmentation as copy 2 or 3."""
    if copy == 0:
        return wav
    if copy == 1:
        return augment.telephone(wav, "mu")
    x = wav
    if base_copies is not None and copy >= base_copies:
        x = augment.voice(x, float(rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 3.0)))
    if copy % 2 == 0:                      # acoustic: speed, reverb, noise 5-20 dB, gain
        if rng.random() < 0.5:
            x = augment.speed(x, rng.uniform(0.9, 1.1))
        if rng.random() < 0.5:
            x = augment.reverb(x, rng.uniform(0.2, 0.8), rng)
        kind = ["white", "pink", "babble"][rng.integers(0, 3)]
        src = [babble_pool[i] for i in rng.choice(len(babble_pool), size=4, replace=False)] if kind == "babble" else ()
        x = augment.add_noise(x, rng.uniform(5.0, 20.0), kind, rng, src)
        return augment.gain_db(x, rng.uniform(-12.0, 6.0))
    # channel: optional reverb and noise, then the telephone band with mu-law or A-law, gain
    if rng.random() < 0.3:
        x = augment.reverb(x, rng.uniform(0.2, 0.6), rng)
    if rng.random() < 0.7:
        kind = ["white", "pink", "babble"][rng.integers(0, 3)]
        src = [babble_pool[i] for i in rng.choice(len(babble_pool), size=4, replace=False)] if kind == "babble" else ()
        x = augment.add_noise(x, rng.uniform(10.0, 20.0), kind, rng, src)
    x = augment.gain_db(x, rng.uniform(-12.0, 6.0))
    return augment.telephone(x, "mu" if rng.random() < 0.5 else "alaw")


def total_copies(args):
    return args.copies + args.speaker_copies


def cache_file(cache, kind, copies, speaker_copies, seed):
    """(path, part) of the cached `kind` ("features", "extra_acf", ...) for these copies: k4 as before
    --speaker-copies existed, k4_p2 with two voice copies. Without voice copies, a cache that has them is used too
    when there is no other (its first copies are drawn exactly alike); `part` then says to keep only those."""
    key = f"k{copies}" + (f"_p{speaker_copies}" if speaker_copies else "")
    path = os.path.join(cache, f"{kind}_{key}_s{seed}.pt")
    if speaker_copies or os.path.exists(path):
        return path, False
    wider = sorted(glob.glob(os.path.join(cache, f"{kind}_k{copies}_p*_s{seed}.pt")))
    return (wider[0], True) if wider else (path, False)


@torch.no_grad()
def build_features(rows, args, log):
    """mel [T, 32] (float16) and embedding [W, 96] (float16) of the voiced audio of every copy; cached."""
    path, part = cache_file(args.cache, "features", args.copies, args.speaker_copies, args.seed)
    if os.path.exists(path):
        log(f"features: cached {path}" + (f", its first {args.copies} copies" if part else ""))
        feats = torch.load(path, weights_only=False)   # our own cache (numpy arrays inside)
        return {k: v[:args.copies] for k, v in feats.items()} if part else feats
    os.makedirs(args.cache, exist_ok=True)
    t0 = time.time()
    vad = SileroVad(args.vad)
    fe, net = OwwMelFrontEnd(args.mel_onnx).eval(), EmbeddingNet(args.emb_onnx).eval()
    wavs = [load_wav(r["path"]) for r in rows]
    folds = [fold_of(r) for r in rows]
    pools = {k: [w for w, f in zip(wavs, folds) if f == k] for k in range(len(FOLDS))}
    n = total_copies(args)
    feats = {"mel": [[None] * len(rows) for _ in range(n)],
             "emb": [[None] * len(rows) for _ in range(n)],
             "pcm": [[None] * len(rows) for _ in range(n)],
             "voiced_s": np.zeros((n, len(rows))), "whole_kept": np.zeros((n, len(rows)), bool)}
    for c in range(n):
        rng = np.random.default_rng(args.seed + 7919 * c)
        copies = []
        for i, w in enumerate(wavs):
            # babble comes from other clips of the same fold, so no held-out speaker leaks into a training fold
            copies.append(augmented_copy(w, c, rng, [p for p in pools[folds[i]] if p is not w], args.copies))
        voiced = vad.voiced(copies, threshold=args.vad_threshold)
        for i, (v, _) in enumerate(voiced):
            feats["voiced_s"][c, i] = len(v) / SR
            if len(v) < MIN_VOICED_S * SR:
                v = copies[i]
                feats["whole_kept"][c, i] = True
            # the model's input in the product is PCM16 / 32768: the prosody features (--extra) start from this
            feats["pcm"][c][i] = np.round(np.clip(v, -1.0, 32767 / 32768) * 32768).astype(np.int16)
            x = tile_to_min(torch.from_numpy(np.ascontiguousarray(v))[None])
            mel = fe(x)
            feats["mel"][c][i] = mel[0].half()
            feats["emb"][c][i] = net(mel)[0].half()
        log(f"features: copy {c} done ({time.time() - t0:.0f} s); voiced s median "
            f"{np.median(feats['voiced_s'][c]):.2f}, whole clip kept for {int(feats['whole_kept'][c].sum())}")
    torch.save(feats, path)
    return feats


@torch.no_grad()
def build_front(feats, args, log):
    """The embedding network's front output (--tune-tail), time first [2 W + 8, 96, 2] (float16), of the cached mel
    frames of every copy; cached. Checked on every 50th clip: the frozen tail on a crop of it gives those windows of
    the whole (the crops' alignment), and the whole gives the cached embeddings (computed from float32 mel frames,
    these from the cached float16 ones: within 1 % of the largest value)."""
    path, part = cache_file(args.cache, "front", args.copies, args.speaker_copies, args.seed)
    if os.path.exists(path):
        log(f"front features: cached {path}" + (f", its first {args.copies} copies" if part else ""))
        front = torch.load(path, weights_only=False)
        return front[:args.copies] if part else front
    t0 = time.time()
    net = EmbeddingNet(args.emb_onnx).eval()
    out = [[None] * len(feats["mel"][0]) for _ in range(total_copies(args))]
    align, rel = 0.0, 0.0
    for c in range(total_copies(args)):
        for i, mel in enumerate(feats["mel"][c]):
            a = net.front(mel[None].float())
            if i % 50 == 0:
                whole, cached = net.tail(a)[0], feats["emb"][c][i].float()
                rel = max(rel, float((whole - cached).abs().max() / cached.abs().max()))
                n = whole.shape[0]
                for j, w in ((0, 1), (n // 3, max(1, n // 2)), (n - 1, 1)):
                    w = min(w, n - j)
                    crop = net.tail(a[:, :, 2 * j:2 * (j + w) + 8])[0]
                    align = max(align, float((crop - whole[j:j + w]).abs().max()))
            out[c][i] = a[0].permute(1, 0, 2).half()
    log(f"front features done ({time.time() - t0:.0f} s); the frozen tail on crops of them is within {align:.2e} of "
        f"the whole clip's windows, and on whole clips within {100 * rel:.2f} % of the cached embeddings")
    if align > 1e-3 or rel > 0.01:
        raise AssertionError(f"the front/tail split does not give the embeddings: {align}, {rel}")
    torch.save(out, path)
    return out


@torch.no_grad()
def build_extra(feats, args, log):
    """Prosody features (prosody.py, --extra) [T, C] (float16) of the cached voiced audio of every copy; cached."""
    if "pcm" not in feats:
        raise SystemExit(f"the feature cache in {args.cache} predates --extra (no voiced audio in it): delete it")
    path, part = cache_file(args.cache, f"extra_{args.extra}", args.copies, args.speaker_copies, args.seed)
    if os.path.exists(path):
        log(f"extra features: cached {path}" + (f", its first {args.copies} copies" if part else ""))
        extra = torch.load(path, weights_only=False)
        return extra[:args.copies] if part else extra
    t0 = time.time()
    fe = prosody.ProsodyFrontEnd(args.mel_onnx, args.extra).eval()
    out = [[None] * len(feats["pcm"][0]) for _ in range(total_copies(args))]
    for c in range(total_copies(args)):
        for i, pcm in enumerate(feats["pcm"][c]):
            x = fe(tile_to_min(torch.from_numpy(pcm.astype(np.float32) / 32768.0)[None]))[0]
            if x.shape[0] != feats["mel"][c][i].shape[0]:
                raise AssertionError(f"copy {c} clip {i}: {x.shape[0]} prosody frames, "
                                     f"{feats['mel'][c][i].shape[0]} mel frames")
            out[c][i] = x.half()
    log(f"extra features '{args.extra}' ({prosody.channels(args.extra)} channels) done ({time.time() - t0:.0f} s)")
    torch.save(out, path)
    return out


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------
class ConvBlock(nn.Module):
    def __init__(self, cin, cout, k=3, pool=False):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm1d(cout)
        self.pool = nn.MaxPool1d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class Head(nn.Module):
    """mel [B, T, 32] and embeddings [B, W, 96] -> logits [B, 8]; branches 'emb', 'mel' or 'both'. With `emb_onnx`
    (--tune-tail) the head holds its own trainable copy of the embedding network's tail, and takes the front's output
    time first, [B, 2 W + 8, 96, 2], where it would take the embeddings."""

    def __init__(self, branches="both", dropout=0.3, extra="none", emb_onnx=None):
        super().__init__()
        self.branches = branches
        self.extra = extra
        self.tail = None
        if emb_onnx is not None:
            self.tail = EmbeddingNet(emb_onnx)
            for k in range(TAIL_CONV, len(self.tail.convs)):
                self.tail.convs[k].requires_grad_(True)
        width = 0
        if branches in ("emb", "both"):
            self.emb_bn = nn.BatchNorm1d(96)
            self.emb = nn.Sequential(ConvBlock(96, 128), ConvBlock(128, 128))
            width += 256
        if branches in ("mel", "both"):
            self.mel_bn = nn.BatchNorm1d(32)
            self.mel = nn.Sequential(ConvBlock(32, 64, 5, pool=True), ConvBlock(64, 128, pool=True), ConvBlock(128, 128))
            width += 256
        if extra != "none":                 # prosody branch (prosody.py), built like the mel branch
            ch = prosody.channels(extra)
            self.pro_bn = nn.BatchNorm1d(ch)
            self.pro = nn.Sequential(ConvBlock(ch, 64, 5, pool=True), ConvBlock(64, 128, pool=True), ConvBlock(128, 128))
            width += 256
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(width, len(LABELS))

    @staticmethod
    def _pool(x):
        return torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)

    def forward(self, mel, emb, extra=None):
        parts = []
        if self.tail is not None:
            emb = self.tail.tail(emb.permute(0, 2, 1, 3))
        if self.branches in ("emb", "both"):
            parts.append(self._pool(self.emb(self.emb_bn(emb.transpose(1, 2)))))
        if self.branches in ("mel", "both"):
            m = mel.transpose(1, 2)
            m = m - m.mean(dim=2, keepdim=True)
            parts.append(self._pool(self.mel(self.mel_bn(m))))
        if self.extra != "none":
            x = extra.transpose(1, 2)
            if self.extra == "spec":        # log spectrum: minus its per-utterance mean per bin (gain-invariant)
                x = x - x.mean(dim=2, keepdim=True)
            parts.append(self._pool(self.pro(self.pro_bn(x))))
        return self.fc(self.drop(torch.cat(parts, dim=1)))


class Ensemble(nn.Module):
    """K heads trained with different seeds; their logits averaged (--heads K)."""

    def __init__(self, heads):
        super().__init__()
        self.heads = nn.ModuleList(heads)

    def forward(self, mel, emb, extra=None):
        return torch.stack([h(mel, emb, extra) for h in self.heads]).mean(dim=0)


class SpeechEmotionV2(nn.Module):
    """The shipped graph: waveform [B, S] -> calibrated logits [B, 8]. `head` is a Head or an Ensemble; with
    extra != "none" the prosody front end (prosody.py) runs on the same tiled waveform."""

    def __init__(self, head, mel_onnx, emb_onnx, temperature, extra="none"):
        super().__init__()
        self.fe = OwwMelFrontEnd(mel_onnx)
        self.net = EmbeddingNet(emb_onnx)
        self.pro = prosody.ProsodyFrontEnd(mel_onnx, extra) if extra != "none" else None
        self.head = head
        first = head.heads[0] if isinstance(head, Ensemble) else head
        self.uses_emb = first.branches in ("emb", "both")     # --branches mel: the embedding network is not run
        self.tuned_tail = first.tail is not None              # --tune-tail: each head runs its own tail
        self.register_buffer("inv_t", torch.tensor(1.0 / temperature, dtype=torch.float32))

    def forward(self, input_values):
        wav = tile_to_min(input_values)
        mel = self.fe(wav)
        extra = self.pro(wav) if self.pro is not None else None
        if self.tuned_tail:
            emb = self.net.front(mel).permute(0, 2, 1, 3)
        else:
            emb = self.net(mel) if self.uses_emb else None
        return self.head(mel, emb, extra) * self.inv_t


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------
def windows(e):
    """Embedding windows of a clip's embeddings [W, 96] or of the embedding network's front output [2 W + 8, 96, 2]."""
    return e.shape[0] if e.dim() == 2 else (e.shape[0] - 8) // 2


def make_batch(items, feats, labels, rng, extra=None):
    """Random aligned crops (1.0-3.0 s, capped by the shortest item) of mel frames, embedding windows and the
    prosody frames (the same frames as the mel ones) when `extra` holds them."""
    n_win = min(windows(feats["emb"][c][i]) for c, i in items)
    w = min(n_win, rng.randint(8, 33))                      # windows of 80 ms: 1.3-3.2 s of mel frames
    mels, embs, pros = [], [], []
    for c, i in items:
        e = feats["emb"][c][i]
        j = rng.randint(0, windows(e) - w)
        embs.append(e[j:j + w] if e.dim() == 2 else e[2 * j:2 * (j + w) + 8])   # --tune-tail: the front's output
        frames = slice(j * MEL_STRIDE, j * MEL_STRIDE + (w - 1) * MEL_STRIDE + MEL_WINDOW)
        mels.append(feats["mel"][c][i][frames])
        if extra is not None:
            pros.append(extra[c][i][frames])
    mel = torch.stack(mels).float()
    pro = torch.stack(pros).float() if extra is not None else None
    # SpecAugment-like: one band mask (<= 4 of 32) and one time mask (<= 10 %) on the mel branch
    for b in range(mel.shape[0]):
        f = rng.randint(0, 4)
        f0 = rng.randint(0, 32 - f)
        mel[b, :, f0:f0 + f] = mel[b].mean()
        t = rng.randint(0, mel.shape[1] // 10)
        t0 = rng.randint(0, mel.shape[1] - t)
        mel[b, t0:t0 + t, :] = mel[b].mean()
        if pro is not None:                 # the same time mask on the prosody frames
            pro[b, t0:t0 + t, :] = pro[b].mean(dim=0)
    y = torch.tensor([labels[i] for _, i in items], dtype=torch.long)
    return mel, torch.stack(embs).float(), pro, y


def train_model(train_rows, feats, extra, labels, args, seed, log):
    """One Head (--heads 1, seeded as v2) or an Ensemble of --heads heads, head h seeded with seed + 101 h."""
    heads = []
    for h in range(args.heads):
        if args.heads > 1:
            log(f"    head {h + 1}/{args.heads}")
        heads.append(train_head(train_rows, feats, extra, labels, args, seed + 101 * h, log))
    return heads[0] if args.heads == 1 else Ensemble(heads).eval()


def train_head(train_rows, feats, extra, labels, args, seed, log):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = Head(args.branches, extra=args.extra, emb_onnx=args.emb_onnx if args.tune_tail else None)
    items = [(c, i) for c in range(total_copies(args)) for i in train_rows]
    counts = np.bincount([labels[i] for i in train_rows], minlength=len(LABELS)).astype(np.float64)
    present = counts > 0                    # training on EmoDB alone (--cross-corpus): no calm, no surprised
    weights = torch.tensor(np.where(present, counts.sum() / (present.sum() * np.maximum(counts, 1)), 0.0),
                           dtype=torch.float32)
    tail = [p for p in model.tail.parameters() if p.requires_grad] if model.tail is not None else []
    ids = {id(p) for p in tail}
    own = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    groups = [{"params": own, "lr": args.lr, "weight_decay": 1e-2}]
    if tail:                                # pretrained weights: a smaller step, no decay towards zero
        groups.append({"params": tail, "lr": args.lr * args.tune_tail, "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups)
    steps = math.ceil(len(items) / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups], epochs=args.epochs,
                                                steps_per_epoch=steps, pct_start=0.15)
    for ep in range(args.epochs):
        model.train()
        rng.shuffle(items)
        tot, correct, n = 0.0, 0, 0
        for s in range(0, len(items), args.batch):
            mel, emb, pro, y = make_batch(items[s:s + args.batch], feats, labels, rng, extra)
            if args.mixup > 0:              # mixup of the (aligned, equally long) feature crops and their labels
                lam = rng.betavariate(args.mixup, args.mixup)
                perm = torch.tensor(rng.sample(range(len(y)), len(y)))
                mel, emb = lam * mel + (1 - lam) * mel[perm], lam * emb + (1 - lam) * emb[perm]
                pro = lam * pro + (1 - lam) * pro[perm] if pro is not None else None
            out = model(mel, emb, pro)
            loss = F.cross_entropy(out, y, weight=weights, label_smoothing=0.1)
            if args.mixup > 0:
                loss = lam * loss + (1 - lam) * F.cross_entropy(out, y[perm], weight=weights, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(y)
            correct += int((out.argmax(1) == y).sum())
            n += len(y)
        if ep == 0 or (ep + 1) % 5 == 0 or ep == args.epochs - 1:
            log(f"    epoch {ep + 1:3d}/{args.epochs} loss {tot / n:.4f} train-acc(aug) {correct / n:.3f}")
    return model.eval()


@torch.no_grad()
def predict(model, idx, feats, extra, copy):
    out = np.zeros((len(idx), len(LABELS)), dtype=np.float64)
    for k, i in enumerate(idx):
        pro = extra[copy][i][None].float() if extra is not None else None
        out[k] = model(feats["mel"][copy][i][None].float(), feats["emb"][copy][i][None].float(),
                       pro)[0].double().numpy()
    return out


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------
def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def ece(logits, y, bins=15):
    p = softmax(logits)
    conf, pred = p.max(1), p.argmax(1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return float(total)


def nll(logits, y):
    p = softmax(logits)
    return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))


def fit_temperature(logits, y):
    grid = np.exp(np.linspace(math.log(0.25), math.log(8.0), 400))
    return float(grid[int(np.argmin([nll(logits / t, y) for t in grid]))])


def confusion(y, pred, n=len(LABELS)):
    cm = np.zeros((n, n), dtype=np.int64)
    for t, p in zip(y, pred):
        cm[t, p] += 1
    return cm


def macro_f1(cm, classes):
    f1s = []
    for c in classes:
        tp = cm[c, c]
        prec = tp / cm[:, c].sum() if cm[:, c].sum() else 0.0
        rec = tp / cm[c, :].sum() if cm[c, :].sum() else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(f1s))


def t_ci(values):
    """mean and 95 % half-width (Student t over folds)."""
    t975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365}
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return float(v.mean()), float("nan")
    return float(v.mean()), float(t975[len(v) - 1] * v.std(ddof=1) / math.sqrt(len(v)))


def summarise(name, logits, y, folds, restrict=None):
    """Accuracy per fold, mean +- t CI, pooled +- normal CI, macro F1 over the classes present in y and the
    confusion matrix (argmax over `restrict` label indices when given)."""
    cls = list(range(len(LABELS))) if restrict is None else restrict
    pred = np.array(cls)[np.argmax(logits[:, cls], axis=1)]
    ok = pred == y
    per_fold = {int(k): float(ok[folds == k].mean()) for k in np.unique(folds)}
    mean, hw = t_ci(list(per_fold.values()))
    p = float(ok.mean())
    cm = confusion(y, pred)
    return {"name": name, "n": int(len(y)), "per_fold": per_fold, "fold_mean": mean, "fold_ci95": hw,
            "pooled": p, "pooled_ci95": 1.96 * math.sqrt(p * (1 - p) / len(y)),
            "macro_f1": macro_f1(cm, sorted(set(y.tolist()))),
            "confusion": cm.tolist(), "classes": cls}


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------
def export(model, path, opset):
    dummy = torch.zeros(1, 4 * SR)
    torch.onnx.export(model, (dummy,), path, input_names=["input_values"], output_names=["logits"],
                      dynamic_axes={"input_values": {0: "batch", 1: "samples"}, "logits": {0: "batch"}},
                      opset_version=opset, do_constant_folding=True, dynamo=False)


def cv_summary(oof, run, labels, corpus, folds, report, args, log):
    """Figures per corpus and condition over the folds in `run`, nested calibration; writes oof<tag>.npz and
    cv_report<tag>.json; returns the temperature fitted on all out-of-fold clean logits (1.0 for one fold)."""
    done = np.isin(folds, run)
    res = {}
    for c, cname in ((0, "clean"), (1, "telephone")):
        for corp in ("ravdess", "emodb"):
            m = done & (corpus == corp)
            if not m.any():
                continue
            res[f"{corp}_{cname}"] = summarise(f"{corp} {cname}", oof[c][m], labels[m], folds[m])
            if corp == "emodb":
                res[f"{corp}_{cname}_6class"] = summarise(f"{corp} {cname} 6-class", oof[c][m], labels[m],
                                                          folds[m], [LABELS.index(l) for l in EMODB_LABELS])
    # calibration: nested temperature (fold k scaled with T fitted on the other folds' OOF clean logits)
    calib = {}
    if len(run) > 1:
        for c, cname in ((0, "clean"), (1, "telephone")):
            scaled = np.zeros_like(oof[c])
            temps = {}
            for k in run:
                other = done & (folds != k)
                temps[k] = fit_temperature(oof[0][other], labels[other])
                scaled[folds == k] = oof[c][folds == k] / temps[k]
            calib[cname] = {"ece_before": ece(oof[c][done], labels[done]),
                            "ece_after_nested": ece(scaled[done], labels[done]),
                            "nll_before": nll(oof[c][done], labels[done]),
                            "nll_after_nested": nll(scaled[done], labels[done]),
                            "fold_temperatures": temps}
        calib["temperature_all_oof"] = fit_temperature(oof[0][done], labels[done])
    report.update({"folds_run": run, "results": res, "calibration": calib})
    for key, r in res.items():
        log(f"{key:28s} folds {' '.join(f'{100 * a:.1f}' for a in r['per_fold'].values())} | mean "
            f"{100 * r['fold_mean']:.2f} ± {100 * r['fold_ci95']:.2f} | pooled {100 * r['pooled']:.2f} ± "
            f"{100 * r['pooled_ci95']:.2f} | macro F1 {100 * r['macro_f1']:.2f}")
    for cname, cal in calib.items():
        log(f"calibration {cname}: {cal}")
    np.savez(os.path.join(args.results, f"oof{args.tag}.npz"), clean=oof[0], telephone=oof[1], labels=labels,
             folds=folds, corpus=corpus)
    with open(os.path.join(args.results, f"cv_report{args.tag}.json"), "w") as f:
        json.dump(report, f, indent=1)
    return calib.get("temperature_all_oof", 1.0)


def merge_runs(tags, labels, corpus, folds, args, log):
    """cv_summary over the union of CV runs made as separate processes on disjoint folds (--merge)."""
    oof = {0: np.zeros((len(labels), len(LABELS))), 1: np.zeros((len(labels), len(LABELS)))}
    run, report = [], None
    for tag in tags:
        part = json.load(open(os.path.join(args.results, f"cv_report{tag}.json")))
        arrays = np.load(os.path.join(args.results, f"oof{tag}.npz"))
        if not (np.array_equal(arrays["labels"], labels) and np.array_equal(arrays["folds"], folds)):
            raise SystemExit(f"oof{tag}.npz holds other clips than this data set")
        if set(part["folds_run"]) & set(run):
            raise SystemExit(f"run {tag} repeats folds {sorted(set(part['folds_run']) & set(run))}")
        recipe = {k: v for k, v in part["args"].items() if k not in ("fold_ids", "tag", "no_final", "out")}
        if report is None:
            report, first = {k: v for k, v in part.items() if k not in ("results", "calibration", "folds_run")}, recipe
        elif recipe != first:
            raise SystemExit(f"run {tag} has another recipe: {recipe} vs {first}")
        m = np.isin(folds, part["folds_run"])
        oof[0][m], oof[1][m] = arrays["clean"][m], arrays["telephone"][m]
        run += part["folds_run"]
        log(f"merge: {tag} folds {part['folds_run']}")
    report["merged_from"] = tags
    return cv_summary(oof, sorted(run), labels, corpus, folds, report, args, log)


def cross_corpus(feats, extra, labels, corpus, args, log):
    """--cross-corpus: trains on one corpus only and tests on all of the other, whose language, speakers, studio and
    sentences it never heard: RAVDESS -> EmoDB (argmax over EmoDB's 6 labels) and EmoDB -> RAVDESS (RAVDESS's clips
    of those 6 labels, argmax over them), clean and through the telephone band. Writes cross_corpus<tag>.json and
    the test logits to cross_corpus<tag>.npz."""
    six = [LABELS.index(l) for l in EMODB_LABELS]
    out, arrays = {"args": vars(args)}, {}
    for n, (src, dst) in enumerate((("ravdess", "emodb"), ("emodb", "ravdess"))):
        tr = [i for i in range(len(labels)) if corpus[i] == src]
        te = [i for i in range(len(labels)) if corpus[i] == dst and labels[i] in six]
        log(f"cross-corpus: train on {len(tr)} {src} clips x {total_copies(args)} copies, test {len(te)} {dst} clips")
        model = train_model(tr, feats, extra, labels, args, args.seed + 50000 + n, log)
        arrays[f"{src}_to_{dst}_labels"] = labels[te]
        for c, cname in ((0, "clean"), (1, "telephone")):
            logits = predict(model, te, feats, extra, c)
            arrays[f"{src}_to_{dst}_{cname}"] = logits
            r = summarise(f"{src} -> {dst} {cname}", logits, labels[te], np.zeros(len(te), dtype=int), six)
            majority = np.bincount(labels[te]).max() / len(te)
            out[f"{src}_to_{dst}_{cname}"] = {k: r[k] for k in ("n", "pooled", "pooled_ci95", "macro_f1",
                                                                "confusion", "classes")} | {"majority": majority}
            log(f"  {src} -> {dst} {cname:9s} acc {100 * r['pooled']:.2f} % ± {100 * r['pooled_ci95']:.2f} "
                f"(n={r['n']}, majority class {100 * majority:.1f} %) macro F1 {100 * r['macro_f1']:.2f}")
    with open(os.path.join(args.results, f"cross_corpus{args.tag}.json"), "w") as f:
        json.dump(out, f, indent=1)
    np.savez(os.path.join(args.results, f"cross_corpus{args.tag}.npz"), **arrays)   # the logits, for ensembles


def make_model(args):
    """An untrained model of the shape --heads / --branches / --extra give (for loading a saved state)."""
    heads = [Head(args.branches, extra=args.extra, emb_onnx=args.emb_onnx if args.tune_tail else None)
             for _ in range(args.heads)]
    return heads[0] if args.heads == 1 else Ensemble(heads)


def log_fold(log, what, logits, test_idx, labels, corpus, folds):
    """Accuracy per condition and corpus of one fold's test clips (logits per copy, rows as in test_idx)."""
    test_idx = np.asarray(test_idx)
    for c, cname in ((0, "clean"), (1, "telephone")):
        for corp in ("ravdess", "emodb"):
            m = corpus[test_idx] == corp
            restrict = [LABELS.index(l) for l in EMODB_LABELS] if corp == "emodb" else None
            acc = summarise("", logits[c][m], labels[test_idx][m], folds[test_idx][m], restrict)["pooled"]
            log(f"  {what} {cname:9s} {corp:7s} acc {100 * acc:.2f} % (n={int(m.sum())})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shared = os.path.join("..", "shared")
    ap.add_argument("--ravdess", default=os.path.join(shared, "data", "ravdess-speech-16k"))
    ap.add_argument("--emodb", default=os.path.join(shared, "data", "emodb-16k"))
    ap.add_argument("--vad", default=os.path.join(shared, "models", "silero-vad", "silero_vad_v5.onnx"))
    ap.add_argument("--mel-onnx", default=os.path.join(shared, "models", "speech-embedding", "melspectrogram.onnx"))
    ap.add_argument("--emb-onnx", default=os.path.join(shared, "models", "speech-embedding", "embedding_model.onnx"))
    ap.add_argument("--vad-threshold", type=float, default=0.5)
    ap.add_argument("--copies", type=int, default=4, help="copies per clip: clean, telephone, >= 0 random")
    ap.add_argument("--speaker-copies", type=int, default=0,
                    help="extra copies per clip in other voices (pitch and formants shifted 1-3 semitones, same "
                         "tempo), each then augmented as a random copy")
    ap.add_argument("--mixup", type=float, default=0.0, help="mixup of training crops, Beta(a, a); 0 = off")
    ap.add_argument("--branches", choices=["emb", "mel", "both"], default="both")
    ap.add_argument("--extra", choices=("none",) + prosody.KINDS, default="none",
                    help="a third, pitch-resolving branch (prosody.py): spec = log spectrum 62 Hz-4 kHz in FFT bins, "
                         "acf = log-lag autocorrelogram + frame energy")
    ap.add_argument("--tune-tail", type=float, default=0.0,
                    help="train the speech_embedding network's last five convolutions too (each head its own copy), "
                         "at this share of --lr (0 = frozen, as before)")
    ap.add_argument("--heads", type=int, default=1, help="an ensemble of this many heads (seeds), logits averaged")
    ap.add_argument("--name", default="speech-emotion-v2", help="model name written into reference.json")
    ap.add_argument("--epochs", type=int, default=35)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fold-ids", default="", help="comma-separated folds to run (pilot); default all")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--no-final", action="store_true")
    ap.add_argument("--cache", default=os.path.join("training", "audio", ".cache"))
    ap.add_argument("--results", default=os.path.join("training", "audio", "results-v2"))
    ap.add_argument("--tag", default="", help="suffix of the results files (pilots)")
    ap.add_argument("--out", default=os.path.join("models", "speech-emotion-v2"))
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--reference-only", action="store_true",
                    help="rebuild the shipped model from <cache>/final_head<tag>.pt and the CV temperature, re-check "
                         "<out>/model.onnx and rewrite <out>/reference.json")
    ap.add_argument("--export", action="store_true",
                    help="with --reference-only: export <out>/model.onnx from the rebuilt model first (a final model "
                         "trained with --no-cv --temperature while the CV ran, re-exported with the CV temperature)")
    ap.add_argument("--merge", default="",
                    help="comma-separated tags of CV runs over disjoint --fold-ids (same recipe, same --results): "
                         "combine their out-of-fold logits into cv_report<tag>.json / oof<tag>.npz (nested "
                         "calibration over all their folds) and stop")
    ap.add_argument("--cross-corpus", action="store_true",
                    help="instead of the CV: train on RAVDESS alone and test on EmoDB, then the reverse (6 labels)")
    ap.add_argument("--temperature", type=float, default=None,
                    help="with --no-cv: the final model's temperature instead of <results>/cv_report.json's")
    args = ap.parse_args()
    if args.heads < 1:
        raise SystemExit(f"--heads must be >= 1, got {args.heads}")
    if args.export and not args.reference_only:
        raise SystemExit("--export goes with --reference-only")
    if args.temperature is not None and not (args.no_cv and args.temperature > 0):
        raise SystemExit("--temperature goes with --no-cv and must be > 0")

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.results, exist_ok=True)
    log_path = os.path.join(args.results, f"train_log{args.tag}.txt")
    logf = open(log_path, "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    t_start, c_start = time.time(), time.process_time()
    log(f"args: {vars(args)}")
    rows, boredom = load_rows(args.ravdess, args.emodb)
    if args.reference_only:
        temperature = float(json.load(open(os.path.join(args.results, "cv_report.json")))["calibration"]
                            ["temperature_all_oof"])
        head = make_model(args)
        head.load_state_dict(torch.load(os.path.join(args.cache, f"final_head{args.tag}.pt")))
        full = SpeechEmotionV2(head.eval(), args.mel_onnx, args.emb_onnx, temperature, args.extra).eval()
        if args.export:
            export(full, os.path.join(args.out, "model.onnx"), args.opset)
            log(f"exported {os.path.join(args.out, 'model.onnx')} with temperature {temperature:.4f}")
        verify_and_reference(full, rows, args, temperature, log)
        return
    labels = np.array([r["label"] for r in rows])
    corpus = np.array([r["corpus"] for r in rows])
    folds = np.array([fold_of(r) for r in rows])
    log(f"clips: {int((corpus == 'ravdess').sum())} RAVDESS, {int((corpus == 'emodb').sum())} EmoDB "
        f"({boredom} EmoDB boredom clips left out)")
    if args.merge:
        merge_runs(args.merge.split(","), labels, corpus, folds, args, log)
        return
    feats = build_features(rows, args, log)
    extra = build_extra(feats, args, log) if args.extra != "none" else None
    if args.tune_tail:
        feats = dict(feats, emb=build_front(feats, args, log))
    if args.cross_corpus:
        cross_corpus(feats, extra, labels, corpus, args, log)
        log(f"total {time.time() - t_start:.0f} s wall, {time.process_time() - c_start:.0f} s CPU")
        return
    report = {"args": vars(args), "boredom_left_out": boredom,
              "voiced_seconds": {f"copy{c}": {"median": float(np.median(feats["voiced_s"][c])),
                                              "p05": float(np.percentile(feats["voiced_s"][c], 5)),
                                              "min": float(feats["voiced_s"][c].min()),
                                              "whole_clip_kept": int(feats["whole_kept"][c].sum())}
                                 for c in range(total_copies(args))}}

    if not args.no_cv:
        run = [int(k) for k in args.fold_ids.split(",")] if args.fold_ids else list(range(len(FOLDS)))
        oof = {0: np.zeros((len(rows), len(LABELS))), 1: np.zeros((len(rows), len(LABELS)))}
        for k in run:
            tf = time.time()
            train_idx = [i for i in range(len(rows)) if folds[i] != k]
            test_idx = [i for i in range(len(rows)) if folds[i] == k]
            log(f"fold {k}: test {FOLDS[k]}, {len(train_idx)} train clips x {total_copies(args)} copies, {len(test_idx)} test")
            model = train_model(train_idx, feats, extra, labels, args, args.seed + 1000 * (k + 1), log)
            for c in (0, 1):
                oof[c][test_idx] = predict(model, test_idx, feats, extra, c)
            if args.heads > 1:              # each head alone, for the record (the figures are the ensemble's)
                for h, head in enumerate(model.heads):
                    log_fold(log, f"fold {k} head {h + 1}", {c: predict(head, test_idx, feats, extra, c)
                                                             for c in (0, 1)}, test_idx, labels, corpus, folds)
            log_fold(log, f"fold {k}", {c: oof[c][test_idx] for c in (0, 1)}, test_idx, labels, corpus, folds)
            log(f"  fold {k} done in {time.time() - tf:.0f} s")
        temperature = cv_summary(oof, run, labels, corpus, folds, report, args, log)
    elif args.temperature is not None:
        temperature = args.temperature
    else:
        temperature = float(json.load(open(os.path.join(args.results, "cv_report.json")))["calibration"]
                            ["temperature_all_oof"])

    if not args.no_final:
        tf = time.time()
        log(f"final model on all {len(rows)} clips, temperature {temperature:.4f}")
        head = train_model(list(range(len(rows))), feats, extra, labels, args, args.seed, log)
        full = SpeechEmotionV2(head, args.mel_onnx, args.emb_onnx, temperature, args.extra).eval()
        os.makedirs(args.out, exist_ok=True)
        torch.save(head.state_dict(), os.path.join(args.cache, f"final_head{args.tag}.pt"))
        onnx_path = os.path.join(args.out, "model.onnx")
        export(full, onnx_path, args.opset)
        log(f"final model trained + exported in {time.time() - tf:.0f} s -> {onnx_path}")
        verify_and_reference(full, rows, args, temperature, log)
    log(f"total {time.time() - t_start:.0f} s wall, {time.process_time() - c_start:.0f} s CPU")


@torch.no_grad()
def verify_and_reference(full, rows, args, temperature, log):
    import onnx
    import onnxruntime as ort
    onnx_path = os.path.join(args.out, "model.onnx")
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    log(f"onnx checker OK; opset {m.opset_import[0].version}, IR {m.ir_version}, "
        f"{os.path.getsize(onnx_path)} bytes; ops {sorted({n.op_type for n in m.graph.node})}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(7)
    worst = 0.0
    for secs, batch in ((0.5, 1), (0.5, 3), (4.0, 1), (4.0, 2), (8.0, 1), (8.0, 2), (0.2, 2)):
        x = (0.1 * torch.randn(batch, int(secs * SR), generator=g)).clamp(-1, 1)
        a = full(x).numpy()
        b = sess.run(None, {"input_values": x.numpy()})[0]
        d = float(np.abs(a - b).max())
        worst = max(worst, d)
        log(f"  torch vs onnxruntime, {secs} s x batch {batch}: max |logit diff| {d:.2e}")
    vad = SileroVad(args.vad)

    def reference(name):
        r = next(r for r in rows if os.path.basename(r["path"]) == name)
        wav = load_wav(r["path"])
        voiced = vad.voiced([wav], threshold=args.vad_threshold)[0][0]
        entry = {"file": name, "path": os.path.relpath(r["path"], args.ravdess if r["corpus"] == "ravdess"
                                                        else args.emodb),
                 "corpus": r["corpus"], "true_label": LABELS[r["label"]], "num_samples": int(len(wav)),
                 "seconds": round(len(wav) / SR, 4)}
        diffs = []
        for key, x in (("", wav), ("voiced_", voiced)):
            logits = full(torch.from_numpy(np.ascontiguousarray(x))[None])[0].numpy()
            o = sess.run(None, {"input_values": np.ascontiguousarray(x)[None]})[0][0]
            diffs.append(float(np.abs(logits - o).max()))
            p = softmax(logits[None].astype(np.float64))[0]
            if key:
                entry["voiced_num_samples"] = int(len(x))
            entry[key + "predicted_label"] = LABELS[int(np.argmax(p))]
            entry[key + "logits"] = [round(float(v), 6) for v in logits]
            entry[key + "softmax"] = [round(float(v), 6) for v in p]
        return entry, max(diffs)

    clips, extra = [], []
    for name in ["03-01-05-02-01-01-01.flac", "03-01-03-01-02-02-08.flac", "03-01-04-02-01-02-15.flac"]:
        e, d = reference(name)
        clips.append(e)
        worst = max(worst, d)
    e, d = reference("03a04Fd.flac")
    extra.append(e)
    worst = max(worst, d)
    log(f"  torch vs onnxruntime worst max |logit diff| {worst:.2e}")
    ref = {"model": args.name, "labels": LABELS, "sampleRate": SR,
           "input": "float32 PCM16/32768, shape [1, num_samples], no windowing: logits/softmax for the whole clip "
                    "(path relative to ../shared/data/ravdess-speech-16k for clips, to ../shared/data/emodb-16k "
                    "for extraClips) and voiced_* for its voiced audio by the shared VAD contract (vad.py, "
                    f"threshold {args.vad_threshold})",
           "tolerance": 0.001,
           "note": f"logits (already divided by the temperature {temperature:.4f}) and softmax of the torch model in "
                   f"eval mode; onnxruntime {ort.__version__} on model.onnx matched within {worst:.1e} (logits) on "
                   "these clips and on random 0.2/0.5/4/8 s inputs with batch 1-3. The clips were in the shipped "
                   "model's training data: numerical references, not accuracy examples.",
           "clips": clips, "extraClips": extra}
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(ref, f, indent=2)


if __name__ == "__main__":
    main()
