#!/usr/bin/env python3
"""Builds `models/silero-vad/silero_vad_v5_sequence.onnx`: Silero VAD v5's 16 kHz graph, same weights, taking a
whole run of frames in one call instead of one frame per call.

Why: the stock graph (`silero_vad_v5.onnx`) takes one 576-sample frame (64 of context + 512) and the recurrent state
per run, and its LSTM cell is exported as about 80 elementwise nodes, so a 4 s clip is 125 runs of ~100 small kernels:
the audio worker spent as much CPU on the VAD as on the speech model. Only the LSTM is recurrent; the STFT and the
conv encoder see one frame at a time. So this graph runs them on every frame of the batch at once, then one ONNX
`LSTM` over the sequence, then the decoder (ReLU, 1x1 conv as a MatMul, sigmoid) on every step:

  frames [batch, steps, 576], state [2, batch, 128]  ->  output [batch, steps], stateN [2, batch, 128]

`output[b, t]` is what the stock graph answers for frame t of row b after frames 0..t-1 (each frame with its 64
samples of context, exactly as before), and `stateN` the state after the last step, so a signal fed in pieces gives
the same probabilities. The 16 kHz branch of the stock graph's `If` on `sr` is the one taken (emostream runs 16 kHz
only); the STFT and encoder nodes are copied from it unchanged; the LSTM cell's weights go into ONNX's gate order
(PyTorch i, f, g, o -> ONNX i, o, f, c). The script checks the result against the stock graph frame by frame on
real clips (and fails if any frame's probability differs by more than 1e-5 or any voiced-frame decision differs).

Usage (from the project root; venv with onnx, onnxruntime, soundfile):
  python training/audio/silero_sequence.py --check ../shared/data/ravdess-speech-16k ../shared/data/emodb-16k
"""
import argparse
import glob
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vad  # noqa: E402

FRAME_INPUT = vad.CONTEXT + vad.FRAME


def build(stock):
    model = onnx.load(stock)
    cond = [n for n in model.graph.node if n.op_type == "If"]
    sixteen = [n for n in model.graph.node if n.op_type == "Constant"
               and numpy_helper.to_array(n.attribute[0].t).tolist() == vad.SR]
    if len(cond) != 1 or len(sixteen) != 1 or list(cond[0].input) != [
            [n for n in model.graph.node if n.op_type == "Equal"][0].output[0]]:
        raise SystemExit(f"{stock} is not the Silero VAD v5 graph this script knows (one If on sr == 16000)")
    branch = [a.g for a in cond[0].attribute if a.name == "then_branch"][0]
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in branch.node if n.op_type == "Constant"}

    def const(suffix):
        names = [k for k in consts if k.endswith(suffix)]
        if len(names) != 1:
            raise SystemExit(f"expected one constant ending in {suffix}, found {names}")
        return consts[names[0]]

    # The STFT and the encoder, up to the last encoder ReLU, copied; their input is the frames as one batch.
    encoder_out = [n.output[0] for n in branch.node
                   if n.op_type == "Relu" and "/encoder/3/" in n.output[0]]
    if len(encoder_out) != 1:
        raise SystemExit("cannot find the encoder's last ReLU")
    encoder = []
    for n in branch.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(n)
        for i, name in enumerate(copy.input):
            if name == "input":
                copy.input[i] = "flat_frames"
        if copy.op_type != "Constant":
            encoder.append(copy)
        if encoder_out[0] in copy.output:
            break
    used = {i for n in encoder for i in n.input}
    encoder = [n for n in branch.node if n.op_type == "Constant" and n.output[0] in used] + encoder

    def gates(w):  # PyTorch LSTMCell rows i, f, g, o -> ONNX LSTM rows i, o, f, c
        i, f, g, o = np.split(w, 4, axis=0)
        return np.concatenate([i, o, f, g], axis=0)

    def c(name, value):
        return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name))

    hidden = const("decoder.rnn.weight_hh").shape[1]
    nodes = [
        c("i64_0", np.array([0], np.int64)), c("i64_1", np.array([1], np.int64)), c("i64_2", np.array([2], np.int64)),
        c("flat_shape", np.array([-1, FRAME_INPUT], np.int64)),
        c("hidden", np.array([hidden], np.int64)),
        helper.make_node("Reshape", ["frames", "flat_shape"], ["flat_frames"]),
        *encoder,
        # [batch * steps, hidden, 1] -> [batch, steps, hidden] -> [steps, batch, hidden]
        helper.make_node("Shape", ["frames"], ["frames_shape"]),
        helper.make_node("Slice", ["frames_shape", "i64_0", "i64_2"], ["batch_steps"]),
        helper.make_node("Concat", ["batch_steps", "hidden"], ["bsh"], axis=0),
        helper.make_node("Reshape", [encoder_out[0], "bsh"], ["encoded_bsh"]),
        helper.make_node("Transpose", ["encoded_bsh"], ["encoded"], perm=[1, 0, 2]),
        c("W", gates(const("decoder.rnn.weight_ih"))[None]),
        c("R", gates(const("decoder.rnn.weight_hh"))[None]),
        c("B", np.concatenate([gates(const("decoder.rnn.bias_ih")), gates(const("decoder.rnn.bias_hh"))])[None]),
        helper.make_node("Slice", ["state", "i64_0", "i64_1", "i64_0"], ["h0"]),
        helper.make_node("Slice", ["state", "i64_1", "i64_2", "i64_0"], ["c0"]),
        helper.make_node("LSTM", ["encoded", "W", "R", "B", "", "h0", "c0"], ["Y", "Y_h", "Y_c"], hidden_size=hidden),
        helper.make_node("Squeeze", ["Y", "i64_1"], ["hs"]),  # [steps, batch, hidden]
        helper.make_node("Relu", ["hs"], ["hs_relu"]),
        c("decoder_w", const("decoder.decoder.2.weight").reshape(1, hidden).T.copy()),
        c("decoder_b", const("decoder.decoder.2.bias")),
        helper.make_node("MatMul", ["hs_relu", "decoder_w"], ["logit_raw"]),
        helper.make_node("Add", ["logit_raw", "decoder_b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p_sb1"]),  # [steps, batch, 1]
        helper.make_node("Squeeze", ["p_sb1", "i64_2"], ["p_sb"]),
        helper.make_node("Transpose", ["p_sb"], ["output"], perm=[1, 0]),
        helper.make_node("Concat", ["Y_h", "Y_c"], ["stateN"], axis=0),
    ]
    graph = helper.make_graph(
        nodes, "silero_vad_v5_sequence",
        [helper.make_tensor_value_info("frames", TensorProto.FLOAT, ["batch", "steps", FRAME_INPUT]),
         helper.make_tensor_value_info("state", TensorProto.FLOAT, [2, "batch", hidden])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", "steps"]),
         helper.make_tensor_value_info("stateN", TensorProto.FLOAT, [2, "batch", hidden])])
    out = helper.make_model(graph, opset_imports=model.opset_import, ir_version=model.ir_version,
                            producer_name="emostream training/audio/silero_sequence.py")
    out.doc_string = ("Silero VAD v5 (Silero Team, MIT), 16 kHz branch, frames of a sequence in one call; "
                      "derived from silero_vad_v5.onnx by training/audio/silero_sequence.py")
    onnx.checker.check_model(out, full_check=True)
    return out


def frames_of(x):
    """[steps, 576]: frame t = the 64 samples before it (zeros before the clip) + its 512 (zero-padded)."""
    steps = -(-len(x) // vad.FRAME)
    padded = np.zeros(vad.CONTEXT + steps * vad.FRAME, np.float32)
    padded[vad.CONTEXT:vad.CONTEXT + len(x)] = x
    return np.stack([padded[t * vad.FRAME:t * vad.FRAME + FRAME_INPUT] for t in range(steps)])


def check(stock, sequence, dirs):
    import onnxruntime as ort
    import soundfile as sf
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    seq = ort.InferenceSession(sequence, opts, providers=["CPUExecutionProvider"])
    ref = vad.SileroVad(stock)
    files = sorted(f for d in dirs for f in glob.glob(os.path.join(d, "**", "*.*"), recursive=True)
                   if f.endswith((".wav", ".flac")))
    worst, frames, flips = 0.0, 0, 0
    for start in range(0, len(files), 64):
        wavs = [w for w in (sf.read(f, dtype="float32")[0] for f in files[start:start + 64]) if len(w)]
        expected = ref.frame_probs(wavs)
        for w, e in zip(wavs, expected):
            got, state = seq.run(None, {"frames": frames_of(w)[None], "state": np.zeros((2, 1, 128), np.float32)})
            got = got[0]
            worst = max(worst, float(np.abs(got - e).max()))
            frames += len(e)
            flips += int(np.sum((got >= 0.5) != (e >= 0.5)))
    print(f"{len(files)} clips, {frames} frames: largest difference from the stock graph {worst:.2e}, "
          f"{flips} frames on the other side of 0.5")
    # A signal fed in two pieces, the state carried: the same probabilities as in one piece.
    w = sf.read(files[0], dtype="float32")[0]
    f = frames_of(w)[None]
    whole, _ = seq.run(None, {"frames": f, "state": np.zeros((2, 1, 128), np.float32)})
    a, s = seq.run(None, {"frames": f[:, :40], "state": np.zeros((2, 1, 128), np.float32)})
    b, _ = seq.run(None, {"frames": f[:, 40:], "state": s})
    split = float(np.abs(np.concatenate([a, b], axis=1) - whole).max())
    print(f"fed in two pieces: largest difference {split:.2e}")
    if worst > 1e-5 or flips or split > 1e-6:
        raise SystemExit("the sequence graph does not reproduce the stock graph")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stock", default=os.path.join(root, "models", "silero-vad", "silero_vad_v5.onnx"))
    ap.add_argument("--out", default=os.path.join(root, "models", "silero-vad", "silero_vad_v5_sequence.onnx"))
    ap.add_argument("--check", nargs="*", default=[], metavar="DIR",
                    help="folders of 16 kHz clips to compare the two graphs on, frame by frame")
    args = ap.parse_args()
    onnx.save(build(args.stock), args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out):,} bytes)")
    if args.check:
        check(args.stock, args.out, args.check)


if __name__ == "__main__":
    main()
