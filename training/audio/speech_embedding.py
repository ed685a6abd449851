#!/usr/bin/env python3
"""Google's speech_embedding (openWakeWord's ONNX conversion) re-built as torch modules from the ONNX weights.

`melspectrogram.onnx` (16 kHz int16-scale audio -> 32 log-mel bands, 10 ms hop) and `embedding_model.onnx` (76 mel
frames -> one 96-d embedding; openWakeWord slides it by 8 frames) are plain chains of Conv / Pow / MatMul / Log /
Clip and Conv / BatchNorm / LeakyRelu / Max / MaxPool. Here the same weights run as torch ops, so the embedding can
be part of one exported waveform-in graph and be trained around. Two deliberate differences from the ONNX files,
both checked in `check_against_onnx` below:

- the 80 dB floor of the mel front end is taken per clip (the ONNX file takes the max over the whole batch, which
  is the same thing for batch 1, the way openWakeWord runs it);
- the embedding network is fully convolutional along time with a total time stride of 8 and a receptive field of
  76 frames, so it is run once over the whole mel sequence: output j equals the embedding of the window of frames
  [8j, 8j + 76), i.e. openWakeWord's sliding windows, without recomputing the overlaps.
"""
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

MEL_WINDOW = 76     # mel frames per embedding window
MEL_STRIDE = 8      # frames between windows
MIN_SAMPLES = 512 + 160 * (MEL_WINDOW - 1)   # 12512 samples (0.782 s) give exactly one window
TAIL_START = 51    # steps from here on (convolutions 15-19) are the tail that train_v2.py --tune-tail trains;
                   # before them the time axis is at a quarter of the mel frames' rate: window j <-> [2 j, 2 j + 10)


def _inits(model):
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


class OwwMelFrontEnd(nn.Module):
    """waveform in [-1, 1] [B, S] -> openWakeWord mel features [B, T, 32] (10 log10 power, 80 dB floor, /10 + 2)."""

    def __init__(self, mel_onnx_path):
        super().__init__()
        w = _inits(onnx.load(mel_onnx_path))
        self.register_buffer("conv_real", torch.from_numpy(w["0.stft.conv_real.weight"].copy()))
        self.register_buffer("conv_imag", torch.from_numpy(w["0.stft.conv_imag.weight"].copy()))
        self.register_buffer("mel_w", torch.from_numpy(w["1.melW"].copy()))
        self.clip_min = float(w["onnx::Clip_39"])

    def forward(self, wav):
        x = (wav * 32768.0).unsqueeze(1)                            # the ONNX file takes the int16 scale
        re = F.conv1d(x, self.conv_real, stride=160)                # [B, 257, T]
        im = F.conv1d(x, self.conv_imag, stride=160)
        p = (re * re + im * im).transpose(1, 2)                     # [B, T, 257]
        db = 10.0 * torch.log10(torch.clamp(torch.matmul(p, self.mel_w), min=self.clip_min))
        floor = db.amax(dim=(1, 2), keepdim=True) - 80.0
        return torch.maximum(db, floor) / 10.0 + 2.0


class EmbeddingNet(nn.Module):
    """openWakeWord mel features [B, T, 32] (T >= 76) -> embeddings [B, (T - 76) // 8 + 1, 96]."""

    def __init__(self, emb_onnx_path):
        super().__init__()
        m = onnx.load(emb_onnx_path)
        w = _inits(m)
        self.steps = []
        convs, n_conv = nn.ModuleList(), 0
        for node in m.graph.node:
            a = {x.name: onnx.helper.get_attribute_value(x) for x in node.attribute}
            if node.op_type == "Conv":
                weight = torch.from_numpy(w[node.input[1]].copy())
                bias = torch.from_numpy(w[node.input[2]].copy()) if len(node.input) > 2 else None
                kh, kw = weight.shape[2:]
                pads = a.get("pads", [0, 0, 0, 0])
                assert pads[0] == pads[2] and pads[1] == pads[3], pads
                c = nn.Conv2d(weight.shape[1], weight.shape[0], (kh, kw), padding=(pads[0], pads[1]),
                              bias=bias is not None)
                c.weight.data.copy_(weight)
                if bias is not None:
                    c.bias.data.copy_(bias)
                c.requires_grad_(False)
                convs.append(c)
                self.steps.append(("conv", n_conv))
                n_conv += 1
            elif node.op_type == "BatchNormalization":
                scale, b, mean, var = (w[n] for n in node.input[1:5])
                k = scale / np.sqrt(var + a["epsilon"])
                self.register_buffer(f"bn_k{len(self.steps)}", torch.from_numpy(k.astype(np.float32)).view(1, -1, 1, 1))
                self.register_buffer(f"bn_b{len(self.steps)}",
                                     torch.from_numpy((b - mean * k).astype(np.float32)).view(1, -1, 1, 1))
                self.steps.append(("bn", len(self.steps)))
            elif node.op_type == "Relu":
                self.steps.append(("relu", None))
            elif node.op_type == "LeakyRelu":
                self.steps.append(("leaky", float(a["alpha"])))
            elif node.op_type == "Max":
                self.steps.append(("max", float(w[node.input[1]].reshape(-1)[0])))
            elif node.op_type == "MaxPool":
                assert a.get("pads", [0, 0, 0, 0]) == [0, 0, 0, 0]
                self.steps.append(("pool", (tuple(a["kernel_shape"]), tuple(a["strides"]))))
            elif node.op_type in ("Pad", "Reshape"):
                continue     # Pad: 1 mel band each side (done in forward); Reshape: NHWC [B,76,34,1] -> [B,1,76,34]
            else:
                raise ValueError(f"unexpected op {node.op_type} in {emb_onnx_path}")
        self.convs = convs

    def forward(self, mel):
        return self.tail(self.front(mel))

    def front(self, mel):
        """The steps before the last five convolutions: [B, T, 32] -> [B, 96, 2 W + 8, 2] (W windows)."""
        return self._run(F.pad(mel, (1, 1)).unsqueeze(1), self.steps[:TAIL_START])   # [B, 1, T, 34] in

    def tail(self, x):
        """The last five convolutions (and the pool between them): front's output -> embeddings [B, W, 96]."""
        return self._run(x, self.steps[TAIL_START:]).squeeze(3).transpose(1, 2)       # [B, 96, W, 1] -> [B, W, 96]

    def _run(self, x, steps):
        for kind, arg in steps:
            if kind == "conv":
                x = self.convs[arg](x)
            elif kind == "bn":
                x = x * getattr(self, f"bn_k{arg}") + getattr(self, f"bn_b{arg}")
            elif kind == "relu":
                x = F.relu(x)
            elif kind == "leaky":
                x = F.leaky_relu(x, arg)
            elif kind == "max":
                x = torch.clamp(x, min=arg)
            elif kind == "pool":
                x = F.max_pool2d(x, arg[0], arg[1])
        return x


def tile_to_min(wav, min_samples=MIN_SAMPLES):
    """Repeats a short clip cyclically up to min_samples (a clip that long or longer is unchanged)."""
    n = wav.shape[1]
    length = torch.clamp(torch.tensor(n, dtype=torch.long), min=min_samples) if not torch.jit.is_tracing() \
        else torch.clamp(torch._shape_as_tensor(wav)[1], min=min_samples)
    idx = torch.remainder(torch.arange(length), n)
    return wav[:, idx]


@torch.no_grad()
def check_against_onnx(mel_path, emb_path, wav):
    """Largest absolute differences (mel, embedding) between these modules and the ONNX files, for one clip."""
    import onnxruntime as ort
    fe, net = OwwMelFrontEnd(mel_path).eval(), EmbeddingNet(emb_path).eval()
    mel_t = fe(torch.from_numpy(wav)[None])
    s_mel = ort.InferenceSession(mel_path, providers=["CPUExecutionProvider"])
    s_emb = ort.InferenceSession(emb_path, providers=["CPUExecutionProvider"])
    mel_o = s_mel.run(None, {"input": (wav * 32768.0)[None].astype(np.float32)})[0][0, 0] / 10.0 + 2.0
    d_mel = float(np.abs(mel_t[0].numpy() - mel_o).max())
    emb_t = net(mel_t)[0].numpy()
    wins = np.stack([mel_o[i:i + MEL_WINDOW] for i in range(0, mel_o.shape[0] - MEL_WINDOW + 1, MEL_STRIDE)])
    emb_o = s_emb.run(None, {"input_1": wins[..., None].astype(np.float32)})[0].reshape(len(wins), 96)
    assert emb_t.shape == emb_o.shape, (emb_t.shape, emb_o.shape)
    return d_mel, float(np.abs(emb_t - emb_o).max())
