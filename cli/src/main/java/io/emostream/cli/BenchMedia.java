package io.emostream.cli;

import io.emostream.ingest.ClipPublisher;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.topics.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The bench's inputs: media files demuxed by ingest exactly as in production, and the records
 * ingest would publish for them (the same bytes the workers read), by topic.
 */
final class BenchMedia {

  private BenchMedia() {}

  /** Every clip's records of {@code files}, by topic name, in order. */
  static Map<String, List<byte[]>> records(IngestConfig config, Topics topics, List<Path> files) {
    Map<String, List<byte[]>> byTopic = new LinkedHashMap<>();
    VideoDemuxer demuxer = new VideoDemuxer(config);
    Instant now = Instant.now();
    for (Path file : files) {
      demuxer.demux(
          file,
          clip -> {
            String clipId = file.getFileName() + "#" + clip.index();
            for (ProducerRecord<String, byte[]> record :
                ClipPublisher.records(topics, clipId, "bench", file.toString(), clip, null, now)) {
              byTopic.computeIfAbsent(record.topic(), t -> new ArrayList<>()).add(record.value());
            }
          });
    }
    return byTopic;
  }

  /** {@code ffmpeg} is on the PATH and runs. */
  static boolean hasFfmpeg() {
    try {
      Process p = new ProcessBuilder("ffmpeg", "-version").redirectErrorStream(true).start();
      p.getInputStream().transferTo(OutputStream.nullOutputStream());
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * A synthetic {@code seconds}-long 1280x720 H.264/AAC video made by looping {@code sample} with
   * the ffmpeg CLI (the face and voice of the sample, repeated), written into {@code dir}.
   */
  static Path synthetic(Path sample, int seconds, Path dir)
      throws IOException, InterruptedException {
    Path out = dir.resolve("bench-" + seconds + "s-720p.mp4");
    List<String> command =
        List.of(
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "-1",
            "-i",
            sample.toString(),
            "-t",
            Integer.toString(seconds),
            "-vf",
            "scale=1280:720",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-c:a",
            "aac",
            out.toString());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0 || !Files.isRegularFile(out)) {
      throw new IOException("ffmpeg could not make the synthetic media: " + log.strip());
    }
    return out;
  }
}
