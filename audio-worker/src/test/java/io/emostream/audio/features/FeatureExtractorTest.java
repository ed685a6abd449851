package io.emostream.audio.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.ModelManifest.FeatureLayout;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checks the Java log-mel and MFCC features against torchaudio 0.13 (float64) on a synthesised
 * chirp and a real RAVDESS excerpt, for three configurations: HTK mel + power dB with top_db and
 * n_fft 400 (direct DFT), MFCC over a Slaney-scale, Slaney-normalised filterbank with n_fft 512
 * (radix-2 FFT), and a magnitude spectrogram with a 400-sample window in a 512 FFT, no centring,
 * natural log. The reference is {@code features/reference.json}, written by {@code
 * training/audio/feature_reference.py}.
 *
 * <p>Tolerance: 1e-3 absolute on every value (dB values span about 80, MFCCs about 600, natural-log
 * values about 17): the reference is float64 but torchaudio computes its filterbank in float32
 * (relative error about 1e-7), and the Java output is rounded to float.
 */
class FeatureExtractorTest {

  private static final double TOLERANCE = 1e-3;
  private static JsonNode reference;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in =
        FeatureExtractorTest.class.getResourceAsStream("/features/reference.json")) {
      reference = new ObjectMapper().readTree(in);
    }
  }

  static float[] chirp(JsonNode c) {
    int n = c.get("samples").asInt();
    double sr = c.get("sampleRate").asDouble();
    double f0 = c.get("f0").asDouble();
    double f1 = c.get("f1").asDouble();
    double duration = n / sr;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      double t = i / sr;
      double v =
          c.get("amplitude").asDouble()
              * Math.sin(2 * Math.PI * (f0 * t + (f1 - f0) * t * t / (2 * duration)));
      x[i] = (float) Math.rint(v * 32768.0) / 32768f; // PCM16, as the generator quantises it
    }
    return x;
  }

  static float[] ravdess(JsonNode r) {
    JsonNode pcm = r.get("pcm16");
    float[] x = new float[pcm.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = pcm.get(i).asInt() / 32768f;
    }
    return x;
  }

  private static FeatureExtractor extractor(String config) throws IOException {
    ModelManifest.Features features =
        new ObjectMapper()
            .treeToValue(reference.get("configs").get(config), ModelManifest.Features.class);
    return new FeatureExtractor(FeatureExtractor.Spec.of(features, 16000));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
    "logmel_htk_db, chirp", "logmel_htk_db, ravdess",
    "mfcc_slaney, chirp", "mfcc_slaney, ravdess",
    "logmel_ln_nocenter, chirp", "logmel_ln_nocenter, ravdess"
  })
  void matchesTorchaudio(String config, String input) throws IOException {
    float[] samples =
        input.equals("chirp") ? chirp(reference.get("chirp")) : ravdess(reference.get("ravdess"));
    JsonNode expected = reference.get("expected").get(config + "/" + input);

    float[][] features = extractor(config).extract(samples);

    int rows = expected.get("shape").get(0).asInt();
    int frames = expected.get("shape").get(1).asInt();
    assertThat(features.length).isEqualTo(rows);
    assertThat(features[0].length).isEqualTo(frames);
    double worst = 0;
    for (int f = 0; f < rows; f++) {
      for (int t = 0; t < frames; t++) {
        double d = Math.abs(features[f][t] - expected.get("values").get(f * frames + t).asDouble());
        worst = Math.max(worst, d);
      }
    }
    assertThat(worst)
        .as("largest difference from torchaudio for %s on %s", config, input)
        .isLessThan(TOLERANCE);
  }

  @Test
  void framesFollowTorchStft() throws IOException {
    // center: 1 + L / hop; no centre: 1 + (L - nFft) / hop
    assertThat(extractor("logmel_htk_db").frames(4800)).isEqualTo(31);
    assertThat(extractor("logmel_ln_nocenter").frames(4800)).isEqualTo(1 + (4800 - 512) / 160);
    assertThat(extractor("logmel_ln_nocenter").frames(511)).isZero();
  }

  @Test
  void tooShortForReflectPaddingIsAClearError() throws IOException {
    FeatureExtractor e = extractor("logmel_htk_db");
    assertThatThrownBy(() -> e.extract(new float[150]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reflect padding");
  }

  @Test
  void layoutsPlaceFeaturesAndFramesAsNamed() {
    float[][] m = {{1, 2, 3}, {4, 5, 6}}; // 2 features x 3 frames
    assertThat(FeatureExtractor.flatten(m, FeatureLayout.NFT)).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(FeatureExtractor.flatten(m, FeatureLayout.NCTF)).containsExactly(1, 4, 2, 5, 3, 6);
    assertThat(FeatureExtractor.shape(FeatureLayout.NCFT, 2, 3)).containsExactly(1, 1, 2, 3);
    assertThat(FeatureExtractor.shape(FeatureLayout.NTF, 2, 3)).containsExactly(1, 3, 2);
  }

  @Test
  void defaultsAreTorchaudios() {
    ModelManifest.Features mfcc =
        new ModelManifest.Features(
            ModelManifest.FeatureType.MFCC,
            400,
            null,
            null,
            40,
            13,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    FeatureExtractor.Spec spec = FeatureExtractor.Spec.of(mfcc, 16000);
    assertThat(spec)
        .extracting(
            FeatureExtractor.Spec::winLength,
            FeatureExtractor.Spec::hop,
            FeatureExtractor.Spec::fMax,
            FeatureExtractor.Spec::log,
            FeatureExtractor.Spec::topDb,
            FeatureExtractor.Spec::center)
        .containsExactly(400, 200, 8000.0, ModelManifest.LogKind.POWER_DB, 80.0, true);
    assertThat(spec.features()).isEqualTo(13);
  }
}
