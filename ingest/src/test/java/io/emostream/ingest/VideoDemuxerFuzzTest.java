package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated real files (byte flips, truncations, duplicated and dropped chunks) fed to the FFmpeg
 * demuxer in this JVM: every outcome must be clips or an {@link IngestException}; anything else (or
 * a JVM crash, which fails the build as a lost fork) is a bug. Seeded and bounded: at most {@value
 * #ITERATIONS} files and {@value #SECONDS} s.
 */
class VideoDemuxerFuzzTest {

  static final int ITERATIONS = 200;
  static final int SECONDS = 60;
  static final long SEED = 20_261_121L;

  @TempDir Path dir;

  @Test
  void mutatedSamplesGiveClipsOrAnIngestExceptionNeverAnythingElse() throws Exception {
    List<byte[]> originals =
        List.of(
            Files.readAllBytes(Path.of("../samples/happy-speech.mp4")),
            Files.readAllBytes(Path.of("../samples/no-face-tone.mp4")));
    VideoDemuxer demuxer =
        new VideoDemuxer(
            IngestConfig.fromEnv(
                new Env(
                    Map.of(
                        "EMOSTREAM_SEGMENT_SECONDS", "2", "EMOSTREAM_FRAMES_PER_SEGMENT", "4"))));
    Random random = new Random(SEED);
    long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    int run = 0;
    for (; run < ITERATIONS && System.nanoTime() < deadline; run++) {
      byte[] original = originals.get(run % originals.size());
      String kind =
          switch (random.nextInt(4)) {
            case 0 -> "flip";
            case 1 -> "truncate";
            case 2 -> "duplicate";
            default -> "drop";
          };
      byte[] mutated = mutate(kind, original, random);
      Path file = Files.write(dir.resolve("fuzz-" + run + ".mp4"), mutated);
      try {
        int clips =
            demuxer.demux(file, clip -> assertThat(clip.endMs()).isGreaterThan(clip.startMs()));
        assertThat(clips).isPositive();
        outcomes.merge(kind + " → clips", 1, Integer::sum);
      } catch (IngestException e) {
        assertThat(e.getMessage()).isNotBlank();
        outcomes.merge(kind + " → IngestException", 1, Integer::sum);
      } catch (Throwable t) { // NOPMD: the point of a fuzz test is to catch whatever escapes
        failures.add("run " + run + " (" + kind + ", seed " + SEED + "): " + t);
      } finally {
        Files.delete(file);
      }
    }
    System.out.printf("fuzz: %d mutated files in this JVM, outcomes %s%n", run, outcomes);
    assertThat(failures).isEmpty();
    assertThat(run).isGreaterThanOrEqualTo(20);
  }

  static byte[] mutate(String kind, byte[] original, Random random) {
    switch (kind) {
      case "flip" -> {
        byte[] out = original.clone();
        int flips = 1 + random.nextInt(32);
        for (int i = 0; i < flips; i++) {
          out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
      }
      case "truncate" -> {
        return Arrays.copyOf(original, 1 + random.nextInt(original.length - 1));
      }
      case "duplicate" -> {
        int len = 1 + random.nextInt(4_096);
        int from = random.nextInt(original.length - len);
        int at = random.nextInt(original.length);
        byte[] out = new byte[original.length + len];
        System.arraycopy(original, 0, out, 0, at);
        System.arraycopy(original, from, out, at, len);
        System.arraycopy(original, at, out, at + len, original.length - at);
        return out;
      }
      default -> {
        int len = 1 + random.nextInt(4_096);
        int from = random.nextInt(original.length - len);
        byte[] out = new byte[original.length - len];
        System.arraycopy(original, 0, out, 0, from);
        System.arraycopy(original, from + len, out, from, original.length - from - len);
        return out;
      }
    }
  }
}
