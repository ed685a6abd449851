"""CPU time of one training batch (32 random crops of 8-32 embedding windows, as train_v2.py draws them) through the
speech embedding: its last five convolutions on a cached front (what --tune-tail trains) against the whole network
forward and backward (what fine-tuning all of it would cost). Run from the project root:
python training/audio/finetune_cost.py"""
import os, random, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speech_embedding import EmbeddingNet
torch.set_num_threads(1)
net = EmbeddingNet(sys.argv[1] if len(sys.argv) > 1 else '../shared/models/speech-embedding/embedding_model.onnx')
rng = random.Random(1)
def timed(fn, n=6):
    ts = []
    for _ in range(n):
        w = rng.randint(8, 32); x = torch.randn(32, 76 + 8 * (w - 1), 32)
        t = time.process_time(); fn(x); ts.append(time.process_time() - t)
    return sum(ts) / n
for c in net.convs: c.requires_grad_(False)
def tail_only(x):
    with torch.no_grad(): f = net.front(x)
    for k in range(15, len(net.convs)): net.convs[k].requires_grad_(True)
    t = time.process_time(); y = net.tail(f); y.sum().backward(); tail_only.t += time.process_time() - t
tail_only.t = 0.0
timed(tail_only); print("tail fwd+bwd on a cached front: %.3f s CPU per batch of 32" % (tail_only.t / 6))
for c in net.convs: c.requires_grad_(True)
print("whole network fwd+bwd: %.3f s CPU per batch of 32" % timed(lambda x: net(x).sum().backward()))
