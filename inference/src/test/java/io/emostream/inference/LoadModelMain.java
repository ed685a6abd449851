package io.emostream.inference;

import java.nio.file.Path;

/**
 * Child-JVM entry point for {@link LongCommandLineTest}: loads a model, runs it once, prints the
 * result.
 */
public final class LoadModelMain {

  private LoadModelMain() {}

  public static void main(String[] args) throws Exception {
    try (OrtModel model = OrtModel.load(Path.of(args[0]), Device.CPU, 1)) {
      float[][] p = model.probabilities(new float[16], new long[] {1, 16});
      System.out.println("loaded " + model.manifest().name() + " classes=" + p[0].length);
    }
  }
}
