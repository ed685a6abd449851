package io.emostream.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A real live media server for tests: the system's {@code ffmpeg} serving a file in real time
 * ({@code -re}) as an RTMP or SRT listener, or GStreamer's RTSP server (a small Python script), on
 * a free port of 127.0.0.1. Each serves one client, from the start of the file; closing it kills
 * the process.
 */
public final class LiveMediaServer implements AutoCloseable {

  private final Process process;
  private final String url;
  private final Path log;

  private LiveMediaServer(List<String> command, String url) throws IOException {
    this.url = url;
    this.log = Files.createTempFile("live-media-server-", ".log");
    this.process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Whether {@code ffmpeg} is on the PATH (tests skip without it). */
  public static boolean ffmpegAvailable() {
    return onPath("ffmpeg");
  }

  /** Whether GStreamer's RTSP server and its Python bindings are installed. */
  public static boolean gstRtspAvailable() {
    try {
      Process p =
          new ProcessBuilder(
                  python(),
                  "-c",
                  "import gi; gi.require_version('GstRtspServer', '1.0');"
                      + " from gi.repository import GstRtspServer")
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The system's Python, where Debian's python3-gi lives (a pyenv one on the PATH lacks it). */
  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** {@code media} played {@code loops} times in a row, in real time. */
  private static List<String> ffmpeg(Path media, int loops) {
    List<String> command = new ArrayList<>();
    command.addAll(List.of("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning"));
    command.addAll(List.of("-re", "-stream_loop", Integer.toString(loops - 1)));
    command.addAll(List.of("-i", media.toString(), "-c", "copy"));
    return command;
  }

  /** RTMP: {@code rtmp://127.0.0.1:PORT/live/s}, FFmpeg listening for one player. */
  public static LiveMediaServer rtmp(Path media, int loops) throws IOException {
    return rtmp(media, loops, List.of());
  }

  /**
   * {@link #rtmp(Path, int)} with FFmpeg output options, such as {@code -max_interleave_delta
   * 500000}: FFmpeg's muxer holds one stream's packets up to 10 s while it waits for the other's,
   * which a relay that passes packets on as they come does not.
   */
  public static LiveMediaServer rtmp(Path media, int loops, List<String> outputOptions)
      throws IOException {
    int port = freePort();
    String url = "rtmp://127.0.0.1:" + port + "/live/s";
    List<String> command = ffmpeg(media, loops);
    command.addAll(outputOptions);
    command.addAll(List.of("-f", "flv", "-listen", "1", url));
    LiveMediaServer server = new LiveMediaServer(command, url);
    try {
      server.awaitListening(port, Duration.ofSeconds(60));
      return server;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /**
   * Waits until the server listens on its TCP port, read from Linux's {@code /proc/net/tcp} without
   * connecting (FFmpeg's RTMP listener serves the first connection only): FFmpeg listens only once
   * it has probed its input, which on a loaded machine can take longer than a client's reconnect
   * window. Returns at once where {@code /proc/net/tcp} does not exist.
   *
   * @throws IOException if the server exits or does not listen within {@code limit}
   */
  private void awaitListening(int port, Duration limit) throws IOException {
    Path table = Path.of("/proc/net/tcp");
    if (!Files.isReadable(table)) {
      return;
    }
    String local = String.format(Locale.ROOT, ":%04X", port);
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      for (String line : Files.readAllLines(table)) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 3 && fields[1].endsWith(local) && fields[3].equals("0A")) {
          return; // 0A: LISTEN
        }
      }
      if (!process.isAlive()) {
        throw new IOException("the media server exited before listening on " + port + ": " + log());
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the media server did not listen on " + port + " within " + limit);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the media server", e);
      }
    }
  }

  /** SRT: {@code srt://127.0.0.1:PORT}, FFmpeg listening (MPEG-TS inside). */
  public static LiveMediaServer srt(Path media, int loops) throws IOException {
    int port = freePort();
    List<String> command = ffmpeg(media, loops);
    command.addAll(List.of("-f", "mpegts", "srt://127.0.0.1:" + port + "?mode=listener"));
    return new LiveMediaServer(command, "srt://127.0.0.1:" + port);
  }

  /**
   * RTSP: GStreamer's RTSP server ({@code gst-rtsp-server}) playing {@code media} at {@code
   * rtsp://127.0.0.1:PORT/s}, re-encoded to H.264 and AAC as a camera would send them.
   */
  public static LiveMediaServer rtsp(Path media) throws IOException {
    int port = freePort();
    String script =
        String.join(
            "\n",
            "import sys, gi",
            "gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')",
            "from gi.repository import Gst, GstRtspServer, GLib",
            "Gst.init(None)",
            "server = GstRtspServer.RTSPServer(); server.set_address('127.0.0.1');"
                + " server.set_service(sys.argv[1])",
            "factory = GstRtspServer.RTSPMediaFactory()",
            "factory.set_launch('( filesrc location=\"' + sys.argv[2] + '\" ! qtdemux name=d"
                + " d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96"
                + " d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )')",
            "server.get_mount_points().add_factory('/s', factory)",
            "server.attach(None)",
            "print('ready', flush=True)",
            "GLib.MainLoop().run()");
    return new LiveMediaServer(
        List.of(python(), "-c", script, Integer.toString(port), media.toAbsolutePath().toString()),
        "rtsp://127.0.0.1:" + port + "/s");
  }

  public String url() {
    return url;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What the server wrote, for a failing test's message. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** A port free now on 127.0.0.1. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temporary log left behind
    }
  }
}
