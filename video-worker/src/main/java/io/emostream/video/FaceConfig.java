package io.emostream.video;

import io.emostream.kafka.Env;

/**
 * Settings of the video worker's face path, from the environment.
 *
 * @param detectEvery EMOSTREAM_FACE_DETECT_EVERY (default {@value #DEFAULT_DETECT_EVERY}): YuNet
 *     runs on frames 0, N, 2N... of a clip and the face it chose is carried over, box and
 *     landmarks, to the frames between (cut from each frame itself); 1 detects on every frame. A
 *     detection that finds no face is tried again on the next frame.
 */
public record FaceConfig(int detectEvery) {

  public static final String DETECT_EVERY_ENV = "EMOSTREAM_FACE_DETECT_EVERY";
  public static final int DEFAULT_DETECT_EVERY = 1;
  public static final int MAX_DETECT_EVERY = 64;

  /** Every setting at its default. */
  public static final FaceConfig DEFAULTS = new FaceConfig(DEFAULT_DETECT_EVERY);

  public FaceConfig {
    if (detectEvery < 1 || detectEvery > MAX_DETECT_EVERY) {
      throw new IllegalArgumentException(
          DETECT_EVERY_ENV
              + " must be a whole number from 1 to "
              + MAX_DETECT_EVERY
              + ", got "
              + detectEvery);
    }
  }

  public static FaceConfig fromEnv(Env env) {
    return new FaceConfig(env.integer(DETECT_EVERY_ENV, DEFAULT_DETECT_EVERY, 1, MAX_DETECT_EVERY));
  }
}
