#!/usr/bin/env bash
# Rebuilds the labelled samples in this folder from the development data in ../shared (see README.md here).
# Run from the repository root: samples/labelled/make-samples.sh [SHARED_DIR]   (default ../shared)
# Needs FFmpeg (made with FFmpeg 5.1). Output: the .mp4 files of this folder; labels.csv is written by hand.
set -euo pipefail
SHARED="${1:-../shared}"
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AV="$SHARED/data/av-clips"
SPEECH="$SHARED/data/ravdess-speech-16k"
FACES="$SHARED/data/face-images"

# 1. The two real RAVDESS audio-visual clips of actor 01, re-encoded smaller (360 lines, mono 16 kHz sound);
#    their RAVDESS file names are kept, and give their labels.
for name in 01-01-01-01-01-01-01 01-01-07-02-02-01-01; do
  ffmpeg -nostdin -loglevel error -y -i "$AV/$name.mp4" -map 0:v:0 -map 0:a:0 \
    -vf "scale=-2:360,format=yuv420p" -c:v libx264 -preset slow -crf 28 \
    -c:a aac -b:a 32k -ar 16000 -ac 1 -map_metadata -1 -movflags +faststart "$OUT/$name.mp4"
done

# 2. Constructed demo clips: a labelled face photo (MIT, face_classification) shown as a still picture with a
#    RAVDESS speech recording (statement 01, strong intensity, repetition 01) of the same emotion by actor 02, 03
#    or 04. The face is not the speaker's; labels.csv gives label and speaker (the voice's actor).
for actor in 02 03 04; do
  for pair in 03:happy:demo_q2_happy 04:sad:demo_q3_sad 05:angry:demo_q4_angry 08:surprised:demo_q1_surprise; do
    IFS=: read -r code label photo <<<"$pair"
    speech="$SPEECH/Actor_$actor/03-01-$code-02-01-01-$actor.flac"
    # the picture lasts as long as the speech (-shortest lets a looped image run on by seconds)
    seconds="$(ffprobe -v error -show_entries format=duration -of default=noprint_wrappers=1:nokey=1 "$speech")"
    ffmpeg -nostdin -loglevel error -y -loop 1 -framerate 25 -t "$seconds" -i "$FACES/$photo.png" -i "$speech" \
      -vf "scale=-2:240,pad=320:240:(ow-iw)/2:0:color=gray,format=yuv420p" \
      -c:v libx264 -preset slow -crf 30 -tune stillimage -c:a aac -b:a 32k -ar 16000 -ac 1 -t "$seconds" \
      -map_metadata -1 -movflags +faststart "$OUT/demo-$label-actor$actor.mp4"
  done
done
