package io.emostream.video;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.inference.Stopwatch;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;

/**
 * FrameBatch → video emotion posterior for frame-input models:
 * <ul>
 *   <li>PER_FRAME: the frames as one batch [N, C, H, W]; frame posteriors averaged (as the second paper's
 *       static models average over frames);</li>
 *   <li>PER_CLIP: {@code frames} frames (evenly re-sampled, repeated if fewer) as one clip tensor
 *       [1, T, C, H, W], e.g. ViViT's pixel_values [1, 32, 3, 224, 224].</li>
 * </ul>
 */
public final class VideoPredictor implements ClipPredictor {

  private final OrtModel model;
  private final ModelManifest.Video spec;
  private final FramePreprocessor preprocessor;
  private final AvroSerde<FrameBatch> serde = new AvroSerde<>(FrameBatch.class);

  public VideoPredictor(OrtModel model) {
    this.model = model;
    this.spec = model.manifest().video();
    if (spec == null || spec.mode() == ModelManifest.VideoMode.FACE_EXPRESSION) {
      throw new IllegalArgumentException("model " + model.manifest().name() + " is not a PER_FRAME or PER_CLIP video model");
    }
    this.preprocessor = new FramePreprocessor(spec);
  }

  @Override
  public Outcome predict(String clipId, byte[] value) throws Exception {
    Stopwatch watch = new Stopwatch();
    List<BufferedImage> frames = decode(serde.decode(value));
    double decodeMs = watch.lapMs();
    if (frames.isEmpty()) {
      return Outcome.without(Status.ERROR, "the clip has no frames", decodeMs, 0, 0);
    }
    boolean perClip = spec.mode() == ModelManifest.VideoMode.PER_CLIP;
    int[] indices = perClip ? FramePreprocessor.sampleIndices(frames.size(), spec.frames())
        : java.util.stream.IntStream.range(0, frames.size()).toArray();
    int frameSize = preprocessor.channels() * preprocessor.height() * preprocessor.width();
    float[] tensor = new float[indices.length * frameSize];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(preprocessor.toChw(frames.get(indices[i])), 0, tensor, i * frameSize, frameSize);
    }
    long[] shape = perClip
        ? new long[] {1, indices.length, preprocessor.channels(), preprocessor.height(), preprocessor.width()}
        : new long[] {indices.length, preprocessor.channels(), preprocessor.height(), preprocessor.width()};
    double preprocessMs = watch.lapMs();
    float[][] rows = model.probabilities(tensor, shape);
    double inferenceMs = watch.lapMs();
    float[] posterior = perClip ? rows[0] : Probabilities.mean(List.of(rows));
    return Outcome.ok(posterior, indices.length, decodeMs, preprocessMs, inferenceMs);
  }

  static List<BufferedImage> decode(FrameBatch batch) throws IOException {
    List<BufferedImage> images = new ArrayList<>(batch.getFrames().size());
    for (Frame frame : batch.getFrames()) {
      byte[] jpeg = new byte[frame.getJpeg().remaining()];
      frame.getJpeg().duplicate().get(jpeg);
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
      if (image == null) {
        throw new IOException("frame at " + frame.getTimestampMs() + " ms of clip " + batch.getClipId() + " is not a JPEG");
      }
      images.add(image);
    }
    return images;
  }
}
