#!/usr/bin/python3
"""Reference log-mel and MFCC values from torchaudio for the Java feature extractor's test.

Writes audio-worker/src/test/resources/features/reference.json: for two inputs (a synthesised linear
chirp and a 0.3 s excerpt of one RAVDESS clip, stored as int16) and three feature configurations,
the torchaudio output in float64 (input, window and STFT; torchaudio still builds its mel filterbank
in float32, a relative difference of about 1e-7).
The configurations use the manifest's field names; the Java test builds its extractor from them.

Run from the project root with Debian's python (torch 1.13, torchaudio 0.13, soundfile):
    /usr/bin/python3 training/audio/feature_reference.py --ravdess ../shared/data/ravdess-speech-16k
"""
import argparse
import json
import math
import os

import numpy as np
import soundfile
import torch
import torchaudio

SR = 16000
CLIP = "Actor_01/03-01-05-01-01-01-01.flac"  # angry, actor 01, statement "Kids are talking by the door"
EXCERPT = (16000, 4800)  # from 1.0 s, 0.3 s

CONFIGS = {
    # torchaudio.transforms.MelSpectrogram + AmplitudeToDB("power", top_db=80); n_fft 400 (not a power of two)
    "logmel_htk_db": {"type": "LOG_MEL", "nFft": 400, "hop": 160, "nMels": 32, "fMin": 0.0, "fMax": 8000.0,
                      "power": 2.0, "melScale": "HTK", "melNorm": "NONE", "center": True, "padMode": "REFLECT",
                      "log": "POWER_DB", "topDb": 80.0, "layout": "NFT"},
    # torchaudio.transforms.MFCC(n_mfcc=13, log_mels=False) with a Slaney-scale, Slaney-normalised filterbank
    "mfcc_slaney": {"type": "MFCC", "nFft": 512, "hop": 160, "nMels": 32, "nMfcc": 13, "fMin": 20.0,
                    "fMax": 7600.0, "power": 2.0, "melScale": "SLANEY", "melNorm": "SLANEY", "center": True,
                    "padMode": "REFLECT", "log": "POWER_DB", "topDb": 80.0, "layout": "NFT"},
    # magnitude mel spectrogram, 25 ms window inside a 512 FFT, no centring, natural log with offset
    "logmel_ln_nocenter": {"type": "LOG_MEL", "nFft": 512, "winLength": 400, "hop": 160, "nMels": 32, "fMin": 0.0,
                           "fMax": 8000.0, "power": 1.0, "melScale": "HTK", "melNorm": "NONE", "center": False,
                           "padMode": "REFLECT", "log": "LN", "logOffset": 1e-6, "layout": "NFT"},
}


def chirp():
    n = 4800
    t = np.arange(n, dtype=np.float64) / SR
    f0, f1, dur = 100.0, 6000.0, n / SR
    x = 0.5 * np.sin(2 * math.pi * (f0 * t + (f1 - f0) * t * t / (2 * dur)))
    # quantised to PCM16 like the worker's input, so that the Java test, which computes the same formula
    # in double, gets bit-identical samples (a last-ulp difference of sin would otherwise show in the
    # quietest mel bands, about 140 dB below the peak)
    pcm = np.rint(x * 32768.0).astype(np.int16)
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def mel_kwargs(c):
    return dict(sample_rate=SR, n_fft=c["nFft"], win_length=c.get("winLength", c["nFft"]), hop_length=c["hop"],
                n_mels=c["nMels"], f_min=c["fMin"], f_max=c["fMax"], power=c["power"], center=c["center"],
                pad_mode=c["padMode"].lower(), mel_scale=c["melScale"].lower(),
                norm=None if c["melNorm"] == "NONE" else c["melNorm"].lower(),
                # the Hann window in float64 too: a float32 window (the default, even after .double())
                # leaks about 1e-7 of the peak into the quietest bands
                wkwargs={"dtype": torch.float64})


def features(c, samples):
    x = torch.from_numpy(samples.astype(np.float64))
    kw = mel_kwargs(c)
    if c["type"] == "MFCC":
        assert c["log"] == "POWER_DB" and c["topDb"] == 80.0  # what torchaudio 0.13's MFCC does with log_mels=False
        mfcc = torchaudio.transforms.MFCC(sample_rate=SR, n_mfcc=c["nMfcc"], dct_type=2, norm="ortho", log_mels=False,
                                          melkwargs={k: v for k, v in kw.items() if k != "sample_rate"}).double()
        return mfcc(x)
    mel = torchaudio.transforms.MelSpectrogram(**kw).double()(x)
    if c["log"] == "LN":
        return torch.log(mel + c["logOffset"])
    stype = "power" if c["log"] == "POWER_DB" else "magnitude"
    return torchaudio.transforms.AmplitudeToDB(stype, top_db=c.get("topDb")).double()(mel)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ravdess", default="../shared/data/ravdess-speech-16k")
    ap.add_argument("--out", default="audio-worker/src/test/resources/features/reference.json")
    args = ap.parse_args()
    pcm, sr = soundfile.read(os.path.join(args.ravdess, CLIP), dtype="int16")
    assert sr == SR and pcm.ndim == 1
    excerpt = pcm[EXCERPT[0]:EXCERPT[0] + EXCERPT[1]]
    inputs = {"chirp": chirp(), "ravdess": (excerpt.astype(np.float32) / 32768.0).astype(np.float32)}
    out = {
        "generator": "training/audio/feature_reference.py, torch %s, torchaudio %s, float64" % (
            torch.__version__, torchaudio.__version__),
        "chirp": {"samples": 4800, "amplitude": 0.5, "pcm16": True, "f0": 100.0, "f1": 6000.0, "sampleRate": SR},
        "ravdess": {"source": "RAVDESS " + CLIP + " (Livingstone & Russo 2018, CC BY-NC-SA 4.0)",
                    "offset": EXCERPT[0], "pcm16": excerpt.tolist()},
        "configs": CONFIGS,
        "expected": {},
    }
    for name, c in CONFIGS.items():
        for inp, samples in inputs.items():
            f = features(c, samples).numpy()
            out["expected"][name + "/" + inp] = {"shape": list(f.shape),
                                                 "values": [float("%.7g" % v) for v in f.reshape(-1)]}
            print(name, inp, f.shape, "min %.4f max %.4f" % (f.min(), f.max()))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print("wrote", args.out, os.path.getsize(args.out), "bytes")


if __name__ == "__main__":
    main()
