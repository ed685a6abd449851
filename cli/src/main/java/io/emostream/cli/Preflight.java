package io.emostream.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import io.emostream.audio.AudioWorkerMain;
import io.emostream.audio.VadConfig;
import io.emostream.cli.Main.InputException;
import io.emostream.inference.ModelManifest;
import io.emostream.kafka.Env;
import io.emostream.video.VideoWorkerMain;

/** Checks made before the platform starts, so a wrong setting costs a second and one clear line, not a trace. */
final class Preflight {

  private Preflight() {
  }

  /** Both models' manifests (and the ONNX files they name) exist and parse; so does the VAD model when it is on. */
  static void checkModels(Env env, Path home) {
    checkModel(env, "AUDIO", home.resolve(AudioWorkerMain.DEFAULT_MODEL));
    checkModel(env, "VIDEO", home.resolve(VideoWorkerMain.DEFAULT_MODEL));
    VadConfig vad;
    try {
      vad = VadConfig.fromEnv(env, home.resolve(VadConfig.DEFAULT_MODEL));
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    if (vad.enabled() && !Files.isRegularFile(vad.model())) {
      throw new InputException("the voice-activity model " + vad.model() + " does not exist; restore it (git checkout "
          + "models/), point EMOSTREAM_VAD_MODEL at silero_vad_v5.onnx, or set EMOSTREAM_VAD=off");
    }
  }

  private static void checkModel(Env env, String prefix, Path defaultManifest) {
    String variable = "EMOSTREAM_" + prefix + "_MODEL";
    Path manifest = env.path(variable, defaultManifest);
    String what = prefix.toLowerCase() + " model";
    if (!Files.isRegularFile(manifest)) {
      throw new InputException("the " + what + " manifest " + manifest + " does not exist; set " + variable
          + " to a model folder's manifest.json (shipped: " + defaultManifest + ")");
    }
    ModelManifest parsed;
    try {
      parsed = ModelManifest.load(manifest);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage() + "; fix the manifest or point " + variable + " at another model");
    }
    Path onnx = manifest.toAbsolutePath().getParent().resolve(parsed.file());
    if (!Files.isRegularFile(onnx)) {
      throw new InputException("the " + what + " file " + onnx + " named by " + manifest + " does not exist; "
          + "restore it (git checkout models/) or point " + variable + " at another model");
    }
  }

  /** Port 0 means any free port and always passes. */
  static void checkPortFree(String host, int port, String what, String variable) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new InputException(what + " port " + port + " on " + host + " is already in use (another "
          + "'emostream up' or Kafka?); stop that process or set " + variable + " to a free port");
    }
  }
}
