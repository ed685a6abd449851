package io.emostream.fusion;

import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * The contexts of a pending clip's spans upstream, kept in memory by {@link ClipJoinProcessor}
 * while tracing is on: ingest's (from the manifest) and each worker's (from its prediction).
 */
record ClipTrace(Context ingest, Context audio, Context video) {

  static final ClipTrace NONE = new ClipTrace(null, null, null);

  /** This trace with the context the record {@code value} carried. */
  ClipTrace with(SpecificRecord value, Context context) {
    if (value instanceof ModalityPrediction prediction) {
      return prediction.getModality() == Modality.AUDIO
          ? new ClipTrace(ingest, context, video)
          : new ClipTrace(ingest, audio, context);
    }
    return new ClipTrace(context, audio, video);
  }

  /**
   * The fused span's parent: ingest's span, else (no manifest context) a worker's span, else a new
   * trace.
   */
  Context parent() {
    for (Context context : new Context[] {ingest, audio, video}) {
      if (context != null && Span.fromContext(context).getSpanContext().isValid()) {
        return context;
      }
    }
    return Context.root();
  }

  /** The workers' contexts, which the fused span links to. */
  List<Context> workers() {
    List<Context> out = new ArrayList<>(2);
    if (audio != null) {
      out.add(audio);
    }
    if (video != null) {
      out.add(video);
    }
    return out;
  }
}
