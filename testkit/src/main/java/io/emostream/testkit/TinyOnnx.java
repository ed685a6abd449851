package io.emostream.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tiny ONNX models for tests, straight as ONNX protobuf (field numbers from onnx.proto), so
 * inference tests run real ONNX Runtime sessions on graphs whose outputs can be checked by hand.
 *
 * <pre>
 * TinyOnnx.graph()
 *     .input("input_values", "batch", "samples")
 *     .output("logits", "batch", 3)
 *     .initializer("w", new long[] {1, 3}, 1f, 2f, 3f)
 *     .node("ReduceMean", List.of("input_values"), List.of("m"), Map.of("axes", new long[] {1}))
 *     .node("Mul", List.of("m", "w"), List.of("logits"), Map.of())
 *     .write(path);
 * </pre>
 */
public final class TinyOnnx {

  private static final int FLOAT = 1;
  private static final int OPSET = 13;

  private final List<ByteString> nodes = new ArrayList<>();
  private final List<ByteString> initializers = new ArrayList<>();
  private final List<ByteString> inputs = new ArrayList<>();
  private final List<ByteString> outputs = new ArrayList<>();

  private TinyOnnx() {}

  public static TinyOnnx graph() {
    return new TinyOnnx();
  }

  /** A float input; each dim is a Number (fixed) or a String (symbolic). */
  public TinyOnnx input(String name, Object... dims) {
    inputs.add(valueInfo(name, dims));
    return this;
  }

  public TinyOnnx output(String name, Object... dims) {
    outputs.add(valueInfo(name, dims));
    return this;
  }

  public TinyOnnx initializer(String name, long[] dims, float... values) {
    initializers.add(
        message(
            out -> {
              for (long d : dims) {
                out.writeInt64(1, d);
              }
              out.writeInt32(2, FLOAT);
              out.writeByteArray(9, floatsLittleEndian(values));
              out.writeString(8, name);
            }));
    return this;
  }

  /** Attributes: Long (INT), Float (FLOAT), long[] (INTS), float[] (FLOATS). */
  public TinyOnnx node(
      String opType, List<String> in, List<String> out, Map<String, Object> attributes) {
    nodes.add(
        message(
            o -> {
              for (String s : in) {
                o.writeString(1, s);
              }
              for (String s : out) {
                o.writeString(2, s);
              }
              o.writeString(3, opType + "_" + nodes.size());
              o.writeString(4, opType);
              for (Map.Entry<String, Object> a : attributes.entrySet()) {
                o.writeBytes(5, attribute(a.getKey(), a.getValue()));
              }
            }));
    return this;
  }

  public byte[] bytes() {
    ByteString graph =
        message(
            o -> {
              for (ByteString n : nodes) {
                o.writeBytes(1, n);
              }
              o.writeString(2, "tiny");
              for (ByteString t : initializers) {
                o.writeBytes(5, t);
              }
              for (ByteString i : inputs) {
                o.writeBytes(11, i);
              }
              for (ByteString i : outputs) {
                o.writeBytes(12, i);
              }
            });
    return message(
            o -> {
              o.writeInt64(1, 8);
              o.writeString(2, "emostream-testkit");
              o.writeBytes(7, graph);
              o.writeBytes(
                  8,
                  message(
                      op -> {
                        op.writeString(1, "");
                        op.writeInt64(2, OPSET);
                      }));
            })
        .toByteArray();
  }

  public Path write(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return Files.write(file, bytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteString valueInfo(String name, Object... dims) {
    ByteString shape =
        message(
            o -> {
              for (Object d : dims) {
                o.writeBytes(
                    1,
                    message(
                        dim -> {
                          if (d instanceof Number n) {
                            dim.writeInt64(1, n.longValue());
                          } else {
                            dim.writeString(2, d.toString());
                          }
                        }));
              }
            });
    ByteString tensorType =
        message(
            o -> {
              o.writeInt32(1, FLOAT);
              o.writeBytes(2, shape);
            });
    ByteString type = message(o -> o.writeBytes(1, tensorType));
    return message(
        o -> {
          o.writeString(1, name);
          o.writeBytes(2, type);
        });
  }

  private static ByteString attribute(String name, Object value) {
    return message(
        o -> {
          o.writeString(1, name);
          if (value instanceof Float f) {
            o.writeFloat(2, f);
            o.writeInt32(20, 1);
          } else if (value instanceof Number n) {
            o.writeInt64(3, n.longValue());
            o.writeInt32(20, 2);
          } else if (value instanceof float[] fs) {
            for (float f : fs) {
              o.writeFloat(7, f);
            }
            o.writeInt32(20, 6);
          } else if (value instanceof long[] ls) {
            for (long l : ls) {
              o.writeInt64(8, l);
            }
            o.writeInt32(20, 7);
          } else {
            throw new IllegalArgumentException(
                "unsupported attribute type for " + name + ": " + value.getClass());
          }
        });
  }

  private static byte[] floatsLittleEndian(float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    return buffer.array();
  }

  private interface Writer {
    void write(CodedOutputStream out) throws IOException;
  }

  private static ByteString message(Writer writer) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      writer.write(out);
      out.flush();
      return ByteString.copyFrom(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
