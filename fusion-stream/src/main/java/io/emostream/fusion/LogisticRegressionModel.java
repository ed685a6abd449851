package io.emostream.fusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.emostream.math.Softmax;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The second paper's stacking fusion: a multinomial logistic regression over the concatenated,
 * min-max normalised posteriors of both models. Immutable and pure once loaded.
 *
 * <p>Features: {@code x = [audio aligned (L values), video aligned (L values)]}, each column scaled
 * to {@code (x - min) / (max - min)} with the column's minimum and maximum over the training clips
 * (a constant column scales to 0; values outside the training range are not clipped, as
 * scikit-learn's MinMaxScaler). Scores {@code z_k = b_k + W_k · x} for each class seen in training,
 * softmax over them; labels not seen in training get probability 0. The file is JSON ({@link
 * #FORMAT}); {@link LogisticRegressionTrainer} writes it.
 */
public final class LogisticRegressionModel {

  public static final String FORMAT = "emostream-fusion-logistic-regression/1";

  private final List<String> labels;
  private final List<String> classes;
  private final double[] featureMin;
  private final double[] featureMax;
  private final double[][] coefficients;
  private final double[] intercepts;
  private final Map<String, Object> info;

  public LogisticRegressionModel(
      List<String> labels,
      List<String> classes,
      double[] featureMin,
      double[] featureMax,
      double[][] coefficients,
      double[] intercepts,
      Map<String, Object> info) {
    int features = 2 * labels.size();
    if (featureMin.length != features || featureMax.length != features) {
      throw new IllegalArgumentException(
          "logistic regression needs "
              + features
              + " feature bounds (2 x "
              + labels.size()
              + " labels), got "
              + featureMin.length
              + " and "
              + featureMax.length);
    }
    if (classes.isEmpty()
        || !labels.containsAll(classes)
        || coefficients.length != classes.size()
        || intercepts.length != classes.size()) {
      throw new IllegalArgumentException(
          "logistic regression classes "
              + classes
              + " must be labels of "
              + labels
              + " with one coefficient row and one intercept each");
    }
    for (double[] row : coefficients) {
      if (row.length != features) {
        throw new IllegalArgumentException(
            "every coefficient row needs " + features + " values, got " + row.length);
      }
      requireFinite(row, "coefficient");
    }
    requireFinite(intercepts, "intercept");
    requireFinite(featureMin, "featureMin");
    requireFinite(featureMax, "featureMax");
    this.labels = List.copyOf(labels);
    this.classes = List.copyOf(classes);
    this.featureMin = featureMin.clone();
    this.featureMax = featureMax.clone();
    this.coefficients = deepCopy(coefficients);
    this.intercepts = intercepts.clone();
    this.info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
  }

  public List<String> labels() {
    return labels;
  }

  public List<String> classes() {
    return classes;
  }

  /** The fitted coefficients, one row per class. */
  public double[][] coefficientsCopy() {
    return deepCopy(coefficients);
  }

  public Map<String, Object> info() {
    return info;
  }

  /** The raw feature vector: audio then video, over the canonical labels. */
  static double[] concat(double[] audio, double[] video) {
    double[] x = new double[audio.length + video.length];
    System.arraycopy(audio, 0, x, 0, audio.length);
    System.arraycopy(video, 0, x, audio.length, video.length);
    return x;
  }

  /** Min-max scaling of one raw feature vector with the training bounds. */
  static double[] scale(double[] x, double[] min, double[] max) {
    double[] out = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      double range = max[j] - min[j];
      out[j] = range > 0 ? (x[j] - min[j]) / range : 0.0;
    }
    return out;
  }

  /** Class probabilities over {@link #labels()} (0 for labels not seen in training). */
  public double[] predict(double[] audio, double[] video) {
    double[] x = scale(concat(audio, video), featureMin, featureMax);
    double[] classProbabilities = Softmax.of(scores(coefficients, intercepts, x));
    double[] out = new double[labels.size()];
    for (int k = 0; k < classes.size(); k++) {
      out[labels.indexOf(classes.get(k))] = classProbabilities[k];
    }
    return out;
  }

  static double[] scores(double[][] w, double[] b, double[] x) {
    double[] z = new double[b.length];
    for (int k = 0; k < b.length; k++) {
      double s = b[k];
      for (int j = 0; j < x.length; j++) {
        s += w[k][j] * x[j];
      }
      z[k] = s;
    }
    return z;
  }

  public void write(Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", FORMAT);
    json.put("labels", labels);
    json.put("classes", classes);
    json.put("featureMin", featureMin);
    json.put("featureMax", featureMax);
    json.put("coefficients", coefficients);
    json.put("intercepts", intercepts);
    json.put("info", info);
    Files.writeString(
        file,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
  }

  /** Loads a model file; a missing or malformed file fails with a message naming it. */
  public static LogisticRegressionModel read(Path file) {
    try {
      JsonNode json = new ObjectMapper().readTree(file.toFile());
      if (json == null || !FORMAT.equals(json.path("format").asText())) {
        throw new IllegalArgumentException("not a " + FORMAT + " file");
      }
      ObjectMapper mapper = new ObjectMapper();
      @SuppressWarnings("unchecked")
      Map<String, Object> info =
          json.has("info") ? mapper.convertValue(json.get("info"), Map.class) : Map.of();
      return new LogisticRegressionModel(
          strings(json, "labels"),
          strings(json, "classes"),
          mapper.convertValue(required(json, "featureMin"), double[].class),
          mapper.convertValue(required(json, "featureMax"), double[].class),
          mapper.convertValue(required(json, "coefficients"), double[][].class),
          mapper.convertValue(required(json, "intercepts"), double[].class),
          info);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the logistic-regression fusion model " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "bad logistic-regression fusion model " + file + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode required(JsonNode json, String field) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      throw new IllegalArgumentException("field '" + field + "' is missing");
    }
    return node;
  }

  private static List<String> strings(JsonNode json, String field) {
    List<String> out = new ArrayList<>();
    required(json, field).forEach(n -> out.add(n.asText()));
    return out;
  }

  private static void requireFinite(double[] values, String what) {
    for (double v : values) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException(what + " " + v + " is not finite");
      }
    }
  }

  private static double[][] deepCopy(double[][] m) {
    double[][] out = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      out[i] = m[i].clone();
    }
    return out;
  }
}
