package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.ingest.ChannelSelection.Mode;
import io.emostream.ingest.ChannelSelection.Track;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChannelSelectionTest {

  @Test
  void withoutSettingsTheChannelsAreMixed() {
    ChannelSelection selection = ChannelSelection.parse(null, null);
    assertThat(selection.mode()).isEqualTo(Mode.MIX);
    assertThat(selection.splitsChannels()).isFalse();
    assertThat(selection.tracks(2)).containsExactly(new Track(0, null));
  }

  @Test
  void withRolesTheDefaultIsTheCustomersChannelOnly() {
    ChannelSelection selection = ChannelSelection.parse("", "left:agent, right:Customer");
    assertThat(selection.mode()).isEqualTo(Mode.RIGHT);
    assertThat(selection.tracks(2)).containsExactly(new Track(1, "customer"));
    assertThat(ChannelSelection.parse(null, "left:customer,right:agent").tracks(2))
        .containsExactly(new Track(0, "customer"));
  }

  @Test
  void bothGivesOneTrackPerChannelNamedByRoleOrByChannel() {
    assertThat(ChannelSelection.parse("both", "left:agent,right:customer").tracks(2))
        .containsExactly(new Track(0, "agent"), new Track(1, "customer"));
    assertThat(ChannelSelection.parse("BOTH", null).tracks(2))
        .containsExactly(new Track(0, "left"), new Track(1, "right"));
    assertThat(ChannelSelection.parse("both", null).publishesFrames(2)).isFalse();
    assertThat(ChannelSelection.parse("right", null).publishesFrames(2)).isTrue();
  }

  @Test
  void aMonoSourceIsOneTrackWithoutRole() {
    assertThat(ChannelSelection.parse("both", "left:agent,right:customer").tracks(1))
        .containsExactly(new Track(0, null));
  }

  @Test
  void anUploadCanChooseAnotherChannelAndKeepsTheRoles() {
    ChannelSelection configured = ChannelSelection.parse(null, "left:agent,right:customer");
    assertThat(configured.withMode("both").tracks(2))
        .extracting(Track::role)
        .containsExactly("agent", "customer");
    assertThat(configured.withMode(null)).isEqualTo(configured);
  }

  @Test
  void badSettingsNameWhatIsAccepted() {
    assertThatThrownBy(() -> ChannelSelection.parse("center", null))
        .hasMessageContaining("mix, left, right, both");
    assertThatThrownBy(() -> ChannelSelection.parse(null, "middle:agent"))
        .hasMessageContaining("left or right");
    assertThatThrownBy(() -> ChannelSelection.parse(null, "left:agent,left:customer"))
        .hasMessageContaining("each once");
    assertThatThrownBy(() -> ChannelSelection.parse(null, "left:agent,right:supervisor"))
        .hasMessageContaining("no 'customer' channel");
  }

  @Test
  void extractsOneChannelOfInterleavedSamples() {
    short[] interleaved = {1, -1, 2, -2, 3, -3};
    assertThat(ChannelSelection.channel(interleaved, 2, 0)).containsExactly(1, 2, 3);
    assertThat(ChannelSelection.channel(interleaved, 2, 1)).containsExactly(-1, -2, -3);
    assertThat(ChannelSelection.channel(interleaved, 3, 2)).containsExactly(2, -3);
    assertThatThrownBy(() -> ChannelSelection.channel(interleaved, 2, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(List.of(ChannelSelection.CUSTOMER)).containsExactly("customer");
  }

  @Test
  void theMixOfACallWithAnAgentChannelIsFlagged() {
    ChannelSelection mix = ChannelSelection.parse("mix", "left:agent,right:customer");
    assertThat(mix.mixesInOtherRoles()).isTrue();
    assertThat(mix.mixWarning("'call.wav'"))
        .startsWith(
            "'call.wav': analysing the mix of all channels, which holds the [agent] channel")
        .contains("AI Act Art. 5(1)(f)", "channel=left or right");
    assertThat(ChannelSelection.parse(null, "left:agent,right:customer").mixesInOtherRoles())
        .isFalse();
    assertThat(ChannelSelection.parse("mix", null).mixesInOtherRoles()).isFalse();
    assertThat(ChannelSelection.parse("mix", "left:customer").mixesInOtherRoles()).isFalse();
  }
}
