package io.emostream.video;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.NativeStack;
import io.emostream.inference.OrderlyStop;
import io.emostream.inference.OrtModel;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;

/**
 * Child JVM of {@link StopDuringInferenceTest}: the video worker's model path (the shipped
 * mini-XCEPTION manifest, YuNet then the expression model through {@link FacePredictor#predictAll},
 * on a large-stack thread as {@link io.emostream.inference.WorkerService} runs it) in a loop, until
 * a signal stops it. Prints {@value #INFERRING} once the first model run starts; a clip that fails
 * prints {@value #FAILED}.
 *
 * <p>Arguments: {@code orderly} (the production stop: {@link OrderlyStop}'s signal handlers, the
 * loop registered as a worker) or {@code hook} (the stop as the mains wired it before issue #12: a
 * JVM shutdown hook that waits for the loop, unordered with ONNX Runtime's own hook); then the
 * expression model's manifest.
 */
public final class InferenceUntilSignalMain {

  static final String INFERRING = "inferring";
  static final String FAILED = "clip failed: ";

  private InferenceUntilSignalMain() {}

  public static void main(String[] args) throws Exception {
    boolean orderly =
        switch (args[0]) {
          case "orderly" -> true;
          case "hook" -> false;
          default ->
              throw new IllegalArgumentException("mode must be orderly or hook, got " + args[0]);
        };
    if (orderly) {
      OrderlyStop.installSignalHandlers();
    }
    Path manifest = Path.of(args[1]);
    OrtModel model = OrtModel.load(manifest, Device.CPU, 1);
    FacePredictor faces =
        new FacePredictor(model, manifest.toAbsolutePath().getParent(), Device.CPU, 1, null, 32);
    List<ClipPredictor.Input> clips =
        List.of(new ClipPredictor.Input("a", clip()), new ClipPredictor.Input("b", clip()));
    Loop loop = new Loop(faces, clips, List.of(faces, model));
    if (orderly) {
      OrderlyStop.register(loop);
    } else {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> loop.close(Duration.ofSeconds(30)), "loop-shutdown"));
    }
    loop.thread.start();
    loop.thread.join();
  }

  /**
   * The stand-in for a worker loop: predicts the same clips until asked to stop, then closes the
   * models.
   */
  private static final class Loop implements OrderlyStop.Stoppable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<AutoCloseable> resources;
    private final Thread thread;

    Loop(FacePredictor faces, List<ClipPredictor.Input> clips, List<AutoCloseable> resources) {
      this.resources = resources;
      this.thread =
          NativeStack.thread(
              () -> {
                System.out.println(INFERRING);
                System.out.flush();
                while (running.get()) {
                  for (ClipPredictor.Result result : faces.predictAll(clips)) {
                    if (result.failure() != null) {
                      System.out.println(FAILED + result.failure());
                      System.out.flush();
                      running.set(false);
                    }
                  }
                }
              },
              "inference-loop");
    }

    @Override
    public void shutdown() {
      running.set(false);
    }

    @Override
    public boolean close(Duration timeout) {
      shutdown();
      try {
        thread.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        return false;
      }
      if (closed.compareAndSet(false, true)) {
        for (AutoCloseable resource : resources) {
          try {
            resource.close();
          } catch (Exception e) {
            System.out.println("closing " + resource + " failed: " + e);
          }
        }
      }
      return true;
    }
  }

  /** Eight frames: the four labelled photos, twice, as JPEG like ingest sends them. */
  private static byte[] clip() throws IOException {
    List<Frame> frames = new ArrayList<>();
    String[] photos = {
      "demo_q1_surprise.png", "demo_q2_happy.png", "demo_q3_sad.png", "demo_q4_angry.png"
    };
    for (int i = 0; i < 8; i++) {
      BufferedImage image;
      try (InputStream in =
          InferenceUntilSignalMain.class.getResourceAsStream(
              "/faces/" + photos[i % photos.length])) {
        image = ImageIO.read(in);
      }
      BufferedImage rgb =
          new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
      Graphics2D g = rgb.createGraphics();
      g.drawImage(image, 0, 0, null);
      g.dispose();
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(rgb, "jpg", jpeg);
      frames.add(
          new Frame(
              (long) i * 125,
              rgb.getWidth(),
              rgb.getHeight(),
              ByteBuffer.wrap(jpeg.toByteArray())));
    }
    return new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("c", frames));
  }
}
