package io.emostream.cli;

import io.emostream.audio.AudioPreprocessor;
import io.emostream.inference.Device;
import io.emostream.inference.NonSpeechSignals;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.VadConfig;
import io.emostream.ingest.DemuxedClip;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Measures what the voice-activity gate ({@link SpeechDetector}, the shared voiced-audio contract)
 * sees, to choose EMOSTREAM_VAD_THRESHOLD and EMOSTREAM_VAD_MIN_SPEECH_SECONDS: for every clip of
 * the media files under each DIR (cut by ingest's own demuxer with its default 4 s segments, as the
 * audio worker gets them), for the same speech scaled down to about -63 dBFS RMS (below the old
 * silence rule's -60 dBFS), and for 4 s of each generated non-speech signal ({@link
 * NonSpeechSignals}), it prints the distribution of voiced seconds at several thresholds (min, 1st
 * and 5th percentile, median, max) and how many clips fall under each candidate minimum, then the
 * detector's time per 4 s of audio. Not a test: the figures are the data's and the machine's.
 *
 * <pre>
 * ./emostream vad-survey [--model FILE] [--quiet N] DIR...
 * java -cp "cli/target/classes:cli/target/lib/*" io.emostream.cli.VadSurvey [--model FILE] [--quiet N] DIR...
 * </pre>
 */
@Command(
    name = "vad-survey",
    header = "measure what the voice-activity gate sees, to choose its settings",
    description = {
      "For every 4 s clip of the media files under each DIR (cut by ingest's demuxer, as the audio "
          + "worker gets them), for the same speech at about -63 dBFS RMS, and for 4 s of generated non-speech, print "
          + "the voiced seconds at several thresholds and how many clips fall under each candidate minimum, then the "
          + "detector's time per 4 s of audio; for choosing EMOSTREAM_VAD_THRESHOLD and "
          + "EMOSTREAM_VAD_MIN_SPEECH_SECONDS. Not a test: the figures are the data's and the machine's."
    })
public final class VadSurvey extends CliCommand {

  static final double[] THRESHOLDS = {0.3, 0.5, 0.7};
  static final double[] MINIMUMS = {0.25, 0.5, 0.75, 1.0};

  /**
   * RMS of the quiet copies: about -63 dBFS, under AudioPredictor's SILENCE_RMS (0.001, -60 dBFS).
   */
  static final double QUIET_RMS = 0.0007;

  @Option(
      names = "--model",
      paramLabel = "FILE",
      description =
          "the voice-activity model (default: "
              + "models/silero-vad/silero_vad_v5_sequence.onnx under the emostream folder)")
  private Path model;

  @Option(
      names = "--quiet",
      paramLabel = "N",
      defaultValue = "50",
      description =
          "how many speech clips (the first of "
              + "each DIR, split evenly) also go in quiet (default: ${DEFAULT-VALUE})")
  private int quiet;

  @Parameters(
      paramLabel = "DIR",
      arity = "1..*",
      description = "folders of media files (or single files) with speech")
  private List<Path> dirs = new ArrayList<>();

  private long detectorNanos;
  private long detectedSamples;

  /**
   * {@code java -cp ... io.emostream.cli.VadSurvey ARGS} is {@code ./emostream vad-survey ARGS}.
   */
  public static void main(String[] args) {
    Main.main(Main.commandFirst("vad-survey", args));
  }

  @Override
  int execute() throws Exception {
    if (quiet < 0) {
      throw new Main.UsageException("--quiet must be 0 or more, got " + quiet);
    }
    Path vadModel = model != null ? model : home.resolve(VadConfig.DEFAULT_MODEL);
    VideoDemuxer demuxer = new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of())));
    // min speech 0: the survey reads voiced seconds, it does not gate
    try (SpeechDetector detector = SpeechDetector.load(vadModel, Device.CPU, 1, 0.5, 0)) {
      Map<String, List<float[]>> probabilities = new LinkedHashMap<>();
      Map<String, List<Integer>> lengths = new LinkedHashMap<>();
      List<float[]> quietClips = new ArrayList<>();
      int quietPerDir = dirs.isEmpty() ? 0 : quiet / dirs.size();
      for (int dirIndex = 0; dirIndex < dirs.size(); dirIndex++) {
        Path dir = dirs.get(dirIndex);
        String group = dir.getFileName().toString();
        List<Path> files = Files.isDirectory(dir) ? Inputs.mediaFilesUnder(dir) : List.of(dir);
        err.printf(Locale.ROOT, "%s: %d files%n", group, files.size());
        for (Path file : files) {
          List<DemuxedClip> clips = new ArrayList<>();
          demuxer.demux(file, clips::add);
          for (DemuxedClip clip : clips) {
            float[] samples = AudioPreprocessor.toMonoFloat(clip.pcm16le(), 1);
            add(probabilities, lengths, group, samples, detector);
            if (quietClips.size() < quietPerDir * (dirIndex + 1)) {
              quietClips.add(NonSpeechSignals.scaleToRms(samples.clone(), QUIET_RMS));
            }
          }
        }
      }
      for (float[] samples : quietClips) {
        add(probabilities, lengths, "speech at -63 dBFS RMS", samples, detector);
      }
      NonSpeechSignals.all(4.0)
          .forEach(
              (name, samples) -> {
                try {
                  add(probabilities, lengths, name, samples, detector);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      print(probabilities, lengths);
      out.printf(
          Locale.ROOT,
          "VAD time: %.1f ms per 4 s of audio (%.0f s of audio, one intra-op thread, "
              + "including the first runs)%n",
          detectorNanos / 1e6 / (detectedSamples / (4.0 * SpeechDetector.SAMPLE_RATE)),
          detectedSamples / (double) SpeechDetector.SAMPLE_RATE);
    }
    return 0;
  }

  private void add(
      Map<String, List<float[]>> probabilities,
      Map<String, List<Integer>> lengths,
      String group,
      float[] samples,
      SpeechDetector detector)
      throws Exception {
    long start = System.nanoTime();
    float[] p = detector.probabilities(samples);
    detectorNanos += System.nanoTime() - start;
    detectedSamples += samples.length;
    probabilities.computeIfAbsent(group, g -> new ArrayList<>()).add(p);
    lengths.computeIfAbsent(group, g -> new ArrayList<>()).add(samples.length);
  }

  private void print(Map<String, List<float[]>> probabilities, Map<String, List<Integer>> lengths) {
    out.printf(
        Locale.ROOT,
        "voiced seconds per clip (Silero VAD v5, frames of %d, dilation %d frames)%n",
        SpeechDetector.FRAME,
        SpeechDetector.DILATION_FRAMES);
    StringBuilder header =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%-26s %5s %5s %6s %6s %6s %6s %6s %6s",
                "clips",
                "n",
                "thr",
                "min",
                "p1",
                "p5",
                "median",
                "max",
                "maxP"));
    for (double m : MINIMUMS) {
      header.append(String.format(Locale.ROOT, " %7s", "<" + m));
    }
    out.println(header);
    for (String group : probabilities.keySet()) {
      List<float[]> probs = probabilities.get(group);
      for (double threshold : THRESHOLDS) {
        double[] voiced = new double[probs.size()];
        double maxP = 0;
        for (int i = 0; i < probs.size(); i++) {
          voiced[i] =
              SpeechDetector.voicedSeconds(probs.get(i), lengths.get(group).get(i), threshold);
          for (float p : probs.get(i)) {
            maxP = Math.max(maxP, p);
          }
        }
        Arrays.sort(voiced);
        StringBuilder row =
            new StringBuilder(
                String.format(
                    Locale.ROOT,
                    "%-26s %5d %5.1f %6.2f %6.2f %6.2f %6.2f %6.2f %6.3f",
                    group,
                    voiced.length,
                    threshold,
                    voiced[0],
                    percentile(voiced, 1),
                    percentile(voiced, 5),
                    percentile(voiced, 50),
                    voiced[voiced.length - 1],
                    maxP));
        for (double m : MINIMUMS) {
          long under = Arrays.stream(voiced).filter(v -> v < m).count();
          row.append(String.format(Locale.ROOT, " %7s", under + "/" + voiced.length));
        }
        out.println(row);
      }
    }
  }

  /** Nearest-rank percentile of sorted values. */
  static double percentile(double[] sorted, double pct) {
    int rank = (int) Math.ceil(pct / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
