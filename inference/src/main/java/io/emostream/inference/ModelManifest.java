package io.emostream.inference;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.schemas.Modality;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code manifest.json} beside a model's {@code .onnx}: which file, which input and output
 * tensors, what the output means, the label names and how inputs are prepared. One format describes
 * the project's own models and Hugging Face exports alike, for example
 *
 * <pre>
 * wav2vec2 sequence classifier: input input_values [batch, samples] → output logits,
 *   audio {sampleRate 16000, normalize ZERO_MEAN_UNIT_VARIANCE, windowSeconds 8}
 * compact log-mel CNN: input features [batch, 1, 64, frames] → output logits,
 *   audio {sampleRate 16000, normalize NONE, windowSeconds 4,
 *          features {type LOG_MEL, nFft 512, hop 160, nMels 64, log POWER_DB, topDb 80, layout NCFT}}
 * ViViT: input pixel_values [batch, 32, 3, 224, 224] → output logits,
 *   video {mode PER_CLIP, frames 32, resizeShortestEdge 256, cropWidth 224, cropHeight 224,
 *          rescale 0.00784313725, offset -1, mean [0.5,0.5,0.5], std [0.5,0.5,0.5], layout NTCHW}
 * </pre>
 *
 * <p>Over 300 lines: the manifest format, one small nested record per section, read and checked in
 * one place.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ModelManifest(
    String name,
    String version,
    Modality modality,
    String file,
    Tensor input,
    Output output,
    List<String> labels,
    Audio audio,
    Video video,
    List<String> trainingSubjects) {

  /**
   * The speakers the model was trained on, in {@code ./emostream evaluate}'s notation ({@code
   * ravdess-01}, {@code crema-d-1001}); optional. Evaluate warns when it scores the model on any of
   * them (in-sample figures).
   */
  public List<String> trainingSubjects() {
    return trainingSubjects == null ? List.of() : trainingSubjects;
  }

  /** An input tensor by name. */
  public record Tensor(String name) {}

  /**
   * An output tensor and whether it holds logits (softmax applied) or probabilities (used as is).
   */
  public record Output(String name, OutputKind kind) {}

  public enum OutputKind {
    LOGITS,
    PROBABILITIES
  }

  public enum AudioNormalization {
    NONE,
    ZERO_MEAN_UNIT_VARIANCE
  }

  /**
   * Audio input: the segment is resampled to {@code sampleRate} by ingest, cut into windows of
   * {@code windowSeconds} (the last one kept if at least {@code minSeconds}), each normalised as
   * asked and, when {@code features} is given, turned into a log-mel or MFCC tensor; the window
   * posteriors are averaged. Without {@code features} the model takes the raw waveform [batch,
   * samples].
   */
  public record Audio(
      int sampleRate,
      AudioNormalization normalize,
      double windowSeconds,
      double minSeconds,
      Features features) {

    public Audio(
        int sampleRate, AudioNormalization normalize, double windowSeconds, double minSeconds) {
      this(sampleRate, normalize, windowSeconds, minSeconds, null);
    }

    /** WAVEFORM when the manifest names no features. */
    public FeatureType featureType() {
      return features == null ? FeatureType.WAVEFORM : features.type();
    }
  }

  public enum FeatureType {
    WAVEFORM,
    LOG_MEL,
    MFCC
  }

  /**
   * Mel scale of torchaudio's {@code melscale_fbanks} (HTK, torchaudio's default; SLANEY, librosa's
   * default).
   */
  public enum MelScale {
    HTK,
    SLANEY
  }

  /**
   * Filterbank area normalisation: none (torchaudio's default) or Slaney's 2 / (f[m+2] - f[m])
   * (librosa's).
   */
  public enum MelNorm {
    NONE,
    SLANEY
  }

  /** Padding of {@code center}ed frames, as {@code torch.stft}'s {@code pad_mode}. */
  public enum PadMode {
    REFLECT,
    CONSTANT
  }

  /**
   * Compression of the mel spectrogram: torchaudio's {@code AmplitudeToDB("power")} (10 log10,
   * librosa's {@code power_to_db}), {@code AmplitudeToDB("magnitude")} (20 log10), the natural log
   * of {@code x + logOffset}, or none.
   */
  public enum LogKind {
    POWER_DB,
    MAGNITUDE_DB,
    LN,
    NONE
  }

  /**
   * Feature tensor layout: N batch, C a channel axis of 1, F features (mel bands or coefficients),
   * T frames.
   */
  public enum FeatureLayout {
    NFT,
    NTF,
    NCFT,
    NCTF
  }

  /**
   * Log-mel or MFCC features, defined as torchaudio 0.13's {@code MelSpectrogram} (periodic Hann
   * window of {@code winLength} centred in {@code nFft}, {@code torch.stft} framing with {@code
   * center} and {@code padMode}, |X|^power, {@code melscale_fbanks}) followed by {@code log}; MFCC
   * then applies the orthonormal DCT-II of torchaudio's {@code MFCC} and keeps {@code nMfcc}
   * coefficients. Defaults follow torchaudio: winLength = nFft, hop = winLength / 2, fMin 0, fMax
   * sampleRate / 2, power 2, HTK, no norm, center true, REFLECT, layout NFT; log POWER_DB with
   * topDb 80 for MFCC (as torchaudio's MFCC), LN with logOffset 1e-6 for LOG_MEL.
   */
  public record Features(
      FeatureType type,
      Integer nFft,
      Integer winLength,
      Integer hop,
      Integer nMels,
      Integer nMfcc,
      Double fMin,
      Double fMax,
      Double power,
      MelScale melScale,
      MelNorm melNorm,
      Boolean center,
      PadMode padMode,
      LogKind log,
      Double topDb,
      Double logOffset,
      FeatureLayout layout) {}

  public enum VideoMode {
    /**
     * Every frame through the model as one batch item [C, H, W]; a clip's frame posteriors
     * averaged.
     */
    PER_FRAME,
    /**
     * {@code frames} frames as one batch item [frames, C, H, W], e.g. ViViT [batch, 32, 3, 224,
     * 224].
     */
    PER_CLIP,
    /**
     * Face detection, selection and alignment per frame, then the expression model; see {@link
     * Face}.
     */
    FACE_EXPRESSION
  }

  public enum Layout {
    NCHW,
    NTCHW
  }

  public enum ChannelOrder {
    RGB,
    BGR,
    GRAY
  }

  /**
   * Frame input. Pixels go through: resize (shortest edge to {@code resizeShortestEdge}, or
   * straight to {@code width x height} when no shortest edge is given), centre crop to {@code
   * cropWidth x cropHeight}, then per channel {@code ((x * rescale + offset) - mean[c]) / std[c]}.
   */
  public record Video(
      VideoMode mode,
      int frames,
      Integer resizeShortestEdge,
      Integer width,
      Integer height,
      Integer cropWidth,
      Integer cropHeight,
      ChannelOrder channelOrder,
      Double rescale,
      Double offset,
      List<Double> mean,
      List<Double> std,
      Layout layout,
      Face face) {}

  /**
   * Face detector (path relative to the manifest), the policy choosing the face to analyse, what
   * the expression model takes as its face ({@code input}; absent: {@link FaceInput#ALIGNED_112})
   * and how frame posteriors become the clip posterior ({@code aggregation}; absent: {@link
   * Aggregation#MEAN}).
   */
  public record Face(
      String detector,
      double scoreThreshold,
      double nmsThreshold,
      int topK,
      String selection,
      FaceInput input,
      Aggregation aggregation) {

    public FaceInput input() {
      return input == null ? FaceInput.ALIGNED_112 : input;
    }

    public Aggregation aggregation() {
      return aggregation == null ? Aggregation.MEAN : aggregation;
    }
  }

  /** How the face handed to the expression model is cut from the frame. */
  public enum FaceCrop {
    /**
     * Similarity transform of the five landmarks onto the 112x112 reference points (scaled to the
     * size).
     */
    ALIGNED,
    /** The detector's box as it is, resized to size x size (no rotation). */
    BOX
  }

  /**
   * The expression model's face input: crop kind, square side, channels and the pixel chain {@code
   * ((x * rescale + offset) - mean[c]) / std[c]} (GRAY: {@code 0.299 R + 0.587 G + 0.114 B}, one
   * channel), laid out NCHW. Examples: MobileFaceNet {@code ALIGNED 112 RGB, rescale 1/255, mean
   * 0.5, std 0.5}; mini-XCEPTION {@code BOX 64 GRAY, rescale 2/255, offset -1} (that is x/255*2-1).
   */
  public record FaceInput(
      FaceCrop crop,
      int size,
      ChannelOrder channelOrder,
      double rescale,
      double offset,
      List<Double> mean,
      List<Double> std) {

    /** The OpenCV Zoo MobileFaceNet input, assumed when a manifest names none. */
    public static final FaceInput ALIGNED_112 =
        new FaceInput(
            FaceCrop.ALIGNED,
            112,
            ChannelOrder.RGB,
            1 / 255.0,
            0,
            List.of(0.5, 0.5, 0.5),
            List.of(0.5, 0.5, 0.5));

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
    /**
     * Mean of the frame probabilities (the default; the second paper's static models average over
     * frames).
     */
    MEAN,
    /**
     * Weighted mean, each frame weighted by its own top probability: frames the model is sure about
     * count more than ambiguous ones (blur, a turned head, a closed mouth mid-word).
     */
    CONFIDENCE_WEIGHTED
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  /** Reads and validates a manifest; the model file is resolved against the manifest's folder. */
  public static ModelManifest load(Path manifestFile) {
    ModelManifest manifest;
    try {
      manifest = JSON.readValue(Files.readAllBytes(manifestFile), ModelManifest.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read model manifest " + manifestFile + ": " + e.getMessage(), e);
    }
    manifest.validate(manifestFile);
    return manifest;
  }

  private void validate(Path manifestFile) {
    require(name != null && !name.isBlank(), manifestFile, "name is required");
    require(file != null, manifestFile, "file is required");
    require(input != null && input.name() != null, manifestFile, "input.name is required");
    require(
        output != null && output.name() != null && output.kind() != null,
        manifestFile,
        "output.name and output.kind (LOGITS or PROBABILITIES) are required");
    require(
        labels != null && !labels.isEmpty(),
        manifestFile,
        "labels must list the model's classes in output order");
    require(modality != null, manifestFile, "modality must be AUDIO or VIDEO");
    if (modality == Modality.AUDIO) {
      require(
          audio != null
              && audio.sampleRate() > 0
              && audio.windowSeconds() > 0
              && audio.normalize() != null,
          manifestFile,
          "audio.sampleRate, audio.windowSeconds and audio.normalize are required for an AUDIO model");
      if (audio.features() != null) {
        validateFeatures(audio, manifestFile);
      }
    } else {
      require(
          video != null && video.mode() != null && video.frames() > 0,
          manifestFile,
          "video.mode and video.frames are required for a VIDEO model");
      if (video.mode() == VideoMode.FACE_EXPRESSION) {
        require(
            video.face() != null && video.face().detector() != null,
            manifestFile,
            "video.face.detector is required for FACE_EXPRESSION");
        FaceInput in = video.face().input();
        require(
            in.crop() != null && in.size() > 0 && in.channelOrder() != null && in.rescale() > 0,
            manifestFile,
            "video.face.input needs crop (ALIGNED or BOX), size > 0, channelOrder (RGB, BGR or GRAY) and rescale > 0");
        require(
            in.std() == null || in.std().stream().allMatch(v -> v != null && v > 0),
            manifestFile,
            "video.face.input.std values must be > 0");
      } else {
        require(
            video.layout() != null
                && video.channelOrder() != null
                && (video.resizeShortestEdge() != null
                    || (video.width() != null && video.height() != null)),
            manifestFile,
            "video.layout, video.channelOrder and a size (resizeShortestEdge, or width and height) are required");
      }
    }
  }

  private static void validateFeatures(Audio audio, Path manifestFile) {
    Features f = audio.features();
    require(
        f.type() != null,
        manifestFile,
        "audio.features.type is required: WAVEFORM, LOG_MEL or MFCC");
    if (f.type() == FeatureType.WAVEFORM) {
      return;
    }
    require(
        f.nFft() != null && f.nFft() >= 2 && f.nMels() != null && f.nMels() > 0,
        manifestFile,
        "audio.features.nFft (>= 2) and audio.features.nMels are required for " + f.type());
    require(
        f.type() != FeatureType.MFCC
            || f.nMfcc() != null && f.nMfcc() > 0 && f.nMfcc() <= f.nMels(),
        manifestFile,
        "audio.features.nMfcc (1..nMels) is required for MFCC");
    require(
        f.winLength() == null || f.winLength() > 0 && f.winLength() <= f.nFft(),
        manifestFile,
        "audio.features.winLength must be in 1..nFft");
    require(f.hop() == null || f.hop() > 0, manifestFile, "audio.features.hop must be > 0");
    double fMax = f.fMax() == null ? audio.sampleRate() / 2.0 : f.fMax();
    double fMin = f.fMin() == null ? 0 : f.fMin();
    require(
        fMin >= 0 && fMin < fMax && fMax <= audio.sampleRate() / 2.0,
        manifestFile,
        "audio.features needs 0 <= fMin < fMax <= sampleRate / 2");
    require(
        f.power() == null || f.power() > 0,
        manifestFile,
        "audio.features.power must be > 0 (1 magnitude, 2 power)");
    require(
        audio.minSeconds() * audio.sampleRate() >= f.nFft(),
        manifestFile,
        "audio.minSeconds must give at least nFft samples, so that every window has a frame");
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
