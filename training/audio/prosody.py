#!/usr/bin/env python3
"""Pitch-resolving features for the speech-emotion model, computed inside the exported graph from the waveform.

The speech_embedding mel front end (speech_embedding.OwwMelFrontEnd) keeps 32 bands between 62 Hz and 3.8 kHz, 3-5
FFT bins wide at the bottom: harmonics of a voice (100-300 Hz apart) are not resolved, and the keyword-spotting
embedding is built to ignore pitch. Emotion lives largely in prosody, so this module adds, from the same 512-point
Hann-windowed STFT (the front end's own kernels, 10 ms hop, no padding: frame t of these features is frame t of
the mel features):

- `spec`: the log power spectrum in FFT bins 2..127 (62.5 Hz - 3.97 kHz, 31.25 Hz apart: harmonics resolved),
  10 log10 power with an 80 dB floor under the clip's maximum, / 10 (the head subtracts the per-utterance mean);
- `acf`: a log-lag autocorrelogram: the frame's autocorrelation (Wiener-Khinchin, the power spectrum times a
  cosine matrix, one MatMul) at 40 lags log-spaced from 32 to 256 samples (F0 500 Hz down to 62.5 Hz, 13 lags per
  octave), divided by the frame's energy r(0) and by the Hann window's own autocorrelation at that lag, so a
  periodic frame shows a peak at its pitch period whatever its level; plus one channel of log frame energy
  relative to the clip's loudest frame (dB / 10, floored at -8). Gain-invariant by construction.

Pure MatMul / Conv / Log / ReduceMax ops: exports to ONNX as part of one graph.
"""
import math

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

N_FFT = 512
HOP = 160
SPEC_BINS = (2, 128)            # [lo, hi) FFT bins of the `spec` feature
ACF_LAGS = 40
ACF_MIN_LAG, ACF_MAX_LAG = 32.0, 256.0
KINDS = ("spec", "acf")


def channels(kind):
    if kind == "spec":
        return SPEC_BINS[1] - SPEC_BINS[0]
    if kind == "acf":
        return ACF_LAGS + 1
    raise ValueError(f"unknown prosody feature {kind!r}: expected one of {KINDS}")


class ProsodyFrontEnd(nn.Module):
    """waveform in [-1, 1] [B, S] (S >= 512) -> [B, T, channels(kind)] with T = (S - 512) // 160 + 1."""

    def __init__(self, mel_onnx_path, kind):
        super().__init__()
        channels(kind)
        self.kind = kind
        w = {i.name: numpy_helper.to_array(i) for i in onnx.load(mel_onnx_path).graph.initializer}
        real, imag = w["0.stft.conv_real.weight"], w["0.stft.conv_imag.weight"]
        if real.shape != (N_FFT // 2 + 1, 1, N_FFT):
            raise ValueError(f"{mel_onnx_path}: STFT kernels {real.shape}, expected (257, 1, 512)")
        if kind == "spec":
            real, imag = real[SPEC_BINS[0]:SPEC_BINS[1]], imag[SPEC_BINS[0]:SPEC_BINS[1]]
        else:
            lags = np.exp(np.linspace(math.log(ACF_MIN_LAG), math.log(ACF_MAX_LAG), ACF_LAGS))
            k = np.arange(N_FFT // 2 + 1)[:, None]
            weight = np.where((k == 0) | (k == N_FFT // 2), 1.0, 2.0)
            cos = weight * np.cos(2.0 * math.pi * k * np.concatenate([[0.0], lags])[None, :] / N_FFT)
            window = real[0, 0].astype(np.float64)          # bin 0's cosine kernel is the analysis window itself
            wacf = np.array([np.interp(np.arange(N_FFT) + lag, np.arange(N_FFT), window, right=0.0) @ window
                             for lag in lags]) / float(window @ window)
            self.register_buffer("acf_cos", torch.from_numpy(cos.astype(np.float32)))       # [257, 1 + lags]
            self.register_buffer("inv_wacf", torch.from_numpy((1.0 / wacf).astype(np.float32)))
        self.register_buffer("conv_real", torch.from_numpy(real.copy()))
        self.register_buffer("conv_imag", torch.from_numpy(imag.copy()))

    def forward(self, wav):
        x = wav.unsqueeze(1)
        re = F.conv1d(x, self.conv_real, stride=HOP)
        im = F.conv1d(x, self.conv_imag, stride=HOP)
        p = (re * re + im * im).transpose(1, 2)                     # [B, T, bins]
        if self.kind == "spec":
            db = 10.0 * torch.log10(p + 1e-10)
            floor = db.amax(dim=(1, 2), keepdim=True) - 80.0
            return torch.maximum(db, floor) / 10.0
        r = torch.matmul(p, self.acf_cos)                           # [B, T, 1 + lags]
        r0 = r[:, :, :1]
        acf = r[:, :, 1:] / (r0 + 1e-9) * self.inv_wacf
        energy = 10.0 * torch.log10(r0 + 1e-9)
        energy = torch.clamp((energy - energy.amax(dim=1, keepdim=True)) / 10.0, min=-8.0)
        return torch.cat([acf, energy], dim=2)
