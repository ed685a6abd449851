#!/usr/bin/env python3
"""Train emostream's default speech-emotion model on RAVDESS and export it to ONNX.

The exported graph takes the RAW 16 kHz mono waveform (float32 in [-1, 1], shape [batch, samples],
samples dynamic) and returns 8 logits. The log-mel front end is part of the graph:

  waveform -> Conv1d with fixed Hann-windowed DFT cos / sin kernels (n_fft 512, hop 160, no padding)
           -> power re^2 + im^2 -> MatMul with a fixed 64-band HTK mel filterbank (0-8 kHz)
           -> log(x + 1e-6) -> subtract the per-utterance mean over time of every mel band
           -> BatchNorm over mel bands -> 4 Conv1d/BN/ReLU blocks over time (mel bands as channels;
              widths 128,128,256,256; MaxPool(2) after the first three)
           -> [mean over time ; max over time] -> Dropout(0.3) -> Linear(512, 8)
  (--arch cnn2d swaps in a small Conv2d stack; it was not used for the shipped model.)

Protocol: subject-independent 5-fold cross-validation by actor (FOLDS below), fixed number of epochs,
no early stopping and no model selection on the test actors; then the same recipe is trained on all
18 actors and exported.

Usage (Debian system python):
  /usr/bin/python3 training/audio/train.py --data ../shared/data/ravdess-speech-16k \
      --out models/speech-emotion-ravdess
"""
import argparse
import csv
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

LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
SR = 16000
N_FFT = 512
HOP = 160
N_MELS = 64
LOG_EPS = 1e-6

# Subject-wise split of the 18 available actors (odd ids are male, even ids female in RAVDESS).
# Fold k tests actors {k+1, k+6, k+11, k+16} (those <= 18) and trains on the rest.
FOLDS = [
    [1, 6, 11, 16],
    [2, 7, 12, 17],
    [3, 8, 13, 18],
    [4, 9, 14],
    [5, 10, 15],
]


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------
class LogMelFrontEnd(nn.Module):
    """Fixed (non-trainable) log-mel front end made of plain ops (Conv, Mul, Add, MatMul, Log, ReduceMean)."""

    def __init__(self):
        super().__init__()
        n = torch.arange(N_FFT, dtype=torch.float64)
        k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)  # periodic Hann
        ang = 2 * math.pi * k[:, None] * n[None, :] / N_FFT
        self.register_buffer("dft_cos", (torch.cos(ang) * window).float().unsqueeze(1))   # [257,1,512]
        self.register_buffer("dft_sin", (-torch.sin(ang) * window).float().unsqueeze(1))  # [257,1,512]
        import torchaudio.functional as AF
        fb = AF.melscale_fbanks(n_freqs=N_FFT // 2 + 1, f_min=0.0, f_max=SR / 2, n_mels=N_MELS,
                                sample_rate=SR, norm=None, mel_scale="htk")
        self.register_buffer("mel_fb", fb.float())  # [257, 64]
        # expected mel power of unit-variance white noise (for power-domain noise augmentation)
        self.register_buffer("white_mel", float((window ** 2).sum()) * fb.float().sum(0))  # [64]

    def mel_power(self, wav):  # wav [B, S] -> [B, M, T]
        x = wav.unsqueeze(1)
        re = F.conv1d(x, self.dft_cos, stride=HOP)
        im = F.conv1d(x, self.dft_sin, stride=HOP)
        p = re * re + im * im                                   # [B, 257, T]
        return torch.matmul(p.transpose(1, 2), self.mel_fb).transpose(1, 2)

    @staticmethod
    def log_norm(melpow):  # [B, M, T] -> per-utterance mean-normalised log-mel
        lm = torch.log(melpow + LOG_EPS)
        return lm - lm.mean(dim=2, keepdim=True)

    def forward(self, wav):
        return self.log_norm(self.mel_power(wav))


class ConvBlock2d(nn.Module):
    def __init__(self, cin, cout, stride=1, pool=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class ConvBlock1d(nn.Module):
    def __init__(self, cin, cout, k=3, pool=True):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm1d(cout)
        self.pool = nn.MaxPool1d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class SpeechEmotionNet(nn.Module):
    """arch 'cnn1d': mel bands as channels, 4 Conv1d blocks over time (128,128,256,256).
    arch 'cnn2d': 4 Conv2d blocks over (mel, time) (16,32,64,128), first one with stride 2."""

    def __init__(self, arch="cnn1d", n_classes=len(LABELS), dropout=0.3):
        super().__init__()
        self.arch = arch
        self.frontend = LogMelFrontEnd()
        self.in_bn = nn.BatchNorm1d(N_MELS)
        if arch == "cnn1d":
            self.blocks = nn.Sequential(ConvBlock1d(N_MELS, 128, 5), ConvBlock1d(128, 128), ConvBlock1d(128, 256),
                                        ConvBlock1d(256, 256, pool=False))
            c = 256
        elif arch == "cnn2d":
            self.blocks = nn.Sequential(ConvBlock2d(1, 16, stride=2, pool=False), ConvBlock2d(16, 32),
                                        ConvBlock2d(32, 64), ConvBlock2d(64, 128))
            c = 128
        else:
            raise ValueError(arch)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * c, n_classes)

    def classify(self, feats):  # feats [B, M, T] normalised log-mel
        x = self.in_bn(feats)
        if self.arch == "cnn2d":
            x = self.blocks(x.unsqueeze(1)).mean(dim=2)   # [B,C,T']
        else:
            x = self.blocks(x)                            # [B,C,T']
        x = torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)
        return self.fc(self.drop(x))

    def forward(self, input_values):  # [B, S] raw 16 kHz waveform
        return self.classify(self.frontend(input_values))


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def load_index(data_dir):
    rows = []
    with open(os.path.join(data_dir, "index.csv"), newline="") as f:
        for r in csv.DictReader(f):
            name = os.path.basename(r["path"])
            code = int(name.split("-")[2])            # emotion code in the RAVDESS file name
            label = LABELS.index(r["emotion"])
            assert label == code - 1, (name, r["emotion"])
            rows.append({"path": r["path"], "name": name, "actor": int(r["actor"]), "label": label})
    return rows


def load_wav(path):
    wav, sr = sf.read(path, dtype="float32", always_2d=False)
    assert sr == SR, (path, sr)
    if wav.ndim > 1:
        wav = wav.mean(axis=1)
    return wav


@torch.no_grad()
def precompute(rows, data_dir, frontend):
    """Mel power (before log) of every whole clip, computed by the graph's own front end."""
    mels, powers = [], []
    for r in rows:
        wav = load_wav(os.path.join(data_dir, r["path"]))
        mels.append(frontend.mel_power(torch.from_numpy(wav)[None])[0].clone())
        powers.append(float(np.mean(wav.astype(np.float64) ** 2)))
    return mels, powers


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------
def make_batch(idx, mels, powers, labels, white_mel, rng, train):
    if not train:
        raise ValueError
    T = rng.randint(200, 400)                         # crop 2.0 .. 4.0 s (frames at 100 fps)
    T = min([T] + [mels[i].shape[1] for i in idx])
    xs = []
    for i in idx:
        m = mels[i]
        s = rng.randint(0, m.shape[1] - T)
        x = m[:, s:s + T]
        x = x * (10.0 ** (rng.uniform(-12.0, 6.0) / 10.0))             # random gain
        if rng.random() < 0.6:                                          # white noise, 5..40 dB SNR
            snr = rng.uniform(5.0, 40.0)
            var = powers[i] * 10.0 ** (rng.uniform(-12.0, 6.0) / 10.0) / 10.0 ** (snr / 10.0)
            jitter = torch.exp(0.3 * torch.randn(x.shape))
            x = x + var * white_mel[:, None] * jitter
        xs.append(x)
    x = torch.log(torch.stack(xs) + LOG_EPS)          # [B, M, T]
    B, M, _ = x.shape
    if rng.random() < 0.5:                            # time stretch 0.85 .. 1.15
        r = rng.uniform(0.85, 1.15)
        x = F.interpolate(x[:, None], size=(M, max(60, int(round(T * r)))), mode="bilinear",
                          align_corners=False)[:, 0]
    if rng.random() < 0.5:                            # mel-axis warp (VTLP-like) 0.9 .. 1.1
        a = rng.uniform(0.9, 1.1)
        Mw = int(round(M * a))
        y = F.interpolate(x[:, None], size=(Mw, x.shape[2]), mode="bilinear", align_corners=False)[:, 0]
        x = y[:, :M] if Mw >= M else torch.cat([y, y[:, -1:].expand(B, M - Mw, y.shape[2])], 1)
    x = x - x.mean(dim=2, keepdim=True)
    # SpecAugment: 2 frequency masks (<= 8 bands), 2 time masks (<= 10 % of frames)
    T2 = x.shape[2]
    for b in range(B):
        for _ in range(2):
            w = rng.randint(0, 8)
            f0 = rng.randint(0, M - w)
            x[b, f0:f0 + w, :] = 0.0
            w = rng.randint(0, max(1, T2 // 10))
            t0 = rng.randint(0, T2 - w)
            x[b, :, t0:t0 + w] = 0.0
    y = torch.tensor([labels[i] for i in idx], dtype=torch.long)
    return x, y


def train_model(train_idx, mels, powers, labels, epochs, seed, arch="cnn1d", batch_size=32, lr=3e-3, log=print):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = SpeechEmotionNet(arch)
    counts = np.bincount([labels[i] for i in train_idx], minlength=len(LABELS)).astype(np.float64)
    weights = torch.tensor(counts.sum() / (len(LABELS) * counts), dtype=torch.float32)
    params = [p for n, p in model.named_parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)
    steps_per_epoch = math.ceil(len(train_idx) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                steps_per_epoch=steps_per_epoch, pct_start=0.15)
    white = model.frontend.white_mel
    for ep in range(epochs):
        model.train()
        order = list(train_idx)
        rng.shuffle(order)
        tot, correct, n = 0.0, 0, 0
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            x, y = make_batch(idx, mels, powers, labels, white, rng, True)
            out = model.classify(x)
            loss = F.cross_entropy(out, y, weight=weights, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(idx)
            correct += int((out.argmax(1) == y).sum())
            n += len(idx)
        if ep == 0 or (ep + 1) % 5 == 0 or ep == epochs - 1:
            log(f"    epoch {ep + 1:3d}/{epochs} loss {tot / n:.4f} train-acc(aug) {correct / n:.3f}")
    model.eval()
    return model


@torch.no_grad()
def predict(model, idx, mels):
    model.eval()
    probs = []
    for i in idx:  # whole clip, one at a time (variable length), exactly the serving computation
        x = model.frontend.log_norm(mels[i][None])
        probs.append(torch.softmax(model.classify(x), dim=1)[0].numpy())
    return np.stack(probs)


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def metrics_from_cm(cm):
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    prec = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0)
    rec = np.divide(tp, cm.sum(1), out=np.zeros_like(tp), where=cm.sum(1) > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros_like(tp), where=(prec + rec) > 0)
    return prec, rec, f1


def confusion(y_true, y_pred):
    cm = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


# ----------------------------------------------------------------------------------------------
# ONNX export and an independent numpy check of the exported graph
# ----------------------------------------------------------------------------------------------
class Exportable(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_values):
        return self.m(input_values)


def export_onnx(model, path, opset=14):
    model.eval()
    dummy = torch.zeros(1, 3 * SR)
    torch.onnx.export(Exportable(model), (dummy,), path, input_names=["input_values"],
                      output_names=["logits"], opset_version=opset, do_constant_folding=True,
                      dynamic_axes={"input_values": {0: "batch", 1: "samples"}, "logits": {0: "batch"}})


def _np_conv(x, w, b, strides, pads, dilations, group):
    assert group == 1 and all(d == 1 for d in dilations)
    nd = w.ndim - 2
    if nd == 1:
        x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[1])))
        B, C, L = x.shape
        O, _, K = w.shape
        T = (L - K) // strides[0] + 1
        cols = np.lib.stride_tricks.as_strided(
            x, shape=(B, C, T, K), strides=(x.strides[0], x.strides[1], x.strides[2] * strides[0], x.strides[2]))
        y = np.einsum("bctk,ock->bot", cols, w, optimize=True)
    elif nd == 2:
        x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
        B, C, H, W = x.shape
        O, _, KH, KW = w.shape
        Ho = (H - KH) // strides[0] + 1
        Wo = (W - KW) // strides[1] + 1
        y = np.zeros((B, O, Ho, Wo), dtype=np.float64)
        for i in range(KH):
            for j in range(KW):
                patch = x[:, :, i:i + strides[0] * (Ho - 1) + 1:strides[0], j:j + strides[1] * (Wo - 1) + 1:strides[1]]
                y += np.einsum("bchw,oc->bohw", patch, w[:, :, i, j], optimize=True)
    else:
        raise NotImplementedError
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def run_onnx_numpy(model_proto, feeds):
    """Tiny float64 numpy interpreter for the plain ops this graph uses (onnx 1.12 has no onnx.reference)."""
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == "f"
           else numpy_helper.to_array(t) for t in model_proto.graph.initializer}
    env.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    for node in model_proto.graph.node:
        a = {at.name: at for at in node.attribute}

        def ints(name, default=None):
            return list(a[name].ints) if name in a else default

        def geti(name, default=None):
            return a[name].i if name in a else default

        def getf(name, default=None):
            return a[name].f if name in a else default

        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            w = ins[0 + 1]
            nd = w.ndim - 2
            out = _np_conv(ins[0], w, ins[2] if len(ins) > 2 else None, ints("strides", [1] * nd),
                           ints("pads", [0] * (2 * nd)), ints("dilations", [1] * nd), geti("group", 1))
        elif op == "Mul":
            out = ins[0] * ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "Sub":
            out = ins[0] - ins[1]
        elif op == "Div":
            out = ins[0] / ins[1]
        elif op == "Pow":
            out = np.power(ins[0], ins[1])
        elif op == "MatMul":
            out = np.matmul(ins[0], ins[1])
        elif op == "Log":
            out = np.log(ins[0])
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Transpose":
            out = np.transpose(ins[0], ints("perm"))
        elif op == "Unsqueeze":
            axes = [int(v) for v in ins[1]] if len(ins) > 1 else ints("axes")
            out = ins[0]
            for ax in sorted([ax % (out.ndim + len(axes)) for ax in axes]):
                out = np.expand_dims(out, ax)
        elif op in ("ReduceMean", "ReduceMax"):
            axes = tuple(ints("axes")) if "axes" in a else (tuple(int(v) for v in ins[1]) if len(ins) > 1 else None)
            fn = np.mean if op == "ReduceMean" else np.max
            out = fn(ins[0], axis=axes, keepdims=bool(geti("keepdims", 1)))
        elif op == "BatchNormalization":
            x, sc, bi, mu, var = ins[:5]
            shp = (1, -1) + (1,) * (x.ndim - 2)
            out = (x - mu.reshape(shp)) / np.sqrt(var.reshape(shp) + getf("epsilon", 1e-5)) * sc.reshape(shp) + bi.reshape(shp)
        elif op == "MaxPool":
            k, s = ints("kernel_shape"), ints("strides", None) or ints("kernel_shape")
            assert all(v == 2 for v in k + s) and not any(ints("pads", [0])), (k, s)
            x = ins[0]
            if len(k) == 1:
                L = x.shape[2] // 2 * 2
                out = x[:, :, :L].reshape(x.shape[0], x.shape[1], L // 2, 2).max(axis=3)
            else:
                H, W = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
                x = x[:, :, :H, :W]
                out = x.reshape(x.shape[0], x.shape[1], H // 2, 2, W // 2, 2).max(axis=(3, 5))
        elif op == "Concat":
            out = np.concatenate(ins, axis=geti("axis"))
        elif op == "Gemm":
            A, Bm = ins[0], ins[1]
            if geti("transA", 0):
                A = A.T
            if geti("transB", 0):
                Bm = Bm.T
            out = getf("alpha", 1.0) * A @ Bm + (getf("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
        elif op == "Constant":
            out = numpy_helper.to_array(a["value"].t)
        elif op == "Identity":
            out = ins[0]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = out
    return [env[o.name] for o in model_proto.graph.output]


# ----------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/ravdess-speech-16k")
    ap.add_argument("--out", default="models/speech-emotion-ravdess")
    ap.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--folds", type=int, default=5, help="number of CV folds to run (0 = skip CV, max 5)")
    ap.add_argument("--fold-ids", default=None, help="comma-separated fold ids to run instead (pilot runs)")
    ap.add_argument("--epochs", type=int, default=45)
    ap.add_argument("--arch", default="cnn1d", choices=["cnn1d", "cnn2d"])
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-final", action="store_true", help="skip training/exporting the all-actor model")
    ap.add_argument("--version", default="1.0.0")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    t_start = time.time()
    logf = None

    def log(msg):
        print(msg, flush=True)
        if logf:
            logf.write(msg + "\n")
            logf.flush()

    os.makedirs(args.results, exist_ok=True)
    logf = open(os.path.join(args.results, "train_log.txt"), "w")
    log(f"torch {torch.__version__}, threads {torch.get_num_threads()}, seed {args.seed}, epochs {args.epochs}, "
        f"arch {args.arch}")

    rows = load_index(args.data)
    labels = [r["label"] for r in rows]
    actors = np.array([r["actor"] for r in rows])
    log(f"{len(rows)} clips, actors {sorted(set(actors.tolist()))}")
    frontend = LogMelFrontEnd()
    t0 = time.time()
    mels, powers = precompute(rows, args.data, frontend)
    log(f"front end over all clips: {time.time() - t0:.1f} s")

    fold_ids = ([int(v) for v in args.fold_ids.split(",")] if args.fold_ids else list(range(min(args.folds, 5))))
    report = None
    if fold_ids:
        fold_res, all_true, all_pred = [], [], []
        per_fold_pr = []
        for k in fold_ids:
            tf = time.time()
            test_actors = FOLDS[k]
            test_idx = [i for i in range(len(rows)) if actors[i] in test_actors]
            train_idx = [i for i in range(len(rows)) if actors[i] not in test_actors]
            log(f"fold {k}: test actors {test_actors} ({len(test_idx)} clips), train {len(train_idx)} clips")
            model = train_model(train_idx, mels, powers, labels, args.epochs, args.seed + 1000 * (k + 1),
                                arch=args.arch, log=log)
            probs = predict(model, test_idx, mels)
            pred = probs.argmax(1)
            yt = [labels[i] for i in test_idx]
            acc = float(np.mean(pred == np.array(yt)))
            cmk = confusion(yt, pred)
            p, r, _ = metrics_from_cm(cmk)
            per_fold_pr.append((p, r))
            fold_res.append({"fold": k, "test_actors": test_actors, "n_test": len(test_idx), "accuracy": acc,
                             "train_seconds": round(time.time() - tf, 1)})
            all_true += yt
            all_pred += pred.tolist()
            log(f"fold {k}: accuracy {acc * 100:.2f} % ({int(np.sum(pred == np.array(yt)))}/{len(test_idx)}), "
                f"{time.time() - tf:.0f} s")
        accs = np.array([f["accuracy"] for f in fold_res])
        n = len(accs)
        mean = float(accs.mean())
        sd = float(accs.std(ddof=1)) if n > 1 else float("nan")
        t = T_975.get(n - 1, 1.96)
        half_t = t * sd / math.sqrt(n) if n > 1 else float("nan")
        cm = confusion(all_true, all_pred)
        pooled = float(np.trace(cm) / cm.sum())
        N = int(cm.sum())
        half_norm = 1.96 * math.sqrt(pooled * (1 - pooled) / N)
        prec, rec, f1 = metrics_from_cm(cm)
        report = {
            "protocol": "subject-independent 5-fold CV by actor on RAVDESS speech actors 01-18 (1080 clips); "
                        "fixed epochs, no early stopping, whole-clip evaluation",
            "folds": fold_res,
            "mean_fold_accuracy": mean,
            "std_fold_accuracy": sd,
            "ci95_t": [mean - half_t, mean + half_t],
            "ci95_t_halfwidth": half_t,
            "ci95_t_formula": f"mean +/- t(0.975, n-1={n - 1}) * sd / sqrt(n), t={t}",
            "pooled_accuracy": pooled,
            "ci95_normal_halfwidth": half_norm,
            "ci95_normal_formula": "pooled +/- 1.96 * sqrt(p (1 - p) / N), N = clips over all test folds "
                                   "(as in Luna-Jimenez et al. 2022)",
            "n_test_total": N,
            "labels": LABELS,
            "per_class": {LABELS[c]: {"precision": float(prec[c]), "recall": float(rec[c]), "f1": float(f1[c]),
                                      "support": int(cm[c].sum())} for c in range(len(LABELS))},
            "per_class_fold_average": {LABELS[c]: {"precision": float(np.mean([pr[0][c] for pr in per_fold_pr])),
                                                   "recall": float(np.mean([pr[1][c] for pr in per_fold_pr]))}
                                       for c in range(len(LABELS))},
            "macro_f1": float(f1.mean()),
            "confusion_matrix_rows_true_cols_pred": cm.tolist(),
            "epochs": args.epochs,
            "arch": args.arch,
            "seed": args.seed,
            "cv_seconds": round(sum(f["train_seconds"] for f in fold_res), 1),
        }
        log(f"CV folds: " + ", ".join(f"{f['fold']}:{f['accuracy'] * 100:.2f}" for f in fold_res))
        log(f"CV mean accuracy {mean * 100:.2f} % +/- {half_t * 100:.2f} (95% CI, t over {n} folds; sd {sd * 100:.2f})")
        log(f"CV pooled accuracy {pooled * 100:.2f} % +/- {half_norm * 100:.2f} (95% normal approx, N={N})")
        log("per class precision / recall:")
        for c in range(len(LABELS)):
            log(f"  {LABELS[c]:10s} P {prec[c] * 100:6.2f}  R {rec[c] * 100:6.2f}  n {int(cm[c].sum())}")
        log("confusion matrix (rows true, cols predicted, order " + ",".join(LABELS) + "):")
        for c in range(len(LABELS)):
            log("  " + " ".join(f"{v:4d}" for v in cm[c]))
        with open(os.path.join(args.results, "cv_report.json"), "w") as f:
            json.dump(report, f, indent=2)
        write_md(report, os.path.join(args.results, "cv_report.md"))

    if not args.no_final:
        tf = time.time()
        log(f"final model: all {len(rows)} clips, {args.epochs} epochs")
        model = train_model(list(range(len(rows))), mels, powers, labels, args.epochs, args.seed,
                            arch=args.arch, log=log)
        os.makedirs(args.out, exist_ok=True)
        onnx_path = os.path.join(args.out, "model.onnx")
        export_onnx(model, onnx_path)
        log(f"final model trained + exported in {time.time() - tf:.0f} s -> {onnx_path} "
            f"({os.path.getsize(onnx_path)} bytes)")
        verify_and_reference(model, rows, args, log)

    log(f"total wall time {time.time() - t_start:.0f} s, process CPU time {time.process_time():.0f} s")
    logf.close()


def verify_and_reference(model, rows, args, log):
    import onnx
    onnx_path = os.path.join(args.out, "model.onnx")
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    inferred = onnx.shape_inference.infer_shapes(m)
    ops = sorted(set(n.op_type for n in m.graph.node))
    log(f"onnx checker OK; opset {m.opset_import[0].version}; ops {ops}")
    log("graph input: " + str(m.graph.input[0].type.tensor_type.shape).replace("\n", " "))
    log("graph output: " + str(inferred.graph.output[0].type.tensor_type.shape).replace("\n", " "))
    model.eval()
    # three real clips (different emotions / actors) + short and long synthetic-length checks
    picks = ["03-01-05-02-01-01-01.flac", "03-01-03-01-02-02-08.flac", "03-01-04-02-01-02-15.flac"]
    by_name = {r["name"]: r for r in rows}
    refs, max_diff = [], 0.0
    for name in picks:
        r = by_name[name]
        wav = load_wav(os.path.join(args.data, r["path"]))
        with torch.no_grad():
            logits = model(torch.from_numpy(wav)[None])
            prob = torch.softmax(logits, 1)[0].numpy()
        np_logits = run_onnx_numpy(m, {"input_values": wav[None].astype(np.float64)})[0]
        np_prob = np.exp(np_logits - np_logits.max()) / np.exp(np_logits - np_logits.max()).sum()
        d = float(np.abs(np_prob[0] - prob).max())
        max_diff = max(max_diff, d)
        refs.append({"file": name, "path": r["path"], "true_label": LABELS[r["label"]],
                     "num_samples": int(len(wav)), "seconds": round(len(wav) / SR, 4),
                     "predicted_label": LABELS[int(prob.argmax())],
                     "logits": [round(float(v), 6) for v in logits[0].numpy()],
                     "softmax": [round(float(v), 6) for v in prob]})
        log(f"reference {name}: true {LABELS[r['label']]}, pred {LABELS[int(prob.argmax())]}, "
            f"numpy-ONNX vs torch max |dp| {d:.2e}")
    # length / batch robustness of the exported graph (0.5 s and 8 s, batch 2)
    for secs in (0.5, 8.0):
        g = torch.Generator().manual_seed(7)
        x = (0.1 * torch.randn(2, int(secs * SR), generator=g)).clamp(-1, 1)
        with torch.no_grad():
            tl = model(x).numpy()
        nl = run_onnx_numpy(m, {"input_values": x.numpy().astype(np.float64)})[0]
        d = float(np.abs(tl - nl).max())
        log(f"length {secs} s batch 2: output shape {nl.shape}, numpy-ONNX vs torch max |d logits| {d:.2e}")
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({"model": "speech-emotion-ravdess", "labels": LABELS, "sampleRate": SR,
                   "input": "whole clip, float32 PCM16/32768, shape [1, num_samples], no windowing",
                   "tolerance": 1e-3,
                   "note": "softmax/logits from the trained torch model in eval mode (the exported weights); "
                           f"an independent numpy evaluation of model.onnx matched within {max_diff:.1e}",
                   "clips": refs}, f, indent=2)


def write_md(rep, path):
    L = []
    L.append("# Speech-emotion CV report (RAVDESS speech, actors 01-18)\n")
    L.append(rep["protocol"] + ".\n")
    L.append("| fold | test actors | clips | accuracy |\n|---|---|---|---|")
    for f in rep["folds"]:
        L.append(f"| {f['fold']} | {', '.join(str(a) for a in f['test_actors'])} | {f['n_test']} | "
                 f"{f['accuracy'] * 100:.2f} % |")
    L.append("")
    L.append(f"- Mean of fold accuracies: **{rep['mean_fold_accuracy'] * 100:.2f} % ± "
             f"{rep['ci95_t_halfwidth'] * 100:.2f}** (95 % CI, {rep['ci95_t_formula']}; "
             f"sd {rep['std_fold_accuracy'] * 100:.2f})")
    L.append(f"- Pooled accuracy over all {rep['n_test_total']} test clips: **{rep['pooled_accuracy'] * 100:.2f} % ± "
             f"{rep['ci95_normal_halfwidth'] * 100:.2f}** (95 % CI, {rep['ci95_normal_formula']})")
    L.append(f"- Macro F1 (pooled): {rep['macro_f1'] * 100:.2f} %")
    L.append(f"- Epochs {rep['epochs']}, seed {rep['seed']}, CV training time {rep['cv_seconds']:.0f} s\n")
    L.append("| class | precision (pooled) | recall (pooled) | precision (fold avg) | recall (fold avg) | support |")
    L.append("|---|---|---|---|---|---|")
    for c in rep["labels"]:
        pc, pa = rep["per_class"][c], rep["per_class_fold_average"][c]
        L.append(f"| {c} | {pc['precision'] * 100:.2f} | {pc['recall'] * 100:.2f} | {pa['precision'] * 100:.2f} | "
                 f"{pa['recall'] * 100:.2f} | {pc['support']} |")
    L.append("\nConfusion matrix summed over the 5 test folds (rows = true, columns = predicted):\n")
    L.append("| true \\ pred | " + " | ".join(rep["labels"]) + " |")
    L.append("|---|" + "---|" * len(rep["labels"]))
    for c, row in zip(rep["labels"], rep["confusion_matrix_rows_true_cols_pred"]):
        L.append(f"| {c} | " + " | ".join(str(v) for v in row) + " |")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
