package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.schemas.Modality;
import io.emostream.schemas.PendingClip;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class ClipRecordsTest {

  @Test
  void aCopyCarriesEveryFieldOfTheSchemaAndSharesTheRecords() {
    PendingClip clip =
        PendingClip.newBuilder()
            .setManifest(Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO))
            .setAudio(Clips.audio("c1", Clips.SPEECH_HAPPY))
            .setVideo(Clips.video("c1", Clips.FACE_SAD))
            .setFirstSeenMs(1L)
            .setFusedAtMs(2L)
            .setWaitingSinceMs(3L)
            .setDeadlineMs(4L)
            .build();
    for (Schema.Field field : PendingClip.getClassSchema().getFields()) {
      // a field added to the schema must be set above, and carried by ClipRecords.copyOf
      assertThat(clip.get(field.pos())).as(field.name()).isNotNull();
    }

    PendingClip copy = ClipRecords.copyOf(clip).build();

    assertThat(copy).isEqualTo(clip);
    assertThat(copy.getManifest()).isSameAs(clip.getManifest());
    assertThat(copy.getAudio()).isSameAs(clip.getAudio());
    assertThat(copy.getVideo()).isSameAs(clip.getVideo());
  }
}
