package io.emostream.cli;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.ingest.ClipPublisher;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.FusionRule;
import io.emostream.topics.Topics;
import io.emostream.video.FaceConfig;
import io.emostream.video.FacePredictor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Frames per clip and frame size / JPEG quality by evidence (issue #17): the video worker's own
 * {@link FacePredictor} on the frames ingest would publish at each setting, against the old default
 * (32 frames per 4 s clip, 640 px long side, quality 0.9). Per setting it prints the frames payload
 * per clip (the FrameBatch record's bytes, as {@link ClipPublisher#records} builds it), the share
 * of clips whose top label agrees with the default's, the mean total variation distance between the
 * two distributions, face recall (frames with a face over frames), and the top label against the
 * clips' true labels; then the labelled face photos re-encoded at each size and quality. A tool,
 * not a test: run from the project root after {@code mvn -pl cli -am test-compile}:
 *
 * <pre>
 * java -cp "cli/target/test-classes:cli/target/classes:cli/target/lib/*" io.emostream.cli.FrameSurvey \
 *     [models/fer-mini-xception/manifest.json [FRAMES/SIDE/QUALITY[/noref][/detN] ...]]
 * </pre>
 *
 * <p>Settings named are surveyed against the old default and, from the second one on, against the
 * first one named too (e.g. {@code 8/640/0.75 8/640/0.75/det320}: YuNet at 320 px on the long side,
 * EMOSTREAM_FACE_DETECT_SIDE, against today's publishing default with YuNet at 640).
 */
final class FrameSurvey {

  /**
   * One way of publishing frames, and the side the worker's YuNet runs at on them
   * (EMOSTREAM_FACE_DETECT_SIDE).
   */
  record Setting(int frames, int side, float quality, boolean skipNonRef, int detectSide) {
    /** Every frame decoded, as ingest did before EMOSTREAM_DECODE_SKIP_NONREF; YuNet at 640. */
    Setting(int frames, int side, float quality) {
      this(frames, side, quality, false, FaceConfig.DEFAULT_DETECT_SIDE);
    }

    /**
     * FRAMES/SIDE/QUALITY[/noref][/detN], e.g. 8/640/0.75/det320: YuNet at 320 px on the long side.
     */
    static Setting parse(String arg) {
      String[] parts = arg.split("/");
      boolean noref = false;
      int detectSide = FaceConfig.DEFAULT_DETECT_SIDE;
      for (String option : List.of(parts).subList(3, parts.length)) {
        if (option.equals("noref")) {
          noref = true;
        } else if (option.startsWith("det")) {
          detectSide = Integer.parseInt(option.substring(3));
        } else {
          throw new IllegalArgumentException("unknown option " + option + " in " + arg);
        }
      }
      return new Setting(
          Integer.parseInt(parts[0]),
          Integer.parseInt(parts[1]),
          Float.parseFloat(parts[2]),
          noref,
          detectSide);
    }

    String name() {
      return String.format(Locale.ROOT, "%d fr, %d px, q %.2f", frames, side, quality)
          + (skipNonRef ? ", non-reference frames not decoded" : "")
          + (detectSide != FaceConfig.DEFAULT_DETECT_SIDE ? ", YuNet at " + detectSide : "");
    }
  }

  /** One clip's prediction at a setting. */
  record Prediction(String top, float[] p, int faces, int frames, int bytes) {}

  static final Setting DEFAULT = new Setting(32, 640, 0.9f);

  /** The worker's predictor by the side its YuNet runs at. */
  private final Map<Integer, FacePredictor> predictors;

  private final List<String> labels;
  private final Topics topics = Topics.defaults();

  FrameSurvey(Map<Integer, FacePredictor> predictors, List<String> labels) {
    this.predictors = predictors;
    this.labels = labels;
  }

  public static void main(String[] args) throws Exception {
    Path manifest = Path.of(args.length > 0 ? args[0] : "models/fer-mini-xception/manifest.json");
    List<Path> videos = videos();
    List<Setting> settings = new ArrayList<>();
    settings.add(DEFAULT);
    if (args.length > 1) {
      // FRAMES/SIDE/QUALITY[/noref][/detN] each, e.g. 8/640/0.75: only those against the default
      for (String arg : List.of(args).subList(1, args.length)) {
        settings.add(Setting.parse(arg));
      }
    } else {
      settings.addAll(grid());
    }
    Set<Integer> detectSides = new TreeSet<>(Comparator.reverseOrder());
    settings.forEach(setting -> detectSides.add(setting.detectSide()));
    Map<Integer, FacePredictor> predictors = new LinkedHashMap<>();
    try (OrtModel model = OrtModel.load(manifest, Device.CPU, 1)) {
      try {
        for (int detectSide : detectSides) {
          predictors.put(
              detectSide,
              new FacePredictor(
                  model,
                  manifest.toAbsolutePath().getParent(),
                  Device.CPU,
                  1,
                  null,
                  32,
                  Topics.defaults().frames(),
                  FaceConfig.DEFAULTS.withDetectSide(detectSide)));
        }
        FrameSurvey survey = new FrameSurvey(predictors, model.manifest().labels());
        System.out.println("model " + manifest + "; videos: " + videos);
        // with two settings named or more, the first is the others' baseline too
        survey.videos(videos, settings, args.length > 2 ? settings.get(1) : null);
        survey.photos(Path.of("../shared/data/face-images"));
      } finally {
        predictors.values().forEach(FacePredictor::close);
      }
    }
  }

  /** The settings surveyed by default (after {@link #DEFAULT}). */
  static List<Setting> grid() {
    List<Setting> settings = new ArrayList<>();
    for (int frames : new int[] {16, 12, 8}) {
      settings.add(new Setting(frames, 640, 0.9f));
    }
    for (int side : new int[] {640, 480, 320}) {
      for (float q : new float[] {0.9f, 0.75f, 0.6f}) {
        if (side != 640 || q != 0.9f) {
          settings.add(new Setting(32, side, q));
        }
      }
    }
    for (int frames : new int[] {16, 12, 8}) {
      settings.add(new Setting(frames, 480, 0.75f));
      settings.add(new Setting(frames, 320, 0.75f));
    }
    return settings;
  }

  static List<Path> videos() throws IOException {
    List<Path> videos = new ArrayList<>();
    Path shared = Path.of("../shared/data/av-clips");
    if (Files.isDirectory(shared)) {
      videos.addAll(mp4s(shared));
    }
    videos.addAll(mp4s(Path.of("samples")));
    videos.addAll(mp4s(Path.of("samples/labelled")));
    return videos;
  }

  private static List<Path> mp4s(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".mp4")).sorted().toList();
    }
  }

  /** The true label from the file name (RAVDESS's convention, or demo-LABEL-...), else null. */
  static String truth(Path file) {
    String name = file.getFileName().toString();
    if (name.startsWith("demo-")) {
      return name.split("-")[1];
    }
    return DatasetLabels.parse(file).map(DatasetLabels.LabelledFile::label).orElse(null);
  }

  /**
   * @param baseline a setting the later ones are compared with too, or null
   */
  void videos(List<Path> videos, List<Setting> settings, Setting baseline) throws Exception {
    Map<Setting, Map<String, Prediction>> all = new LinkedHashMap<>();
    Map<String, String> truths = new LinkedHashMap<>();
    for (Setting setting : settings) {
      Map<String, Prediction> byClip = new LinkedHashMap<>();
      for (Path video : videos) {
        for (Map.Entry<String, byte[]> clip : frameRecords(video, setting).entrySet()) {
          byClip.put(
              clip.getKey(),
              predict(predictors.get(setting.detectSide()), clip.getKey(), clip.getValue()));
          truths.put(clip.getKey(), truth(video));
        }
      }
      all.put(setting, byClip);
    }
    System.out.println();
    System.out.println(
        "| setting | frames KB/clip | top label = default's | mean TV vs default | face recall |"
            + " top label = truth |");
    System.out.println("|---|---|---|---|---|---|");
    Map<String, Prediction> reference = all.get(DEFAULT);
    for (Map.Entry<Setting, Map<String, Prediction>> row : all.entrySet()) {
      System.out.println(row(row.getKey().name(), row.getValue(), reference, truths));
    }
    if (baseline != null) {
      List<Setting> later = settings.subList(settings.indexOf(baseline), settings.size());
      System.out.println();
      System.out.println(
          "| setting | frames KB/clip | top label = "
              + baseline.name()
              + "'s | mean TV vs it | face recall | top label = truth |");
      System.out.println("|---|---|---|---|---|---|");
      for (Setting setting : later) {
        System.out.println(row(setting.name(), all.get(setting), all.get(baseline), truths));
      }
      System.out.println();
      System.out.println("Clips whose top label differs from " + baseline.name() + "'s:");
      for (Setting setting : later.subList(1, later.size())) {
        for (Map.Entry<String, Prediction> clip : all.get(setting).entrySet()) {
          Prediction base = all.get(baseline).get(clip.getKey());
          Prediction p = clip.getValue();
          if (!p.top().equals(base.top())) {
            System.out.printf(
                Locale.ROOT,
                "  %s: %s: %s -> %s (truth %s; TV %.3f)%n",
                setting.name(),
                clip.getKey(),
                base.top(),
                p.top(),
                truths.get(clip.getKey()),
                totalVariation(p.p(), base.p()));
          }
        }
      }
    }
  }

  /** The FrameBatch record values ingest would publish for {@code video}, by clip id. */
  Map<String, byte[]> frameRecords(Path video, Setting setting) {
    IngestConfig config =
        IngestConfig.fromEnv(
            new Env(
                Map.of(
                    "EMOSTREAM_FRAMES_PER_SEGMENT",
                    Integer.toString(setting.frames()),
                    "EMOSTREAM_MAX_FRAME_SIDE",
                    Integer.toString(setting.side()),
                    "EMOSTREAM_JPEG_QUALITY",
                    Float.toString(setting.quality()),
                    IngestConfig.SKIP_NONREF_ENV,
                    Boolean.toString(setting.skipNonRef()))));
    Map<String, byte[]> records = new LinkedHashMap<>();
    // The folder too: samples/labelled holds smaller copies named as the RAVDESS clips in
    // ../shared.
    String source = video.getParent().getFileName() + "/" + video.getFileName();
    new VideoDemuxer(config)
        .demux(
            video,
            clip -> {
              String clipId = source + "#" + clip.index();
              for (ProducerRecord<String, byte[]> record :
                  ClipPublisher.records(
                      topics, clipId, source, source, clip, FusionRule.AVERAGE, Instant.EPOCH)) {
                if (record.topic().equals(topics.frames().name())) {
                  records.put(clipId, record.value());
                }
              }
            });
    return records;
  }

  Prediction predict(FacePredictor predictor, String clipId, byte[] value) throws Exception {
    ClipPredictor.Outcome outcome = predictor.predict(clipId, value);
    int frames = topics.frames().decode(value).getFrames().size();
    float[] p = outcome.probabilities();
    return new Prediction(top(p), p, outcome.itemsAnalysed(), frames, value.length);
  }

  private String top(float[] p) {
    if (p.length == 0) {
      return "no face";
    }
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return labels.get(best);
  }

  static double totalVariation(float[] a, float[] b) {
    if (a.length == 0 || b.length == 0) {
      return a.length == b.length ? 0 : 1;
    }
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs(a[i] - b[i]);
    }
    return sum / 2;
  }

  private static String row(
      String name,
      Map<String, Prediction> rows,
      Map<String, Prediction> reference,
      Map<String, String> truths) {
    int agree = 0;
    int labelled = 0;
    int correct = 0;
    long bytes = 0;
    long faces = 0;
    long frames = 0;
    double tv = 0;
    for (Map.Entry<String, Prediction> clip : rows.entrySet()) {
      Prediction p = clip.getValue();
      Prediction ref = reference.get(clip.getKey());
      agree += p.top().equals(ref.top()) ? 1 : 0;
      tv += totalVariation(p.p(), ref.p());
      bytes += p.bytes();
      faces += p.faces();
      frames += p.frames();
      String truth = truths.get(clip.getKey());
      if (truth != null) {
        labelled++;
        correct += truth.equals(p.top()) ? 1 : 0;
      }
    }
    int n = rows.size();
    return String.format(
        Locale.ROOT,
        "| %s | %.1f | %d/%d | %.3f | %.3f (%d/%d) | %d/%d |",
        name,
        bytes / 1024.0 / n,
        agree,
        n,
        tv / n,
        (double) faces / frames,
        faces,
        frames,
        correct,
        labelled);
  }

  /**
   * The labelled photos (demo_q*_LABEL.png) and the group photo, each fitted to a side and
   * re-encoded at a quality, as one-frame batches, through YuNet at each side surveyed.
   */
  void photos(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      System.out.println("no " + dir + ": photos skipped");
      return;
    }
    List<Path> photos;
    try (Stream<Path> files = Files.list(dir)) {
      photos = files.filter(f -> f.toString().matches(".*\\.(png|jpg)")).sorted().toList();
    }
    System.out.println();
    System.out.println(
        "| photo | side | quality | YuNet side | JPEG KB | faces | top label | TV vs 640/0.9 |"
            + " TV vs the first YuNet side |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (Path photo : photos) {
      BufferedImage image = ImageIO.read(photo.toFile());
      Prediction reference = null;
      for (int side : new int[] {640, 480, 320}) {
        for (float q : new float[] {0.9f, 0.75f, 0.6f}) {
          byte[] jpeg = jpeg(fit(image, side), q);
          BufferedImage decoded = ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
          FrameBatch batch =
              new FrameBatch(
                  "photo",
                  List.of(
                      new Frame(
                          0L, decoded.getWidth(), decoded.getHeight(), ByteBuffer.wrap(jpeg))));
          byte[] value = topics.frames().record("photo", batch).value();
          Prediction first = null;
          for (Map.Entry<Integer, FacePredictor> predictor : predictors.entrySet()) {
            Prediction p = predict(predictor.getValue(), "photo", value);
            if (reference == null) {
              reference = p;
            }
            if (first == null) {
              first = p;
            }
            System.out.printf(
                Locale.ROOT,
                "| %s | %d | %.2f | %d | %.1f | %d | %s | %.3f | %.3f |%n",
                photo.getFileName(),
                side,
                q,
                predictor.getKey(),
                jpeg.length / 1024.0,
                p.faces(),
                p.top(),
                totalVariation(p.p(), reference.p()),
                totalVariation(p.p(), first.p()));
          }
        }
      }
    }
  }

  private static BufferedImage fit(BufferedImage image, int side) {
    double scale = Math.min(1.0, (double) side / Math.max(image.getWidth(), image.getHeight()));
    int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
    int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(image, 0, 0, w, h, null);
    g.dispose();
    return out;
  }

  private static byte[] jpeg(BufferedImage image, float quality) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
      out.flush();
      return bytes.toByteArray();
    } finally {
      writer.dispose();
    }
  }
}
