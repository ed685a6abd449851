package io.emostream.inference;

/** Where ONNX Runtime runs a model. */
public enum Device {
  CPU,
  CUDA
}
