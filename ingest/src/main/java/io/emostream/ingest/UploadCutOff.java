package io.emostream.ingest;

import java.io.IOException;

/**
 * Why a streamed body stopped being read before its end: a limit was passed or the client went
 * quiet. {@code status} is the HTTP status that says so, {@code reason} the tag of {@code
 * emostream.ingest.http.cutoff} (null when it is not counted there).
 */
public final class UploadCutOff extends IOException {

  private final int status;
  private final String reason;

  public UploadCutOff(int status, String message, String reason) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  public int status() {
    return status;
  }

  public String reason() {
    return reason;
  }
}
