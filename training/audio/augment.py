#!/usr/bin/env python3
"""Waveform augmentations that match deployment (call-centre audio), numpy/scipy only, 16 kHz float32 in [-1, 1].

- telephone(): 16 kHz -> 8 kHz, 300-3400 Hz band-pass (4th-order Butterworth, causal), G.711-style 8-bit mu-law or
  A-law companding round trip (continuous companding curves, 256 levels), back to 16 kHz.
- add_noise(): white, pink (1/f) or babble noise at a given SNR (dB) relative to the clip's power.
- reverb(): convolution with a synthetic room impulse response (direct path + exponentially decaying noise tail,
  RT60 given), level kept.
- gain_db(), speed(): level change (clipped to [-1, 1]) and resampling speed change (pitch and tempo together).
- voice(): another voice, roughly: pitch and formants shifted together by some semitones at the same tempo
  (librosa's phase-vocoder pitch shift).
"""
import math

import numpy as np
from scipy import signal

SR = 16000
_BP = signal.butter(4, [300.0, 3400.0], btype="bandpass", fs=8000, output="sos")


def _compand_mu(x, mu=255.0):
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / math.log1p(mu)
    q = np.round((y + 1.0) * 127.5) / 127.5 - 1.0            # 8 bits
    return np.sign(q) * ((1.0 + mu) ** np.abs(q) - 1.0) / mu


def _compand_a(x, a=87.6):
    ax = np.abs(x)
    la = 1.0 + math.log(a)
    y = np.where(ax < 1.0 / a, a * ax / la, (1.0 + np.log(np.maximum(a * ax, 1e-12))) / la)
    q = np.round(y * 127.0) / 127.0                           # sign bit + 7 bits of magnitude
    out = np.where(q < 1.0 / la, q * la / a, np.exp(q * la - 1.0) / a)
    return np.sign(x) * out


def telephone(wav, law="mu"):
    """Narrowband telephone channel: 8 kHz, 300-3400 Hz, G.711 mu-law or A-law, back to 16 kHz."""
    x = signal.resample_poly(wav.astype(np.float64), 1, 2)
    x = signal.sosfilt(_BP, x)
    x = np.clip(x, -1.0, 1.0)
    x = _compand_mu(x) if law == "mu" else _compand_a(x)
    y = signal.resample_poly(x, 2, 1)[:len(wav)]
    return y.astype(np.float32)


def _power(x):
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2)) + 1e-12


def pink_noise(n, rng):
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spec / np.sqrt(f), n)


def add_noise(wav, snr_db, kind, rng, babble_sources=()):
    n = len(wav)
    if kind == "white":
        noise = rng.standard_normal(n)
    elif kind == "pink":
        noise = pink_noise(n, rng)
    elif kind == "babble":
        noise = np.zeros(n)
        for src in babble_sources:
            s = np.asarray(src, dtype=np.float64)
            if len(s) < n:
                s = np.tile(s, n // max(1, len(s)) + 1)
            o = rng.integers(0, len(s) - n + 1)
            noise += s[o:o + n] / math.sqrt(_power(s))
    else:
        raise ValueError(kind)
    noise *= math.sqrt(_power(wav) / _power(noise) / 10.0 ** (snr_db / 10.0))
    return np.clip(wav + noise, -1.0, 1.0).astype(np.float32)


def synthetic_rir(rt60, rng, sr=SR):
    n = int(sr * min(1.2, rt60 * 1.2))
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)   # -60 dB at rt60
    pre = int(sr * rng.uniform(0.002, 0.01))                      # direct path, then the diffuse tail
    tail[:pre] = 0.0
    tail *= rng.uniform(0.2, 0.6) / math.sqrt(np.sum(tail ** 2) + 1e-12)
    tail[0] = 1.0
    return tail


def reverb(wav, rt60, rng):
    y = signal.fftconvolve(wav.astype(np.float64), synthetic_rir(rt60, rng))[:len(wav)]
    y *= math.sqrt(_power(wav) / _power(y))
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def gain_db(wav, db):
    return np.clip(wav * 10.0 ** (db / 20.0), -1.0, 1.0).astype(np.float32)


def speed(wav, factor):
    """Plays the clip `factor` times faster (pitch follows), by polyphase resampling."""
    up, down = 100, int(round(100 * factor))
    return signal.resample_poly(wav.astype(np.float64), up, down).astype(np.float32)


def voice(wav, semitones):
    """Pitch and spectral envelope shifted together by `semitones` at the same duration (librosa.effects.pitch_shift:
    phase-vocoder time stretch, then resampling), level kept."""
    import librosa                       # only the --speaker-copies copies need it
    y = librosa.effects.pitch_shift(wav.astype(np.float32), sr=SR, n_steps=semitones)[:len(wav)]
    y *= math.sqrt(_power(wav) / _power(y))
    return np.clip(y, -1.0, 1.0).astype(np.float32)
