package io.emostream.video;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.WritableRaster;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JPEG frames decoded by libjpeg-turbo's TurboJPEG, when this machine has its Java binding: the
 * same pictures as ImageIO's JPEG reader (libjpeg's accurate DCT and "fancy" chroma upsampling; bit
 * for bit on ingest's frames, {@code TurboJpegTest}) at about a third of its time (0.38 against
 * 1.0-3.9 ms per 640x360 frame on this machine, docs/performance.md).
 *
 * <p>The binding is not on Maven Central; Debian and Ubuntu ship it as {@code libturbojpeg-java}
 * ({@code /usr/share/java/turbojpeg.jar}, with {@code libturbojpeg0}; its loader wants the
 * unversioned {@code libturbojpeg.so}, which {@code libturbojpeg0-dev} links). It is loaded from
 * {@value #JAR_ENV} (default {@value #DEFAULT_JAR}) through a class loader of its own and called
 * through method handles. Without it, or when its native library does not load, {@link #decode}
 * gives null and every frame goes to ImageIO as before (logged once).
 *
 * <p>It takes only colour (YCbCr) JPEGs of at most {@link #MAX_PIXELS} that decode without a
 * warning; grey, CMYK, PNG, larger, truncated or damaged data give null and go to ImageIO, so the
 * pictures that path makes, and its errors, stay as they were.
 */
final class TurboJpeg {

  static final String JAR_ENV = "EMOSTREAM_TURBOJPEG_JAR";
  static final String DEFAULT_JAR = "/usr/share/java/turbojpeg.jar";

  /** Larger pictures (ingest's are at most 640 on a side) are left to ImageIO, as before. */
  static final long MAX_PIXELS = 8192L * 8192L;

  /** TurboJPEG's TJ.CS_YCbCr: the colour space of a colour JPEG. */
  private static final int CS_YCBCR = 1;

  private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);

  /** The binding's entry points; null when it is not here. */
  private static final Binding BINDING = Binding.load(jarPath());

  /** This thread's decompressor (TurboJPEG's are not thread-safe). */
  private static final ThreadLocal<Object> DECOMPRESSOR =
      ThreadLocal.withInitial(
          () -> {
            try {
              return BINDING.create.invoke();
            } catch (Throwable e) {
              return null;
            }
          });

  private TurboJpeg() {}

  /** Whether the binding is here and its native library loaded. */
  static boolean available() {
    return BINDING != null && DECOMPRESSOR.get() != null;
  }

  /**
   * The picture in {@code jpeg} as a {@code TYPE_3BYTE_BGR} image, written into {@code into} when
   * that is a plain BGR image of the picture's size, else into a new one; null when TurboJPEG is
   * not here or does not take these bytes cleanly (see the class comment).
   */
  static BufferedImage decode(byte[] jpeg, BufferedImage into) {
    if (BINDING == null || jpeg.length == 0) {
      return null;
    }
    Object decompressor = DECOMPRESSOR.get();
    if (decompressor == null) {
      return null;
    }
    try {
      BINDING.setSource.invoke(decompressor, jpeg, jpeg.length);
      if ((int) BINDING.colorspace.invoke(decompressor) != CS_YCBCR) {
        return null;
      }
      int width = (int) BINDING.width.invoke(decompressor);
      int height = (int) BINDING.height.invoke(decompressor);
      if ((long) width * height > MAX_PIXELS) {
        return null; // a header's size is not allocated here before the data is seen
      }
      BufferedImage image =
          plainBgr(into, width, height)
              ? into
              : new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
      // flags 0: accurate DCT, fancy upsampling, as libjpeg's defaults (ImageIO's reader)
      BINDING.decompress.invoke(decompressor, image, 0);
      return image;
    } catch (Throwable e) {
      // TJException: not a JPEG it takes, or a warning (e.g. truncated data): ImageIO reads it
      return null;
    }
  }

  /**
   * Whether {@code image} is a {@code TYPE_3BYTE_BGR} picture of this size whose bytes are exactly
   * its rows, B, G, R per pixel, from offset 0 (as {@code new BufferedImage} and ImageIO make it).
   */
  static boolean plainBgr(BufferedImage image, int width, int height) {
    if (image == null
        || image.getType() != BufferedImage.TYPE_3BYTE_BGR
        || image.getWidth() != width
        || image.getHeight() != height) {
      return false;
    }
    WritableRaster raster = image.getRaster();
    return raster.getParent() == null
        && raster.getSampleModelTranslateX() == 0
        && raster.getSampleModelTranslateY() == 0
        && raster.getDataBuffer() instanceof DataBufferByte buffer
        && buffer.getNumBanks() == 1
        && buffer.getOffset() == 0
        && raster.getSampleModel() instanceof PixelInterleavedSampleModel model
        && model.getPixelStride() == 3
        && model.getScanlineStride() == width * 3;
  }

  private static Path jarPath() {
    String configured = System.getenv(JAR_ENV);
    return Path.of(configured == null || configured.isBlank() ? DEFAULT_JAR : configured);
  }

  /** The method handles of {@code org.libjpegturbo.turbojpeg.TJDecompressor} this class calls. */
  private record Binding(
      MethodHandle create,
      MethodHandle setSource,
      MethodHandle colorspace,
      MethodHandle width,
      MethodHandle height,
      MethodHandle decompress,
      MethodHandle close) {

    static Binding load(Path jar) {
      if (!Files.isRegularFile(jar)) {
        LOG.info(
            "frames are decoded by ImageIO: no TurboJPEG binding at {} ({}; on Debian or Ubuntu"
                + " 'apt-get install libturbojpeg-java libturbojpeg0-dev' decodes them about 3x"
                + " faster, the same pictures)",
            jar,
            JAR_ENV);
        return null;
      }
      try {
        URLClassLoader loader =
            new URLClassLoader(
                new java.net.URL[] {jar.toUri().toURL()}, TurboJpeg.class.getClassLoader());
        Class<?> type = Class.forName("org.libjpegturbo.turbojpeg.TJDecompressor", true, loader);
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Binding binding =
            new Binding(
                lookup.findConstructor(type, MethodType.methodType(void.class)),
                lookup.findVirtual(
                    type,
                    "setSourceImage",
                    MethodType.methodType(void.class, byte[].class, int.class)),
                lookup.findVirtual(type, "getColorspace", MethodType.methodType(int.class)),
                lookup.findVirtual(type, "getWidth", MethodType.methodType(int.class)),
                lookup.findVirtual(type, "getHeight", MethodType.methodType(int.class)),
                lookup.findVirtual(
                    type,
                    "decompress",
                    MethodType.methodType(void.class, BufferedImage.class, int.class)),
                lookup.findVirtual(type, "close", MethodType.methodType(void.class)));
        // loads the native library now, so that a missing one is seen here
        binding.close.invoke(binding.create.invoke());
        LOG.info("frames are decoded by TurboJPEG ({})", jar);
        return binding;
      } catch (Throwable e) {
        LOG.warn(
            "frames are decoded by ImageIO: the TurboJPEG binding at {} does not load ({})",
            jar,
            e.toString());
        return null;
      }
    }
  }
}
