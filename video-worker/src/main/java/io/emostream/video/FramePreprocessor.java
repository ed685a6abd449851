package io.emostream.video;

import io.emostream.inference.ModelManifest;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Pure frame pre-processing as a manifest describes it, e.g. Hugging Face's VivitImageProcessor:
 * resize the shortest edge to 256, centre-crop 224x224, x * (1/127.5) - 1, then (x - 0.5) / 0.5.
 * Output is one frame as channel-planar floats [C][H][W].
 */
public final class FramePreprocessor {

  private final ModelManifest.Video spec;
  private final int outWidth;
  private final int outHeight;

  public FramePreprocessor(ModelManifest.Video spec) {
    this.spec = spec;
    this.outWidth = spec.cropWidth() != null ? spec.cropWidth() : spec.width();
    this.outHeight = spec.cropHeight() != null ? spec.cropHeight() : spec.height();
  }

  public int channels() {
    return spec.channelOrder() == ModelManifest.ChannelOrder.GRAY ? 1 : 3;
  }

  public int width() {
    return outWidth;
  }

  public int height() {
    return outHeight;
  }

  public float[] toChw(BufferedImage frame) {
    BufferedImage resized = resize(frame);
    int x0 = (resized.getWidth() - outWidth) / 2;
    int y0 = (resized.getHeight() - outHeight) / 2;
    if (x0 < 0 || y0 < 0) {
      throw new IllegalArgumentException(
          "resized frame "
              + resized.getWidth()
              + "x"
              + resized.getHeight()
              + " is smaller than the crop "
              + outWidth
              + "x"
              + outHeight);
    }
    int c = channels();
    float[] out = new float[c * outHeight * outWidth];
    int plane = outHeight * outWidth;
    for (int y = 0; y < outHeight; y++) {
      for (int x = 0; x < outWidth; x++) {
        int rgb = resized.getRGB(x0 + x, y0 + y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        int i = y * outWidth + x;
        switch (spec.channelOrder()) {
          case RGB -> {
            out[i] = normalise(r, 0);
            out[plane + i] = normalise(g, 1);
            out[2 * plane + i] = normalise(b, 2);
          }
          case BGR -> {
            out[i] = normalise(b, 0);
            out[plane + i] = normalise(g, 1);
            out[2 * plane + i] = normalise(r, 2);
          }
          case GRAY -> out[i] = normalise((int) Math.round(0.299 * r + 0.587 * g + 0.114 * b), 0);
        }
      }
    }
    return out;
  }

  /** ((x * rescale + offset) - mean[c]) / std[c]; missing terms are identity. */
  float normalise(int value, int channel) {
    double x =
        value * (spec.rescale() == null ? 1.0 : spec.rescale())
            + (spec.offset() == null ? 0.0 : spec.offset());
    if (spec.mean() != null) {
      x -= spec.mean().get(Math.min(channel, spec.mean().size() - 1));
    }
    if (spec.std() != null) {
      x /= spec.std().get(Math.min(channel, spec.std().size() - 1));
    }
    return (float) x;
  }

  BufferedImage resize(BufferedImage frame) {
    int w;
    int h;
    if (spec.resizeShortestEdge() != null) {
      int edge = spec.resizeShortestEdge();
      double scale = (double) edge / Math.min(frame.getWidth(), frame.getHeight());
      w = frame.getWidth() <= frame.getHeight() ? edge : (int) Math.round(frame.getWidth() * scale);
      h = frame.getHeight() < frame.getWidth() ? edge : (int) Math.round(frame.getHeight() * scale);
    } else {
      w = spec.width();
      h = spec.height();
    }
    if (w == frame.getWidth() && h == frame.getHeight()) {
      return frame;
    }
    // bilinear, as ingest's VideoDemuxer scales a frame; the two modules share no image code
    // (their common libraries are Kafka's), so these few Java2D lines stand in both (alike by
    // design)
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(frame, 0, 0, w, h, null);
    g.dispose();
    return out;
  }

  /**
   * Picks {@code n} of {@code available} frame indices evenly; repeats frames when fewer are
   * available.
   */
  public static int[] sampleIndices(int available, int n) {
    if (available <= 0) {
      throw new IllegalArgumentException("no frames to sample from");
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = (int) Math.min(available - 1, Math.floor((i + 0.5) * available / n));
    }
    return out;
  }
}
