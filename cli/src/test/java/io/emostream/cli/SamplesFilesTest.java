package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.fusion.FusionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The labelled samples that ship: each labelled, each described by the card beside them, and small.
 */
class SamplesFilesTest {

  private static final Path LABELLED = RepositoryFiles.ROOT.resolve("samples/labelled");

  @Test
  void everyShippedSampleIsLabelledAndDescribedByItsCard() throws Exception {
    Map<String, LabelsCsv.Row> rows = LabelsCsv.read(LABELLED, FusionConfig.DEFAULT_LABELS);
    String card = RepositoryFiles.read("samples/labelled/README.md");
    List<Path> media = Inputs.mediaFilesUnder(LABELLED);
    assertThat(media).hasSize(14);
    for (Path file : media) {
      String name = LABELLED.relativize(file).toString();
      DatasetLabels.Classified byName = DatasetLabels.classify(file);
      assertThat(rows.containsKey(name) ^ byName.labelled() != null)
          .as("%s is labelled by exactly one of its RAVDESS name and labels.csv", name)
          .isTrue();
      if (rows.containsKey(name)) {
        assertThat(name)
            .as("a constructed clip says so in its name")
            .startsWith("demo-" + rows.get(name).label());
        assertThat(rows.get(name).corpus()).isEqualTo("constructed");
        assertThat(name).endsWith(rows.get(name).speaker().replace("ravdess-", "actor") + ".mp4");
      }
      assertThat(card).as("the card names %s", name).contains("`" + name + "`");
    }
    assertThat(rows.keySet()).allSatisfy(f -> assertThat(LABELLED.resolve(f)).isRegularFile());
    assertThat(card)
        .contains(
            "CC BY-NC-SA 4.0",
            "non-commercial",
            "in-sample",
            "constructed demo",
            "doi 10.1371/journal.pone.0196391",
            "MIT");
  }

  @Test
  void theSamplesStaySmall() throws Exception {
    long bytes = 0;
    for (Path file : Inputs.mediaFilesUnder(LABELLED)) {
      bytes += Files.size(file);
    }
    assertThat(bytes).as("bytes of samples/labelled").isLessThan(1_000_000);
  }
}
