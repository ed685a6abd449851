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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 *     [models/fer-mini-xception/manifest.json]
 * </pre>
 */
final class FrameSurvey {

  /** One way of publishing frames. */
  record Setting(int frames, int side, float quality, boolean skipNonRef) {
    /** Every frame decoded, as ingest did before EMOSTREAM_DECODE_SKIP_NONREF. */
    Setting(int frames, int side, float quality) {
      this(frames, side, quality, false);
    }

    String name() {
      return String.format(Locale.ROOT, "%d fr, %d px, q %.2f", frames, side, quality)
          + (skipNonRef ? ", non-reference frames not decoded" : "");
    }
  }

  /** One clip's prediction at a setting. */
  record Prediction(String top, float[] p, int faces, int frames, int bytes) {}

  static final Setting DEFAULT = new Setting(32, 640, 0.9f);

  private final FacePredictor predictor;
  private final List<String> labels;
  private final Topics topics = Topics.defaults();

  FrameSurvey(FacePredictor predictor, List<String> labels) {
    this.predictor = predictor;
    this.labels = labels;
  }

  public static void main(String[] args) throws Exception {
    Path manifest = Path.of(args.length > 0 ? args[0] : "models/fer-mini-xception/manifest.json");
    List<Path> videos = videos();
    List<Setting> settings = new ArrayList<>();
    settings.add(DEFAULT);
    if (args.length > 1) {
      // FRAMES/SIDE/QUALITY[/noref] each, e.g. 8/640/0.75: only those against the default
      for (String arg : List.of(args).subList(1, args.length)) {
        String[] parts = arg.split("/");
        settings.add(
            new Setting(
                Integer.parseInt(parts[0]),
                Integer.parseInt(parts[1]),
                Float.parseFloat(parts[2]),
                parts.length > 3 && parts[3].equals("noref")));
      }
    } else {
      settings.addAll(grid());
    }
    try (OrtModel model = OrtModel.load(manifest, Device.CPU, 1);
        FacePredictor predictor =
            new FacePredictor(model, manifest.toAbsolutePath().getParent(), Device.CPU, 1)) {
      FrameSurvey survey = new FrameSurvey(predictor, model.manifest().labels());
      System.out.println("model " + manifest + "; videos: " + videos);
      survey.videos(videos, settings);
      survey.photos(Path.of("../shared/data/face-images"));
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

  void videos(List<Path> videos, List<Setting> settings) throws Exception {
    Map<Setting, Map<String, Prediction>> all = new LinkedHashMap<>();
    Map<String, String> truths = new LinkedHashMap<>();
    for (Setting setting : settings) {
      Map<String, Prediction> byClip = new LinkedHashMap<>();
      for (Path video : videos) {
        for (Map.Entry<String, byte[]> clip : frameRecords(video, setting).entrySet()) {
          byClip.put(clip.getKey(), predict(clip.getKey(), clip.getValue()));
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

  Prediction predict(String clipId, byte[] value) throws Exception {
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
   * re-encoded at a quality, as one-frame batches.
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
    System.out.println("| photo | side | quality | JPEG KB | faces | top label | TV vs 640/0.9 |");
    System.out.println("|---|---|---|---|---|---|---|");
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
          Prediction p = predict("photo", topics.frames().record("photo", batch).value());
          if (reference == null) {
            reference = p;
          }
          System.out.printf(
              Locale.ROOT,
              "| %s | %d | %.2f | %.1f | %d | %s | %.3f |%n",
              photo.getFileName(),
              side,
              q,
              jpeg.length / 1024.0,
              p.faces(),
              p.top(),
              totalVariation(p.p(), reference.p()));
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
