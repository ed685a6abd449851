package io.emostream.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * The one JSON shape of a fused segment, used wherever a {@link FusedEmotion} is shown as JSON:
 * {@code ./emostream analyze --json}, ingest's {@code GET /sources/{id}} and {@code
 * examples/read_fused.py} (which rebuilds it from the Avro record in Python). The README's "JSON
 * shape" section documents it; {@code fused-segment.golden.json} pins it.
 *
 * <p>Choices made once: times are integer milliseconds with the Avro record's names ({@code
 * startMs} from the start of the source; {@code ingestTimeMs} and {@code fusedAtMs} since the Unix
 * epoch); a distribution is an object from label to probability, in the record's label order;
 * probabilities and confidences are rounded to 4 decimals and timings to 2, half-even on the exact
 * binary value (as Python's {@code round}), so both writers print the same numbers. Field order is
 * fixed. Pure.
 */
public final class FusedSegmentJson {

  /** Decimals kept of a probability or confidence. */
  public static final int PROBABILITY_DECIMALS = 4;

  /** Decimals kept of a timing in milliseconds. */
  public static final int TIMING_DECIMALS = 2;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private FusedSegmentJson() {}

  /** The segment as a JSON object, fields in the documented order. */
  public static ObjectNode toJson(FusedEmotion r) {
    ObjectNode o = NODES.objectNode();
    o.put("clipId", r.getClipId());
    o.put("sourceId", r.getSourceId());
    o.put("sourceName", r.getSourceName());
    o.put("speakerRole", r.getSpeakerRole());
    o.put("segmentIndex", r.getSegmentIndex());
    o.put("startMs", r.getStartMs());
    o.put("endMs", r.getEndMs());
    o.put("status", r.getStatus().name());
    o.put("label", r.getLabel());
    o.put("confidence", probability(r.getConfidence()));
    o.put("rule", r.getRule().name());
    ArrayNode modalities = o.putArray("modalities");
    r.getModalities().forEach(m -> modalities.add(m.name()));
    o.set("distribution", distribution(r.getLabels(), r.getDistribution()));
    ArrayNode predictions = o.putArray("predictions");
    r.getPredictions().forEach(p -> predictions.add(prediction(p)));
    o.put("ingestTimeMs", r.getIngestTimeMs().toEpochMilli());
    o.put("fusedAtMs", r.getFusedAtMs().toEpochMilli());
    o.put("latencyMs", r.getLatencyMs());
    return o;
  }

  /** The segment as one line of JSON (no line breaks inside), for JSON lines output. */
  public static String line(FusedEmotion r) {
    try {
      return MAPPER.writeValueAsString(toJson(r));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain JSON nodes always serialises", e);
    }
  }

  /** Several segments as a JSON array, in the given order. */
  public static ArrayNode toJson(List<FusedEmotion> segments) {
    ArrayNode array = NODES.arrayNode();
    segments.forEach(s -> array.add(toJson(s)));
    return array;
  }

  private static ObjectNode prediction(ModalityPrediction p) {
    ObjectNode o = NODES.objectNode();
    o.put("modality", p.getModality().name());
    o.put("model", p.getModelName());
    o.put("modelVersion", p.getModelVersion());
    o.put("status", p.getStatus().name());
    int best = argmax(p.getProbabilities());
    o.put("label", best < 0 ? null : p.getLabels().get(best));
    if (best < 0) {
      o.putNull("confidence");
    } else {
      o.put("confidence", probability(p.getProbabilities().get(best)));
    }
    o.set("probabilities", distribution(p.getLabels(), p.getProbabilities()));
    o.put("error", p.getError());
    o.put("itemsAnalysed", p.getItemsAnalysed());
    o.put("inferenceMs", round(p.getTimings().getInferenceMs(), TIMING_DECIMALS));
    o.put("totalMs", round(p.getTimings().getTotalMs(), TIMING_DECIMALS));
    return o;
  }

  /**
   * The index of the highest probability, the first on a tie; -1 for none (a prediction that is not
   * OK).
   */
  static int argmax(List<Float> probabilities) {
    int best = -1;
    for (int i = 0; i < probabilities.size(); i++) {
      if (best < 0 || probabilities.get(i) > probabilities.get(best)) {
        best = i;
      }
    }
    return best;
  }

  private static ObjectNode distribution(List<String> labels, List<Float> probabilities) {
    ObjectNode o = NODES.objectNode();
    for (int i = 0; i < Math.min(labels.size(), probabilities.size()); i++) {
      o.put(labels.get(i), probability(probabilities.get(i)));
    }
    return o;
  }

  private static double probability(float p) {
    return round(p, PROBABILITY_DECIMALS);
  }

  /**
   * Half-even on the exact binary value, as Python's round(x, n); a non-finite value is kept as it
   * is.
   */
  static double round(double x, int decimals) {
    if (!Double.isFinite(x)) {
      return x;
    }
    return new BigDecimal(x).setScale(decimals, RoundingMode.HALF_EVEN).doubleValue();
  }
}
