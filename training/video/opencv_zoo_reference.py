#!/usr/bin/env python3
"""Independent reference for the face path: OpenCV Zoo's recipe for the MobileFaceNet expression model, in Python.

It answers one question: when the Java video worker labels a clip, is that the model's answer or a bug in our
pre-processing? It re-implements, with OpenCV and NumPy only, what OpenCV Zoo's demo does:

* YuNet on the full frame, padded to a multiple of 32 (as cv.FaceDetectorYN does), decoded at strides 8/16/32
  (score = sqrt(cls * obj), box centre/size from the anchor, five landmarks), score threshold 0.9, NMS 0.3;
* the largest face, warped onto the 112x112 reference points by the least-squares similarity transform,
  BGR -> RGB, (x / 255 - 0.5) / 0.5, NCHW;
* the expression model; softmax over its logits; the clip posterior is the mean over frames.

Debian's OpenCV (4.6) cannot run the int8 QOperator graph, so the script first rewrites it into an fp32 graph
with the same int8 weights dequantised (QLinearConv -> Conv, QLinearAdd -> Add, QLinearMatMul -> MatMul,
Quantize/DequantizeLinear dropped): activations are no longer rounded to 8 bits, the weights are exactly the
int8 ones. The Java worker runs the original int8 graph with ONNX Runtime.

    apt-get install python3-opencv python3-onnx
    /usr/bin/python3 training/video/opencv_zoo_reference.py ../shared/data/av-clips/*.mp4 ../shared/data/face-images/demo_q*.png

Videos: 32 frames evenly spaced over the whole file (the worker's default sampling of one 4 s segment).
"""
import argparse
import os
import sys
import tempfile

import cv2 as cv
import numpy as np
import onnx
from onnx import helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
YUNET = os.path.join(ROOT, "models/yunet/face_detection_yunet_2023mar.onnx")
FER = os.path.join(ROOT, "models/fer-mobilefacenet/facial_expression_recognition_mobilefacenet_2022july_int8.onnx")
LABELS = ["angry", "disgust", "fearful", "happy", "neutral", "sad", "surprised"]
REFERENCE_POINTS = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                             [41.5493, 92.3655], [70.7299, 92.2041]])


def dequantise(src, dst):
    """Writes an fp32 copy of a QOperator int8 graph (weights dequantised, activation quantisation dropped)."""
    model = onnx.load(src)
    graph = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    extra, nodes, alias = [], [], {}

    def name_of(x):
        return alias.get(x, x)

    def as_float(x, scale, zero):
        if x not in consts:
            return name_of(x)
        w, s, z = (consts[n].astype(np.float64) for n in (x, scale, zero))
        if s.ndim == 1 and s.size > 1:  # per output channel
            shape = [-1] + [1] * (w.ndim - 1)
            s, z = s.reshape(shape), z.reshape(shape)
        out = f"t{len(extra)}"
        extra.append(numpy_helper.from_array(((w - z) * s).astype(np.float32), out))
        return out

    for n in graph.node:
        i = list(n.input)
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            alias[n.output[0]] = name_of(i[0])
        elif n.op_type == "QLinearConv":
            inputs = [name_of(i[0]), as_float(i[3], i[4], i[5])]
            if len(i) > 8:  # int32 bias, scale x_scale * w_scale
                bias = consts[i[8]].astype(np.float64) * consts[i[1]] * consts[i[4]]
                inputs.append(f"t{len(extra)}")
                extra.append(numpy_helper.from_array(bias.astype(np.float32), inputs[-1]))
            conv = helper.make_node("Conv", inputs, [n.output[0]])
            conv.attribute.extend(n.attribute)
            nodes.append(conv)
        elif n.op_type in ("QLinearAdd", "QLinearMatMul"):
            op = "Add" if n.op_type == "QLinearAdd" else "MatMul"
            nodes.append(helper.make_node(op, [as_float(i[0], i[1], i[2]), as_float(i[3], i[4], i[5])], [n.output[0]]))
        else:
            node = helper.make_node(n.op_type, [name_of(x) for x in i], list(n.output))
            node.attribute.extend(n.attribute)
            nodes.append(node)
    produced = {o for n in nodes for o in n.output}
    for out in graph.output:
        if out.name not in produced:
            nodes.append(helper.make_node("Identity", [name_of(out.name)], [out.name]))
    used = {x for n in nodes for x in n.input}
    kept = [i for i in graph.initializer if i.name in used] + extra
    # OpenCV's importer trips over tensor names that look quantised: give every inner tensor a plain name.
    rename = {}
    for n in nodes:
        for seq in (n.input, n.output):
            for k, x in enumerate(seq):
                if x and x not in ("data", "label"):
                    seq[k] = rename.setdefault(x, f"v{len(rename)}")
    for init in kept:
        init.name = rename.get(init.name, init.name)
    out = helper.make_model(helper.make_graph(nodes, "fer_fp32", list(graph.input), list(graph.output), kept),
                            opset_imports=model.opset_import)
    out.ir_version = model.ir_version
    onnx.checker.check_model(out)
    onnx.save(out, dst)


class YuNet:
    def __init__(self, path, score=0.9, nms=0.3):
        self.net, self.score, self.nms = cv.dnn.readNet(path), score, nms

    def detect(self, image):
        h, w = image.shape[:2]
        pw, ph = ((w - 1) // 32 + 1) * 32, ((h - 1) // 32 + 1) * 32
        padded = cv.copyMakeBorder(image, 0, ph - h, 0, pw - w, cv.BORDER_CONSTANT, value=0)
        self.net.setInput(cv.dnn.blobFromImage(padded))
        names = self.net.getUnconnectedOutLayersNames()
        out = dict(zip(names, self.net.forward(names)))
        boxes, scores, marks = [], [], []
        for stride in (8, 16, 32):
            cols = pw // stride
            cls = np.clip(out[f"cls_{stride}"][0, :, 0], 0, 1)
            obj = np.clip(out[f"obj_{stride}"][0, :, 0], 0, 1)
            score = np.sqrt(cls * obj)
            for idx in np.nonzero(score >= self.score)[0]:
                r, c = divmod(int(idx), cols)
                b = out[f"bbox_{stride}"][0, idx]
                cx, cy = (c + b[0]) * stride, (r + b[1]) * stride
                bw, bh = np.exp(b[2]) * stride, np.exp(b[3]) * stride
                k = out[f"kps_{stride}"][0, idx]
                boxes.append([cx - bw / 2, cy - bh / 2, bw, bh])
                scores.append(float(score[idx]))
                marks.append([[(k[2 * n] + c) * stride, (k[2 * n + 1] + r) * stride] for n in range(5)])
        keep = np.array(cv.dnn.NMSBoxes(boxes, scores, self.score, self.nms)).flatten()
        return [(np.array(boxes[i]), np.array(marks[i])) for i in keep]


def similarity(src, dst):
    """2x3 similarity transform mapping src points onto dst (least squares, no reflection)."""
    n = len(dst)
    x, y = dst[:, :1], dst[:, 1:]
    a = np.vstack((np.hstack((x, y, np.ones((n, 1)), np.zeros((n, 1)))),
                   np.hstack((y, -x, np.zeros((n, 1)), np.ones((n, 1))))))
    sc, ss, tx, ty = np.linalg.lstsq(a, np.vstack((src[:, :1], src[:, 1:])), rcond=None)[0].ravel()
    dst_to_src = np.array([[sc, -ss, 0], [ss, sc, 0], [tx, ty, 1]])
    return np.linalg.inv(dst_to_src)[:, :2].T


def frames_of(path, count):
    if path.lower().endswith((".png", ".jpg", ".jpeg")):
        return [cv.imread(path, cv.IMREAD_COLOR)]
    cap, frames = cv.VideoCapture(path), []
    ok, frame = cap.read()
    while ok:
        frames.append(frame)
        ok, frame = cap.read()
    picks = np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int)
    return [frames[i] for i in picks]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="+", help="videos or photos")
    parser.add_argument("--frames", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, "fer_fp32.onnx")
        dequantise(FER, fp32)
        fer, yunet = cv.dnn.readNet(fp32), YuNet(YUNET)
        for path in args.inputs:
            posteriors, frames = [], frames_of(path, args.frames)
            for frame in frames:
                faces = yunet.detect(frame)
                if not faces:
                    continue
                _, marks = max(faces, key=lambda f: f[0][2] * f[0][3])
                face = cv.warpAffine(frame, similarity(marks, REFERENCE_POINTS), (112, 112))
                face = (cv.cvtColor(face, cv.COLOR_BGR2RGB).astype(np.float32) / 255.0 - 0.5) / 0.5
                fer.setInput(cv.dnn.blobFromImage(face))
                z = fer.forward()[0].astype(np.float64)
                p = np.exp(z - z.max())
                posteriors.append(p / p.sum())
            name = os.path.basename(path)
            if not posteriors:
                print(f"{name}: no face in {len(frames)} frames")
                continue
            mean = np.mean(posteriors, axis=0)
            votes = np.bincount([int(np.argmax(p)) for p in posteriors], minlength=len(LABELS))
            top = np.argsort(-mean)[:3]
            print(f"{name}: {LABELS[top[0]]} {mean[top[0]]:.3f} | "
                  + ", ".join(f"{LABELS[i]} {mean[i]:.3f}" for i in top)
                  + f" | face in {len(posteriors)}/{len(frames)} frames, frame votes "
                  + ", ".join(f"{LABELS[i]} {v}" for i, v in enumerate(votes) if v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
