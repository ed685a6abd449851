#!/usr/bin/env python3
"""Voiced audio of a clip, by the shared voiced-audio contract of emostream (Python side).

The Java audio worker implements the same contract (Silero VAD gating, NO_SPEECH); both must stay identical:

- Silero VAD v5 (`silero_vad_v5.onnx`), 16 kHz, frames of 512 samples; each frame is fed with the previous 64
    samples of context prepended (input [batch, 576]), as Silero's own wrapper does; the context of the first frame
    is zeros; the recurrent `state` [2, batch, 128] is carried across frames; each clip starts from the state that
    PRIMING_FRAMES (16) frames of digital silence leave from zeros, as if it came after a pause (from zeros, a clip
    that begins in loud speech can stay at "no speech" throughout; added 2026-11-30, after v7 was trained without
    it); the last partial frame is zero-padded.
- A frame is voiced when its speech probability >= threshold (default 0.5, EMOSTREAM_VAD_THRESHOLD).
- The voiced-frame mask is dilated by 3 frames (96 ms) on each side; voiced audio = the clip's samples of the
    voiced frames, concatenated in order (the padded tail of the last frame is not part of the clip).

Batched over clips (each row of the batch has its own state), so frames of many clips run in one call.
"""
import numpy as np
import onnxruntime as ort

SR = 16000
FRAME = 512
CONTEXT = 64
DILATE = 3
PRIMING_FRAMES = 16


class SileroVad:
    def __init__(self, path, threads=1):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        self.sr = np.array(SR, dtype=np.int64)
        state = np.zeros((2, 1, 128), dtype=np.float32)
        for _ in range(PRIMING_FRAMES):
            _, state = self.sess.run(None, {"input": np.zeros((1, CONTEXT + FRAME), np.float32), "state": state,
                                            "sr": self.sr})
        self.primed = state

    def frame_probs(self, wavs):
        """Speech probability of every 512-sample frame of each clip (list of float32 1-D arrays)."""
        n_frames = [max(1, -(-len(w) // FRAME)) for w in wavs]
        B, F = len(wavs), max(n_frames)
        padded = np.zeros((B, CONTEXT + F * FRAME), dtype=np.float32)
        for i, w in enumerate(wavs):
            padded[i, CONTEXT:CONTEXT + len(w)] = w
        state = np.repeat(self.primed, B, axis=1)
        probs = np.zeros((B, F), dtype=np.float32)
        for f in range(F):
            x = padded[:, f * FRAME:f * FRAME + CONTEXT + FRAME]
            out, state = self.sess.run(None, {"input": x, "state": state, "sr": self.sr})
            probs[:, f] = out.reshape(B)
        return [probs[i, :n_frames[i]] for i in range(B)]

    def voiced(self, wavs, threshold=0.5, batch=64):
        """(voiced audio, frame probabilities) of each clip; clips batched by similar length."""
        order = np.argsort([len(w) for w in wavs])
        result = [None] * len(wavs)
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            for i, p in zip(idx, self.frame_probs([wavs[i] for i in idx])):
                result[i] = (voiced_audio(wavs[i], p, threshold), p)
        return result


def voiced_mask(probs, threshold=0.5):
    mask = probs >= threshold
    dilated = mask.copy()
    for d in range(1, DILATE + 1):
        dilated[d:] |= mask[:-d]
        dilated[:-d] |= mask[d:]
    return dilated


def voiced_audio(wav, probs, threshold=0.5):
    mask = voiced_mask(probs, threshold)
    keep = np.repeat(mask, FRAME)[:len(wav)]
    return wav[keep]


def main():
    """Writes reference values of the contract for the Java side's tests: frame probabilities, voiced-frame mask
    and voiced sample count for real clips and two generated signals."""
    import argparse
    import json
    import os
    import soundfile as sf
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--vad", default="../shared/models/silero-vad/silero_vad_v5.onnx")
    ap.add_argument("--ravdess", default="../shared/data/ravdess-speech-16k")
    ap.add_argument("--emodb", default="../shared/data/emodb-16k")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", default="training/audio/results-v2/vad_reference.json")
    args = ap.parse_args()
    vad = SileroVad(args.vad)
    n = SR
    t = np.arange(n) / SR
    inputs = [("generated: 1 s of digital silence", None, np.zeros(n, dtype=np.float32)),
              ("generated: 1 s sine 300 Hz amplitude 0.3 (0.3 * sin(2 pi 300 i / 16000))", None,
               (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32))]
    for rel in ["Actor_01/03-01-05-02-01-01-01.flac", "Actor_06/03-01-03-02-02-01-06.flac",
                "Actor_01/03-01-01-01-01-01-01.flac"]:
        inputs.append((rel, "ravdess-speech-16k", sf.read(os.path.join(args.ravdess, rel), dtype="float32")[0]))
    for rel in ["03a04Fd.flac", "03a01Fa.flac"]:
        inputs.append((rel, "emodb-16k", sf.read(os.path.join(args.emodb, rel), dtype="float32")[0]))
    out = []
    for name, folder, wav in inputs:
        probs = vad.frame_probs([wav])[0]
        mask = voiced_mask(probs, args.threshold)
        out.append({"input": name, "folder": folder, "num_samples": int(len(wav)),
                    "voiced_num_samples": int(len(voiced_audio(wav, probs, args.threshold))),
                    "voiced_frames": int(mask.sum()), "frames": int(len(probs)),
                    "probabilities": [round(float(p), 6) for p in probs]})
        print(f"{name}: {len(probs)} frames, {int((probs >= args.threshold).sum())} >= threshold, "
              f"{int(mask.sum())} after dilation, voiced {out[-1]['voiced_num_samples'] / SR:.3f} s")
    with open(args.out, "w") as f:
        json.dump({"contract": "Silero VAD v5 (silero_vad_v5.onnx), 16 kHz, 512-sample frames with the previous 64 "
                               "samples prepended (zeros before the first), each clip from the state 16 frames of "
                               "silence leave from zeros, last partial "
                               "frame zero-padded, voiced when p >= threshold, mask dilated by 3 frames each side",
                   "threshold": args.threshold, "onnxruntime": ort.__version__, "tolerance": 1e-4,
                   "clips": out}, f, indent=1)


if __name__ == "__main__":
    main()
