package io.emostream.inference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The {@code manifest.json} beside a model's {@code .onnx}: which file, which input and output
 * tensors, what the output means, the label names and how inputs are prepared. One format
 * describes the project's own models and Hugging Face exports alike, for example
 *
 * <pre>
 * wav2vec2 sequence classifier: input input_values [batch, samples] → output logits,
 *   audio {sampleRate 16000, normalize ZERO_MEAN_UNIT_VARIANCE, windowSeconds 8}
 * ViViT: input pixel_values [batch, 32, 3, 224, 224] → output logits,
 *   video {mode PER_CLIP, frames 32, resizeShortestEdge 256, cropWidth 224, cropHeight 224,
 *          rescale 0.00784313725, offset -1, mean [0.5,0.5,0.5], std [0.5,0.5,0.5], layout NTCHW}
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ModelManifest(
    String name,
    String version,
    String modality,
    String file,
    Tensor input,
    Output output,
    List<String> labels,
    Audio audio,
    Video video) {

  /** An input tensor by name. */
  public record Tensor(String name) {
  }

  /** An output tensor and whether it holds logits (softmax applied) or probabilities (used as is). */
  public record Output(String name, OutputKind kind) {
  }

  public enum OutputKind { LOGITS, PROBABILITIES }

  public enum AudioNormalization { NONE, ZERO_MEAN_UNIT_VARIANCE }

  /**
   * Raw-waveform audio input: the segment is resampled to {@code sampleRate} by ingest, cut into
   * windows of {@code windowSeconds} (the last one kept if at least {@code minSeconds}), each
   * normalised as asked; the window posteriors are averaged.
   */
  public record Audio(int sampleRate, AudioNormalization normalize, double windowSeconds, double minSeconds) {
  }

  public enum VideoMode {
    /** Every frame through the model as one batch item; frame posteriors averaged. */
    PER_FRAME,
    /** All frames as one clip tensor, e.g. ViViT [1, frames, 3, H, W]. */
    PER_CLIP,
    /** Face detection, selection and alignment per frame, then the expression model; see {@link Face}. */
    FACE_EXPRESSION
  }

  public enum Layout { NCHW, NTCHW }

  public enum ChannelOrder { RGB, BGR, GRAY }

  /**
   * Frame input. Pixels go through: resize (shortest edge to {@code resizeShortestEdge}, or straight to
   * {@code width x height} when no shortest edge is given), centre crop to {@code cropWidth x cropHeight},
   * then per channel {@code ((x * rescale + offset) - mean[c]) / std[c]}.
   */
  public record Video(VideoMode mode, int frames, Integer resizeShortestEdge, Integer width, Integer height,
      Integer cropWidth, Integer cropHeight, ChannelOrder channelOrder, Double rescale, Double offset,
      List<Double> mean, List<Double> std, Layout layout, Face face) {
  }

  /**
   * Face detector (path relative to the manifest), the policy choosing the face to analyse, what the
   * expression model takes as its face ({@code input}; absent: {@link FaceInput#ALIGNED_112}) and how
   * frame posteriors become the clip posterior ({@code aggregation}; absent: {@link Aggregation#MEAN}).
   */
  public record Face(String detector, double scoreThreshold, double nmsThreshold, int topK, String selection,
      FaceInput input, Aggregation aggregation) {

    public FaceInput input() {
      return input == null ? FaceInput.ALIGNED_112 : input;
    }

    public Aggregation aggregation() {
      return aggregation == null ? Aggregation.MEAN : aggregation;
    }
  }

  /** How the face handed to the expression model is cut from the frame. */
  public enum FaceCrop {
    /** Similarity transform of the five landmarks onto the 112x112 reference points (scaled to the size). */
    ALIGNED,
    /** The detector's box as it is, resized to size x size (no rotation). */
    BOX
  }

  /**
   * The expression model's face input: crop kind, square side, channels and the pixel chain
   * {@code ((x * rescale + offset) - mean[c]) / std[c]} (GRAY: {@code 0.299 R + 0.587 G + 0.114 B}, one channel),
   * laid out NCHW. Examples: MobileFaceNet {@code ALIGNED 112 RGB, rescale 1/255, mean 0.5, std 0.5};
   * mini-XCEPTION {@code BOX 64 GRAY, rescale 2/255, offset -1} (that is x/255*2-1).
   */
  public record FaceInput(FaceCrop crop, int size, ChannelOrder channelOrder, double rescale, double offset,
      List<Double> mean, List<Double> std) {

    /** The OpenCV Zoo MobileFaceNet input, assumed when a manifest names none. */
    public static final FaceInput ALIGNED_112 = new FaceInput(FaceCrop.ALIGNED, 112, ChannelOrder.RGB, 1 / 255.0, 0,
        List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5));

    public int channels() {
      return channelOrder == ChannelOrder.GRAY ? 1 : 3;
    }

    /** Mean of channel {@code c}; 0 when none is given. */
    public double mean(int c) {
      return mean == null || mean.isEmpty() ? 0 : mean.get(Math.min(c, mean.size() - 1));
    }

    /** Standard deviation of channel {@code c}; 1 when none is given. */
    public double std(int c) {
      return std == null || std.isEmpty() ? 1 : std.get(Math.min(c, std.size() - 1));
    }
  }

  /** How the posteriors of a clip's frames become the clip posterior. */
  public enum Aggregation {
    /** Mean of the frame probabilities (the default; the second paper's static models average over frames). */
    MEAN,
    /**
     * Weighted mean, each frame weighted by its own top probability: frames the model is sure about count
     * more than ambiguous ones (blur, a turned head, a closed mouth mid-word).
     */
    CONFIDENCE_WEIGHTED
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  /** Reads and validates a manifest; the model file is resolved against the manifest's folder. */
  public static ModelManifest load(Path manifestFile) {
    ModelManifest manifest;
    try {
      manifest = JSON.readValue(Files.readAllBytes(manifestFile), ModelManifest.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model manifest " + manifestFile + ": " + e.getMessage(), e);
    }
    manifest.validate(manifestFile);
    return manifest;
  }

  private void validate(Path manifestFile) {
    require(name != null && !name.isBlank(), manifestFile, "name is required");
    require(file != null, manifestFile, "file is required");
    require(input != null && input.name() != null, manifestFile, "input.name is required");
    require(output != null && output.name() != null && output.kind() != null, manifestFile,
        "output.name and output.kind (LOGITS or PROBABILITIES) are required");
    require(labels != null && !labels.isEmpty(), manifestFile, "labels must list the model's classes in output order");
    require("AUDIO".equals(modality) || "VIDEO".equals(modality), manifestFile, "modality must be AUDIO or VIDEO");
    if ("AUDIO".equals(modality)) {
      require(audio != null && audio.sampleRate() > 0 && audio.windowSeconds() > 0 && audio.normalize() != null,
          manifestFile, "audio.sampleRate, audio.windowSeconds and audio.normalize are required for an AUDIO model");
    } else {
      require(video != null && video.mode() != null && video.frames() > 0, manifestFile,
          "video.mode and video.frames are required for a VIDEO model");
      if (video.mode() == VideoMode.FACE_EXPRESSION) {
        require(video.face() != null && video.face().detector() != null, manifestFile,
            "video.face.detector is required for FACE_EXPRESSION");
        FaceInput in = video.face().input();
        require(in.crop() != null && in.size() > 0 && in.channelOrder() != null && in.rescale() > 0, manifestFile,
            "video.face.input needs crop (ALIGNED or BOX), size > 0, channelOrder (RGB, BGR or GRAY) and rescale > 0");
        require(in.std() == null || in.std().stream().allMatch(v -> v != null && v > 0), manifestFile,
            "video.face.input.std values must be > 0");
      } else {
        require(video.layout() != null && video.channelOrder() != null
            && (video.resizeShortestEdge() != null || (video.width() != null && video.height() != null)), manifestFile,
            "video.layout, video.channelOrder and a size (resizeShortestEdge, or width and height) are required");
      }
    }
  }

  private static void require(boolean ok, Path file, String message) {
    if (!ok) {
      throw new IllegalArgumentException("model manifest " + file + ": " + message);
    }
  }

  public String version() {
    return version == null ? "unversioned" : version;
  }
}
