package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.cli.Main.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputsTest {

  @TempDir Path dir;

  @Test
  void aDirectoryStandsForItsMediaFilesSorted() throws Exception {
    Files.writeString(dir.resolve("b.wav"), "x");
    Files.writeString(dir.resolve("a.MP4"), "x");
    Files.writeString(dir.resolve("notes.txt"), "x");
    assertThat(Inputs.expand(dir)).containsExactly(dir.resolve("a.MP4"), dir.resolve("b.wav"));
  }

  @Test
  void everyListedExtensionIsFoundInADirectoryFlvIncluded() throws Exception {
    for (String ext : Inputs.EXTENSIONS) {
      Files.writeString(dir.resolve("clip." + ext.toUpperCase(Locale.ROOT)), "x");
    }
    Files.writeString(dir.resolve("03a01Fa.flv"), "x");

    assertThat(Inputs.mediaFilesUnder(dir))
        .hasSize(Inputs.EXTENSIONS.size() + 1)
        .contains(dir.resolve("03a01Fa.flv"));
    assertThat(Inputs.expand(dir)).hasSize(Inputs.EXTENSIONS.size() + 1);
    assertThat(Inputs.EXTENSIONS).contains("flv", "mkv", "wav", "flac", "opus");
  }

  @Test
  void namesWithNewlinesTabsAndUpperCaseExtensionsAreFound() throws Exception {
    Files.writeString(dir.resolve("a\nb.mp4"), "x");
    Files.writeString(dir.resolve("tab\there.WAV"), "x");
    assertThat(Inputs.expand(dir))
        .containsExactly(dir.resolve("a\nb.mp4"), dir.resolve("tab\there.WAV"));
  }

  @Test
  void aDisplayNameHasNoControlCharacters() {
    assertThat(Inputs.displayName(Path.of("/x/red\u001b[31mX\u001b[0m.mp4")))
        .isEqualTo("red[31mX[0m.mp4");
    assertThat(Inputs.displayName(Path.of("a\nb.mp4"))).isEqualTo("ab.mp4");
  }

  @Test
  void aListWithAByteOrderMarkReadsItsFirstName() throws Exception {
    Files.writeString(dir.resolve("one.mp4"), "x");
    Path list = Files.writeString(dir.resolve("list.txt"), "\uFEFFone.mp4\r\n");
    assertThat(Inputs.fromList(list)).containsExactly(dir.resolve("one.mp4"));
  }

  @Test
  void aDirectoryWithoutMediaIsAnErrorSayingWhatWasLookedFor() throws Exception {
    Files.writeString(dir.resolve("notes.txt"), "x");
    assertThatThrownBy(() -> Inputs.expand(dir))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("no video or audio files in")
        .hasMessageContaining(".mp4");
  }

  @Test
  void aListNamesFilesRelativeToItsFolderSkippingCommentsAndBlanks() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));
    Files.writeString(media.resolve("one.mp4"), "x");
    Files.writeString(media.resolve("two.wav"), "x");
    Path list =
        Files.writeString(
            dir.resolve("list.txt"), "# calls of Monday\nmedia/one.mp4\n\n  media/two.wav  \n");
    assertThat(Inputs.fromList(list))
        .containsExactly(dir.resolve("media/one.mp4"), dir.resolve("media/two.wav"));
  }

  @Test
  void aListEntryThatDoesNotExistNamesItsLine() throws Exception {
    Path list = Files.writeString(dir.resolve("list.txt"), "# header\nmissing.mp4\n");
    assertThatThrownBy(() -> Inputs.fromList(list))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("list.txt line 2: no such file:")
        .hasMessageContaining("missing.mp4");
  }

  /** A link loop was reported as a missing file, which sent the user looking for a typo. */
  @Test
  void aLinkToNothingIsNamedAsALink() throws Exception {
    Path a = dir.resolve("a.mp4");
    Path b = dir.resolve("b.mp4");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    assertThatThrownBy(() -> Inputs.expand(a))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("a.mp4 is a symbolic link to nothing");
  }

  @Test
  void anEmptyListIsAnError() throws Exception {
    Path list = Files.writeString(dir.resolve("list.txt"), "# nothing\n");
    assertThatThrownBy(() -> Inputs.fromList(list)).hasMessageContaining("names no files");
  }
}
