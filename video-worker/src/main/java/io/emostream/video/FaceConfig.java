package io.emostream.video;

import io.emostream.kafka.Env;

/**
 * Settings of the video worker's face path, from the environment.
 *
 * @param detectEvery EMOSTREAM_FACE_DETECT_EVERY (default {@value #DEFAULT_DETECT_EVERY}): YuNet
 *     runs on frames 0, N, 2N... of a clip and the face it chose is carried over, box and
 *     landmarks, to the frames between (cut from each frame itself); 1 detects on every frame. A
 *     detection that finds no face is tried again on the next frame.
 * @param detectSide EMOSTREAM_FACE_DETECT_SIDE (default {@value #DEFAULT_DETECT_SIDE}): the longest
 *     side YuNet runs at, a multiple of 32 from {@value #MIN_DETECT_SIDE} to {@value
 *     #MAX_DETECT_SIDE}; a frame longer than that is shrunk to it for detection only (the face is
 *     still cut from the frame itself). Ignored by a YuNet with a fixed input size.
 */
public record FaceConfig(int detectEvery, int detectSide) {

  public static final String DETECT_EVERY_ENV = "EMOSTREAM_FACE_DETECT_EVERY";
  public static final int DEFAULT_DETECT_EVERY = 1;
  public static final int MAX_DETECT_EVERY = 64;

  public static final String DETECT_SIDE_ENV = "EMOSTREAM_FACE_DETECT_SIDE";
  public static final int DEFAULT_DETECT_SIDE = 640;
  public static final int MIN_DETECT_SIDE = 160;
  public static final int MAX_DETECT_SIDE = 640;

  /** YuNet's coarsest stride: the detect side is a multiple of it. */
  private static final int DETECT_SIDE_STEP = 32;

  /** Every setting at its default. */
  public static final FaceConfig DEFAULTS =
      new FaceConfig(DEFAULT_DETECT_EVERY, DEFAULT_DETECT_SIDE);

  public FaceConfig {
    if (detectEvery < 1 || detectEvery > MAX_DETECT_EVERY) {
      throw new IllegalArgumentException(
          DETECT_EVERY_ENV
              + " must be a whole number from 1 to "
              + MAX_DETECT_EVERY
              + ", got "
              + detectEvery);
    }
    if (detectSide < MIN_DETECT_SIDE
        || detectSide > MAX_DETECT_SIDE
        || detectSide % DETECT_SIDE_STEP != 0) {
      throw new IllegalArgumentException(
          DETECT_SIDE_ENV
              + " must be a multiple of "
              + DETECT_SIDE_STEP
              + " from "
              + MIN_DETECT_SIDE
              + " to "
              + MAX_DETECT_SIDE
              + ", got "
              + detectSide);
    }
  }

  /** These settings with detection every {@code every}th frame. */
  public FaceConfig withDetectEvery(int every) {
    return new FaceConfig(every, detectSide);
  }

  /** These settings with YuNet run at {@code side} px on the longest side. */
  public FaceConfig withDetectSide(int side) {
    return new FaceConfig(detectEvery, side);
  }

  /**
   * @throws IllegalArgumentException naming the variable and what it accepts, if a setting is not a
   *     number or out of range
   */
  public static FaceConfig fromEnv(Env env) {
    int detectSide =
        env.integer(DETECT_SIDE_ENV, DEFAULT_DETECT_SIDE, MIN_DETECT_SIDE, MAX_DETECT_SIDE);
    if (detectSide % DETECT_SIDE_STEP != 0) {
      throw new IllegalArgumentException(
          "environment variable "
              + DETECT_SIDE_ENV
              + "='"
              + detectSide
              + "' is not valid: expected a multiple of "
              + DETECT_SIDE_STEP
              + " from "
              + MIN_DETECT_SIDE
              + " to "
              + MAX_DETECT_SIDE);
    }
    return new FaceConfig(
        env.integer(DETECT_EVERY_ENV, DEFAULT_DETECT_EVERY, 1, MAX_DETECT_EVERY), detectSide);
  }
}
