#!/usr/bin/env python3
import sys, glob, numpy as np, soundfile as sf
# Voiced seconds of the Silero VAD contract on RAVDESS and EmoDB, clean and through the telephone-band round trip
# (mu-law and A-law), at VAD thresholds 0.5 (default), 0.35 and 0.3. Run from training/audio:
#   python vad_telephone.py   (needs the training requirements: numpy, soundfile, onnxruntime, scipy)
sys.path.insert(0, '.')
import vad, augment
rav = sorted(glob.glob('../../../shared/data/ravdess-speech-16k/*/*.flac'))
emo = sorted(glob.glob('../../../shared/data/emodb-16k/*.flac'))
det = vad.SileroVad('../../models/silero-vad/silero_vad_v5.onnx')
for name, files in (('ravdess', rav), ('emodb', emo)):
    clean = [sf.read(f, dtype='float32')[0] for f in files]
    for cond in ('clean', 'tel-mu', 'tel-a'):
        wavs = clean if cond == 'clean' else [augment.telephone(w, cond[-1:] == 'u' and 'mu' or 'a').astype(np.float32) for w in clean]
        probs = []
        order = np.argsort([len(w) for w in wavs])
        P = [None]*len(wavs)
        for s in range(0, len(order), 64):
            idx = order[s:s+64]
            for i, p in zip(idx, det.frame_probs([wavs[i] for i in idx])): P[i] = p
        for thr in (0.5, 0.35, 0.3):
            secs = np.array([vad.voiced_mask(p, thr).sum()*512/16000 for p in P])
            print(f"{name:8s} {cond:7s} thr {thr}: n={len(secs)} under0.5s={int((secs<0.5).sum())} under0.3s={int((secs<0.3).sum())} p1={np.percentile(secs,1):.2f} median={np.median(secs):.2f}", flush=True)
