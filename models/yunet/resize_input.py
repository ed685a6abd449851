#!/usr/bin/env python3
"""Writes a copy of YuNet (face_detection_yunet_2023mar.onnx) whose input height and width are
dynamic (or fixed to a given size), and checks it with ONNX Runtime.

The 2023mar graph is fully convolutional: its two Resize nodes take scales (2x), not sizes, and its
twelve Reshape nodes take [1, -1, k]; only the declared input [1, 3, 640, 640], the declared output
shapes [1, N, k] and the stored intermediate shapes (value_info) name 640. This script rewrites
exactly those and leaves every weight and node as it is.

Check: the copy must give the original's outputs bit for bit at 640x640, and output shapes
[1, (H/s)*(W/s), k] for s in 8, 16, 32 at the other sizes tried.

  python3 models/yunet/resize_input.py                       # the dynamic copy, next to the original
  python3 models/yunet/resize_input.py --size 384x640        # a fixed HxW copy instead
  python3 models/yunet/resize_input.py --bgr8                # the dynamic copy taking uint8 [1,H,W,3]

--bgr8 also puts a Cast (uint8 -> float) and a Transpose (NHWC -> NCHW) in front of the graph, so
that the copy takes interleaved BGR bytes as a decoded JPEG holds them; the first convolution gets
the same floats. Check: the bytes copy must give the float copy's outputs bit for bit at every size
tried, on the same random image.
"""

import argparse
import pathlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

HERE = pathlib.Path(__file__).resolve().parent
ORIGINAL = HERE / "face_detection_yunet_2023mar.onnx"
STRIDES = (8, 16, 32)


def resized(model, height, width):
    """The model with input [1, 3, height, width] (an int, or a str for a symbolic dim)."""
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    for dim, value in ((dims[2], height), (dims[3], width)):
        dim.Clear()
        if isinstance(value, int):
            dim.dim_value = value
        else:
            dim.dim_param = value
    for output in graph.output:
        anchors = output.type.tensor_type.shape.dim[1]
        stride = int(output.name.split("_")[1])
        anchors.Clear()
        if isinstance(height, int) and isinstance(width, int):
            anchors.dim_value = (height // stride) * (width // stride)
        else:
            anchors.dim_param = "anchors_" + str(stride)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return model


def bgr8(model):
    """The model taking uint8 [1, H, W, 3] BGR as its input "bgr", cast and transposed in the graph."""
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    height = dims[2].dim_param or dims[2].dim_value
    width = dims[3].dim_param or dims[3].dim_value
    original = graph.input[0].name
    cast = helper.make_node("Cast", ["bgr"], ["bgr_float"], to=TensorProto.FLOAT, name="bgr_to_float")
    transpose = helper.make_node(
        "Transpose", ["bgr_float"], [original], perm=[0, 3, 1, 2], name="nhwc_to_nchw"
    )
    nodes = [cast, transpose] + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.input[:]
    graph.input.append(
        helper.make_tensor_value_info("bgr", TensorProto.UINT8, [1, height, width, 3])
    )
    onnx.checker.check_model(model)
    return model


def run(path, image):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    feed = session.get_inputs()[0].name
    return dict(zip(names, session.run(names, {feed: image})))


def check_bgr8(floats, copy, sizes):
    rng = np.random.default_rng(17)
    image = rng.integers(0, 256, (1, 1280, 1280, 3), dtype=np.uint8)
    for height, width in sizes:
        part = image[:, :height, :width, :].copy()
        want = run(floats, part.transpose(0, 3, 1, 2).astype(np.float32).copy())
        got = run(copy, part)
        for name in want:
            if not np.array_equal(want[name], got[name]):
                raise SystemExit(f"{copy.name}: output {name} at {height}x{width} differs")
    print(f"{copy.name}: identical to {floats.name} at {sizes}")


def check(original, copy, sizes, dynamic):
    rng = np.random.default_rng(17)
    image = rng.uniform(0, 255, (1, 3, 1280, 1280)).astype(np.float32)
    if dynamic:
        full = image[:, :, :640, :640].copy()
        want, got = run(original, full), run(copy, full)
        for name in want:
            if not np.array_equal(want[name], got[name]):
                raise SystemExit(f"{copy.name}: output {name} differs from the original at 640x640")
    for height, width in sizes:
        outputs = run(copy, image[:, :, :height, :width].copy())
        for name, value in outputs.items():
            stride = int(name.split("_")[1])
            if value.shape[1] != (height // stride) * (width // stride):
                raise SystemExit(f"{copy.name}: {name} at {height}x{width} has shape {value.shape}")
    same = "identical to the original at 640x640; " if dynamic else ""
    print(f"{copy.name}: {same}output shapes right at {sizes}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", help="HxW, both multiples of 32 (default: dynamic H and W)")
    parser.add_argument(
        "--bgr8", action="store_true", help="also write the dynamic copy that takes uint8 BGR"
    )
    args = parser.parse_args()
    model = onnx.load(str(ORIGINAL))
    if args.size:
        height, width = (int(v) for v in args.size.lower().split("x"))
        if height % 32 or width % 32 or height <= 0 or width <= 0:
            raise SystemExit(f"--size must be HxW with positive multiples of 32, got {args.size}")
        out = HERE / f"face_detection_yunet_2023mar_{height}x{width}.onnx"
        sizes = [(height, width)]
    else:
        height, width = "height", "width"
        out = HERE / "face_detection_yunet_2023mar_dynamic.onnx"
        sizes = [(384, 640), (480, 640), (640, 384), (320, 320), (192, 320), (32, 32)]
    onnx.save(resized(model, height, width), str(out))
    check(ORIGINAL, out, sizes, not args.size)
    if args.bgr8:
        copy = out.with_name(out.stem + "_bgr8.onnx")
        onnx.save(bgr8(onnx.load(str(out))), str(copy))
        check_bgr8(out, copy, sizes)


if __name__ == "__main__":
    main()
