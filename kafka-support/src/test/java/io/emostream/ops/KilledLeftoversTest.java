package io.emostream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KilledLeftoversTest {

  static final Instant NOW = Instant.now();

  static Path old(Path p) throws Exception {
    Files.setLastModifiedTime(p, FileTime.from(NOW.minus(Duration.ofHours(1))));
    return p;
  }

  @Test
  void aDeadProcesssStateAndUnmappedOldLibrariesGoTheRestStays(@TempDir Path tmp) throws Exception {
    Path deadState = Files.createDirectories(tmp.resolve("emostream-fusion-111-42/0_1/rocksdb"));
    Path liveState = Files.createDirectories(tmp.resolve("emostream-fusion-222-7"));
    Path deadBroker =
        Files.createDirectories(tmp.resolve("emostream-kafka-111-9/__cluster_metadata-0"));
    Path liveBroker = Files.createDirectories(tmp.resolve("emostream-kafka-222-3"));
    Path oldUnnamedBroker = old(Files.createDirectories(tmp.resolve("emostream-kafka-1826")));
    Path deadRocks = old(Files.writeString(tmp.resolve("librocksdbjni123.so"), "x"));
    Path usedRocks = old(Files.writeString(tmp.resolve("librocksdbjni456.so"), "x"));
    Path freshRocks = Files.writeString(tmp.resolve("librocksdbjni789.so"), "x");
    Path ortDir = Files.createDirectories(tmp.resolve("onnxruntime-java1"));
    Files.writeString(ortDir.resolve("libonnxruntime.so"), "x");
    old(ortDir);
    Path usedOrt = old(Files.createDirectories(tmp.resolve("onnxruntime-java2")));
    Path someoneElses = old(Files.createDirectories(tmp.resolve("kafka-streams")));
    Path deadSpool = Files.writeString(tmp.resolve("emostream-upload-111-8812.media"), "x");
    Path liveSpool = Files.writeString(tmp.resolve("emostream-upload-222-1.media"), "x");

    int removed =
        KilledLeftovers.sweep(
            tmp,
            pid -> pid == 222,
            () -> Set.of(usedRocks, usedOrt.resolve("libonnxruntime.so")),
            NOW);

    assertThat(removed).isEqualTo(5);
    assertThat(deadSpool).doesNotExist(); // an upload spooled by a killed process
    assertThat(liveSpool).exists();
    assertThat(deadBroker.getParent()).doesNotExist();
    assertThat(liveBroker).exists();
    assertThat(oldUnnamedBroker).exists(); // no pid in its name: not known to be dead
    assertThat(deadState.getParent().getParent()).doesNotExist();
    assertThat(deadRocks).doesNotExist();
    assertThat(ortDir).doesNotExist();
    assertThat(liveState).exists();
    assertThat(usedRocks).exists();
    assertThat(freshRocks).exists();
    assertThat(usedOrt).exists();
    assertThat(someoneElses).exists();
  }

  @Test
  void withoutProcsMapsNoLibraryIsRemoved(@TempDir Path tmp) throws Exception {
    Path rocks = old(Files.writeString(tmp.resolve("librocksdbjni1.so"), "x"));
    assertThat(KilledLeftovers.sweep(tmp, pid -> false, () -> null, NOW)).isZero();
    assertThat(rocks).exists();
  }

  @Test
  void theProcessesMapsAreReadOnlyWhenAnOldLibraryIsThere(@TempDir Path tmp) throws Exception {
    Files.createDirectories(tmp.resolve("emostream-fusion-111-1"));
    Files.writeString(tmp.resolve("librocksdbjni2.so"), "x"); // fresh
    assertThat(
            KilledLeftovers.sweep(
                tmp,
                pid -> false,
                () -> {
                  throw new AssertionError("no old library: the maps need not be read");
                },
                NOW))
        .isEqualTo(1);
  }

  @Test
  void thisProcesssOwnMapsAreRead() {
    Set<Path> mapped = KilledLeftovers.mappedLibraries(Path.of("/proc"));
    assertThat(mapped).isNotNull();
    assertThat(mapped.stream().anyMatch(p -> p.getFileName().toString().startsWith("libjvm")))
        .isTrue();
  }
}
