#!/usr/bin/env python3
"""Train the feature CNN of Table 3 and export it to ONNX.

The only input is a directory of IDX files written by `nistgmm prepare`
(or the MNIST files themselves, which are already in `mnist` form):

    digits-train-images-idx3-ubyte[.gz]  digits-train-labels-idx1-ubyte[.gz]
    digits-test-images-idx3-ubyte[.gz]   digits-test-labels-idx1-ubyte[.gz]

The exported model takes `image` (N x 1 x 28 x 28, float32, already
normalised) and returns `features` (N x 50, the first linear layer before its
ReLU) and `logits` (N x 10). Model metadata records the preprocessing mode, the
normalisation and the accuracies, so the Go extractor applies exactly the
transform the network was trained with.

Run with Debian's interpreter: /usr/bin/python3 scripts/train_cnn.py --data DIR
"""
import argparse
import datetime
import gzip
import hashlib
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file")
    if data[2] != 0x08:
        raise ValueError(f"{path}: element type 0x{data[2]:02x}, want unsigned byte")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {arr.size} bytes of data, header says {dims}")
    return arr.reshape(dims)


def find(data_dir, stem):
    for suffix in ("", ".gz"):
        p = os.path.join(data_dir, stem + suffix)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{stem}[.gz] not found in {data_dir}; run `nistgmm prepare --out {data_dir}` first")


class FeatureCNN(nn.Module):
    """Table 3 of the paper: two conv/pool blocks, 800 -> 50 -> 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        features = self.fc1(x)  # before the ReLU: exact zeros would make covariances singular
        logits = self.fc2(F.relu(features))
        return features, logits


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            _, logits = model(x[i:i + batch])
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory with the IDX files")
    ap.add_argument("--out", default="models/cnn.onnx")
    ap.add_argument("--testvec", default="models/cnn_testvec.json",
                    help="inputs and PyTorch outputs the Go tests compare against")
    ap.add_argument("--mode", default="mnist", help="preprocessing mode the IDX images are in")
    ap.add_argument("--mean", type=float, default=0.1307, help="normalisation mean of [0,1] pixels")
    ap.add_argument("--sd", type=float, default=0.3081, help="normalisation sd of [0,1] pixels")
    ap.add_argument("--trained-on", default="MNIST training digits")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)

    def load(split):
        imgs = read_idx(find(args.data, f"digits-{split}-images-idx3-ubyte"))
        labels = read_idx(find(args.data, f"digits-{split}-labels-idx1-ubyte"))
        if imgs.shape[1:] != (28, 28) or len(imgs) != len(labels):
            raise ValueError(f"{split}: images {imgs.shape}, labels {labels.shape}")
        x = (torch.from_numpy(imgs.astype(np.float32) / 255.0) - args.mean) / args.sd
        return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))

    xtr, ytr = load("train")
    xte, yte = load("test")
    print(f"train {len(xtr)}, test {len(xte)}", flush=True)

    model = FeatureCNN()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    gen = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            _, logits = model(xtr[idx])
            loss = F.cross_entropy(logits, ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(xtr):.4f}, "
              f"test accuracy {accuracy(model, xte, yte):.4f}", flush=True)

    train_acc = accuracy(model, xtr, ytr)
    test_acc = accuracy(model, xte, yte)
    print(f"final: train accuracy {train_acc:.4f}, test accuracy {test_acc:.4f}", flush=True)

    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    tmp = args.out + ".tmp"
    torch.onnx.export(model, dummy, tmp, input_names=["image"], output_names=["features", "logits"],
                      dynamic_axes={"image": {0: "batch"}, "features": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13)
    import onnx
    m = onnx.load(tmp)
    meta = {
        "nistgmm.preprocess": args.mode,
        "nistgmm.norm_mean": repr(args.mean),
        "nistgmm.norm_sd": repr(args.sd),
        "nistgmm.trained_on": args.trained_on,
        "nistgmm.train_accuracy": f"{train_acc:.4f}",
        "nistgmm.test_accuracy": f"{test_acc:.4f}",
        "nistgmm.epochs": str(args.epochs),
        "nistgmm.seed": str(args.seed),
        "nistgmm.trained_at": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, tmp)
    os.replace(tmp, args.out)

    # Test vector: a few normalised inputs and what PyTorch computes for them.
    probe = torch.cat([xte[:4], torch.full((1, 1, 28, 28), -args.mean / args.sd)])
    with torch.no_grad():
        feats, logits = model(probe)
    with open(args.out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    vec = {
        "model_sha256": digest,
        "inputs": probe.reshape(len(probe), -1).tolist(),
        "features": feats.tolist(),
        "logits": logits.tolist(),
    }
    tmp = args.testvec + ".tmp"
    with open(tmp, "w") as f:
        json.dump(vec, f)
    os.replace(tmp, args.testvec)
    print(f"wrote {args.out} (sha256 {digest[:16]}...) and {args.testvec}")


if __name__ == "__main__":
    sys.exit(main())
