package io.emostream.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Emotion labels and speakers from the file names of the two corpora the papers use, mapped onto
 * the canonical labels. Pure.
 *
 * <ul>
 *   <li>RAVDESS: {@code modality-channel-emotion-intensity-statement-repetition-actor}, seven
 *       two-digit fields, e.g. {@code 03-01-05-01-02-01-12.wav}; emotion 01 neutral, 02 calm, 03
 *       happy, 04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised; the speaker is the actor
 *       (01-24).
 *   <li>CREMA-D: {@code actor_sentence_emotion_level}, e.g. {@code 1001_DFA_ANG_XX.wav}; ANG angry,
 *       DIS disgust, FEA fearful, HAP happy, NEU neutral, SAD sad (CREMA-D has no calm and no
 *       surprised); the speaker is the actor id (1001-1091).
 *   <li>EmoDB: {@code speaker sentence emotion version}, e.g. {@code 03a01Fa.wav}: two-digit
 *       speaker, sentence ({@code a01}-{@code b10}), one letter of German emotion (W Ärger angry, E
 *       Ekel disgust, A Angst fearful, F Freude happy, T Trauer sad, N neutral; L Langeweile,
 *       boredom, has no canonical label and is left out), a version letter; the speaker is {@code
 *       emodb-NN}.
 *   <li>TESS (Toronto emotional speech set): {@code speaker_word_emotion}, e.g. {@code
 *       OAF_back_angry.wav}, speaker OAF or YAF; angry, disgust, fear, happy, neutral, sad, ps
 *       (pleasant surprise: surprised), in any case; the speaker is {@code tess-OAF}.
 *   <li>SAVEE (Surrey audio-visual expressed emotion): {@code speaker_emotion NN}, e.g. {@code
 *       DC_sa01.wav}, or the original layout, the file {@code sa01.wav} in a folder named after the
 *       speaker ({@code AudioData/DC/}); speakers DC, JE, JK, KL; a angry, d disgust, f fearful, h
 *       happy, n neutral, sa sad, su surprised; the speaker is {@code savee-DC}.
 * </ul>
 *
 * A file that follows none of them, or whose emotion has no canonical label, is {@link LeftOut}
 * with its reason, so that the caller can say what it did not score.
 */
public final class DatasetLabels {

  /** A file with its true canonical label and its speaker (for subject-wise folds). */
  public record LabelledFile(Path path, String label, String subject, String corpus) {}

  private static final Pattern RAVDESS =
      Pattern.compile("(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})");

  /** A media file that is not scored, the corpus its name follows (null: none) and why. */
  public record LeftOut(Path path, String corpus, String reason) {}

  /** Either a labelled file or why a file is left out (exactly one is non-null). */
  public record Classified(LabelledFile labelled, LeftOut leftOut) {}

  static final String UNKNOWN_NAME =
      "not named by the RAVDESS, CREMA-D, EmoDB, TESS or SAVEE convention";
  static final String EMODB_BOREDOM = "EmoDB boredom (L) has no canonical label";

  private static final Pattern EMODB = Pattern.compile("(\\d{2})([ab]\\d{2})([WLEAFTN])([a-z])");
  private static final Map<String, String> EMODB_EMOTIONS =
      Map.of(
          "W", "angry", "E", "disgust", "A", "fearful", "F", "happy", "T", "sad", "N", "neutral");
  private static final Pattern CREMA_D =
      Pattern.compile("(\\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2}|X|\\w{1,3})");

  private static final Map<String, String> RAVDESS_EMOTIONS =
      Map.of(
          "01",
          "neutral",
          "02",
          "calm",
          "03",
          "happy",
          "04",
          "sad",
          "05",
          "angry",
          "06",
          "fearful",
          "07",
          "disgust",
          "08",
          "surprised");
  private static final Map<String, String> CREMA_D_EMOTIONS =
      Map.of(
          "ANG", "angry", "DIS", "disgust", "FEA", "fearful", "HAP", "happy", "NEU", "neutral",
          "SAD", "sad");

  private static final Pattern TESS =
      Pattern.compile(
          "(OAF|YAF)_[A-Za-z]+_(angry|disgust|fear|happy|neutral|sad|ps)",
          Pattern.CASE_INSENSITIVE);
  private static final Map<String, String> TESS_EMOTIONS =
      Map.of(
          "angry",
          "angry",
          "disgust",
          "disgust",
          "fear",
          "fearful",
          "happy",
          "happy",
          "neutral",
          "neutral",
          "sad",
          "sad",
          "ps",
          "surprised");
  private static final String SAVEE_SPEAKERS = "DC|JE|JK|KL";
  private static final Pattern SAVEE_SPEAKER = Pattern.compile(SAVEE_SPEAKERS);
  private static final Pattern SAVEE =
      Pattern.compile("(" + SAVEE_SPEAKERS + ")_(sa|su|[adfhn])\\d{2}");
  private static final Pattern SAVEE_IN_FOLDER = Pattern.compile("(sa|su|[adfhn])\\d{2}");
  private static final Map<String, String> SAVEE_EMOTIONS =
      Map.of(
          "a",
          "angry",
          "d",
          "disgust",
          "f",
          "fearful",
          "h",
          "happy",
          "n",
          "neutral",
          "sa",
          "sad",
          "su",
          "surprised");

  private DatasetLabels() {}

  /**
   * The label of a file named by one of the conventions; empty when it is left out ({@link
   * #classify}).
   */
  public static Optional<LabelledFile> parse(Path file) {
    return Optional.ofNullable(classify(file).labelled());
  }

  /** The labelled file, or why it is left out. */
  public static Classified classify(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    Matcher r = RAVDESS.matcher(stem);
    if (r.matches() && RAVDESS_EMOTIONS.containsKey(r.group(3))) {
      return labelled(
          new LabelledFile(
              file, RAVDESS_EMOTIONS.get(r.group(3)), "ravdess-" + r.group(7), "RAVDESS"));
    }
    Matcher c = CREMA_D.matcher(stem);
    if (c.matches() && CREMA_D_EMOTIONS.containsKey(c.group(3))) {
      return labelled(
          new LabelledFile(
              file, CREMA_D_EMOTIONS.get(c.group(3)), "crema-d-" + c.group(1), "CREMA-D"));
    }
    Matcher e = EMODB.matcher(stem);
    if (e.matches()) {
      if (e.group(3).equals("L")) {
        return new Classified(null, new LeftOut(file, "EmoDB", EMODB_BOREDOM));
      }
      return labelled(
          new LabelledFile(file, EMODB_EMOTIONS.get(e.group(3)), "emodb-" + e.group(1), "EmoDB"));
    }
    Matcher t = TESS.matcher(stem);
    if (t.matches()) {
      String speaker = t.group(1).toUpperCase(Locale.ROOT);
      return labelled(
          new LabelledFile(
              file,
              TESS_EMOTIONS.get(t.group(2).toLowerCase(Locale.ROOT)),
              "tess-" + speaker,
              "TESS"));
    }
    Matcher v = SAVEE.matcher(stem);
    if (v.matches()) {
      return labelled(
          new LabelledFile(file, SAVEE_EMOTIONS.get(v.group(2)), "savee-" + v.group(1), "SAVEE"));
    }
    Path parent = file.getParent();
    String folder =
        parent == null || parent.getFileName() == null ? "" : parent.getFileName().toString();
    Matcher inFolder = SAVEE_IN_FOLDER.matcher(stem);
    if (SAVEE_SPEAKER.matcher(folder).matches() && inFolder.matches()) {
      return labelled(
          new LabelledFile(
              file, SAVEE_EMOTIONS.get(inFolder.group(1)), "savee-" + folder, "SAVEE"));
    }
    return new Classified(null, new LeftOut(file, null, UNKNOWN_NAME));
  }

  private static Classified labelled(LabelledFile file) {
    return new Classified(file, null);
  }
}
