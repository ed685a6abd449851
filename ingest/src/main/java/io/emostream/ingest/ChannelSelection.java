package io.emostream.ingest;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which audio channel of a source is analysed, and whose voice each channel carries. Call-center
 * recordings are often stereo with the agent on one channel and the customer on the other; emotion
 * inference on employees at work is prohibited in the EU (AI Act, Art. 5(1)(f)), so once roles are
 * configured the default is the customer's channel only.
 *
 * <ul>
 *   <li>{@code MIX}: FFmpeg's downmix of all channels (the default without roles).
 *   <li>{@code LEFT} / {@code RIGHT}: only that channel, labelled with its role.
 *   <li>{@code BOTH}: each channel as its own clip stream, labelled with its role (the channel name
 *       when no role is configured). Frames are then published with neither: whose face is in the
 *       picture is not known.
 * </ul>
 *
 * A mono source has nothing to split: its one channel is analysed with no role.
 *
 * @param mode EMOSTREAM_AUDIO_CHANNEL: mix, left, right or both
 * @param roles EMOSTREAM_CHANNEL_ROLES, e.g. {@code left:agent,right:customer}; may be empty
 */
public record ChannelSelection(Mode mode, Map<Channel, String> roles) {

  public static final String CUSTOMER = "customer";

  public enum Mode {
    MIX,
    LEFT,
    RIGHT,
    BOTH
  }

  public enum Channel {
    LEFT(0),
    RIGHT(1);

    final int index;

    Channel(int index) {
      this.index = index;
    }
  }

  /**
   * One audio stream to cut into clips: a channel index of the decoded (interleaved) audio and its
   * role.
   */
  public record Track(int channel, String role) {}

  public ChannelSelection {
    roles = Map.copyOf(roles);
  }

  public static final ChannelSelection MIXED = new ChannelSelection(Mode.MIX, Map.of());

  /**
   * Parses the settings. {@code mode} null or blank means: the customer's channel when roles are
   * configured, else {@code MIX}.
   *
   * @throws IllegalArgumentException naming the bad value and what is accepted
   */
  public static ChannelSelection parse(String mode, String roles) {
    Map<Channel, String> parsedRoles = parseRoles(roles);
    if (mode == null || mode.isBlank()) {
      return new ChannelSelection(defaultMode(parsedRoles), parsedRoles);
    }
    try {
      return new ChannelSelection(Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT)), parsedRoles);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown audio channel '" + mode + "'; accepted: mix, left, right, both");
    }
  }

  /**
   * The same roles with another mode (an upload's or a command line's choice); null or blank keeps
   * this one.
   */
  public ChannelSelection withMode(String mode) {
    if (mode == null || mode.isBlank()) {
      return this;
    }
    return parse(mode, null).withRoles(roles);
  }

  private ChannelSelection withRoles(Map<Channel, String> newRoles) {
    return new ChannelSelection(mode, newRoles);
  }

  private static Mode defaultMode(Map<Channel, String> roles) {
    if (roles.isEmpty()) {
      return Mode.MIX;
    }
    for (Map.Entry<Channel, String> e : roles.entrySet()) {
      if (e.getValue().equals(CUSTOMER)) {
        return Mode.valueOf(e.getKey().name());
      }
    }
    throw new IllegalArgumentException(
        "EMOSTREAM_CHANNEL_ROLES names no '"
            + CUSTOMER
            + "' channel; name one "
            + "(e.g. left:agent,right:customer) or choose the channel with EMOSTREAM_AUDIO_CHANNEL");
  }

  static Map<Channel, String> parseRoles(String raw) {
    Map<Channel, String> roles = new EnumMap<>(Channel.class);
    if (raw == null || raw.isBlank()) {
      return roles;
    }
    for (String pair : raw.split(",")) {
      String[] kv = pair.trim().split(":", 2);
      Channel channel;
      try {
        channel = Channel.valueOf(kv[0].trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        channel = null;
      }
      String role = kv.length == 2 ? kv[1].trim().toLowerCase(Locale.ROOT) : "";
      if (channel == null || !role.matches("[a-z0-9_]{1,32}") || roles.put(channel, role) != null) {
        throw new IllegalArgumentException(
            "bad EMOSTREAM_CHANNEL_ROLES entry '"
                + pair.trim()
                + "'; expected CHANNEL:ROLE with CHANNEL left or right, each once (e.g. left:agent,right:customer)");
      }
    }
    return roles;
  }

  /**
   * Whether this selection mixes in a channel whose configured role is not the customer's: {@code
   * mix} with roles set (the agent's voice is in a stereo call's mix; the warning goes with it).
   */
  public boolean mixesInOtherRoles() {
    return mode == Mode.MIX && roles.values().stream().anyMatch(role -> !role.equals(CUSTOMER));
  }

  /** The warning logged when {@link #mixesInOtherRoles}, for the source {@code what}. */
  public String mixWarning(String what) {
    return what
        + ": analysing the mix of all channels, which holds the "
        + roles.values().stream().filter(role -> !role.equals(CUSTOMER)).sorted().toList()
        + " channel(s) of EMOSTREAM_CHANNEL_ROLES when the call is stereo; emotion inference on employees"
        + " at work is prohibited in the EU (AI Act Art. 5(1)(f)): choose the customer's channel"
        + " (channel=left or right)";
  }

  /** Whether FFmpeg should keep the source's channels (true) or downmix to mono (false). */
  public boolean splitsChannels() {
    return mode != Mode.MIX;
  }

  /**
   * The tracks to cut from audio decoded with {@code sourceChannels} interleaved channels.
   *
   * @throws IngestException when a channel is to be picked from more than two: the left and right
   *     of 5.1 are its front speakers, not a call's two sides (its voice is mostly in the centre),
   *     and analysing them, as was done, gave another voice than the one asked for without a word
   *     (found by a hostile-user pass)
   */
  public List<Track> tracks(int sourceChannels) {
    if (mode == Mode.MIX || sourceChannels < 2) {
      return List.of(new Track(0, null));
    }
    if (sourceChannels > 2) {
      throw new IngestException(tooManyChannels(sourceChannels));
    }
    List<Track> tracks = new ArrayList<>(2);
    for (Channel channel : Channel.values()) {
      if (mode == Mode.BOTH || mode.name().equals(channel.name())) {
        String role = roles.get(channel);
        tracks.add(
            new Track(
                channel.index,
                role != null
                    ? role
                    : mode == Mode.BOTH ? channel.name().toLowerCase(Locale.ROOT) : null));
      }
    }
    return tracks;
  }

  /** Why a channel cannot be picked from a source with {@code sourceChannels} (more than 2). */
  public String tooManyChannels(int sourceChannels) {
    return "channel "
        + mode.name().toLowerCase(Locale.ROOT)
        + " takes the sides of a stereo call, but the source has "
        + sourceChannels
        + " audio channels (its left and right are not a call's two sides: in 5.1 they are the"
        + " front speakers); analyse its mix (channel=mix, EMOSTREAM_AUDIO_CHANNEL=mix) or send the"
        + " call's stereo recording";
  }

  /** Whether sampled frames go with the clips: not when each channel is its own speaker stream. */
  public boolean publishesFrames(int sourceChannels) {
    return mode != Mode.BOTH || sourceChannels < 2;
  }

  /** One channel of interleaved samples. Pure. */
  public static short[] channel(short[] interleaved, int channels, int channel) {
    if (channels < 1 || channel < 0 || channel >= channels) {
      throw new IllegalArgumentException("channel " + channel + " of " + channels);
    }
    int frames = interleaved.length / channels;
    short[] out = new short[frames];
    for (int i = 0; i < frames; i++) {
      out[i] = interleaved[i * channels + channel];
    }
    return out;
  }
}
