"""bench train's PyTorch case: the network as cnn-pipeline builds it -- LeNet (conv 5x5x20, max pool 2, conv 5x5x50,
max pool 2, dense 500 ReLU, softmax 10) or ResNet-20 (He et al. 2016, CIFAR layout: 3x3x16 stem, 3 stages of 3 basic
blocks with 16/32/64 filters, bias-free convolutions + batch norm, 1x1 projection shortcuts where the shape changes,
global average pooling, softmax 10) -- with He init and SGD with Nesterov momentum 0.9, learning rate 0.01, no weight
decay, as the DL4J cases, on the same normalized Fashion-MNIST minibatches, in one process with THREADS intra-op
threads.

usage: bench_train.py IDX_DIR BATCH WARMUP MEASURED THREADS [NETWORK]   -> prints one line "RESULT {json}"
"""
import gzip
import json
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(idx_dir, count):
    with gzip.open(f"{idx_dir}/train-images-idx3-ubyte.gz", "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        images = np.frombuffer(f.read(count * rows * cols), dtype=np.uint8).reshape(count, 1, rows, cols)
    with gzip.open(f"{idx_dir}/train-labels-idx1-ubyte.gz", "rb") as f:
        f.read(8)
        labels = np.frombuffer(f.read(count), dtype=np.uint8)
    x = (images.astype(np.float32) / 255.0 - 0.2860) / 0.3530
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.out = nn.Linear(500, 10)
        for m in (self.conv1, self.conv2, self.fc1):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.xavier_normal_(self.out.weight)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.out(x)


def conv_bn(cin, cout, k, stride):
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    return nn.Sequential(conv, nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body1 = conv_bn(cin, cout, 3, stride)
        self.body2 = conv_bn(cout, cout, 3, 1)
        self.proj = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        shortcut = x if self.proj is None else self.proj(x)
        return F.relu(self.body2(F.relu(self.body1(x))) + shortcut)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 16, 3, 1)
        blocks, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for b in range(3):
                blocks.append(BasicBlock(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(64, 10)
        nn.init.xavier_normal_(self.out.weight)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.out(x.mean(dim=(2, 3)))


def main():
    idx_dir, batch, warmup, measured, threads = sys.argv[1], *map(int, sys.argv[2:6])
    network = sys.argv[6] if len(sys.argv) > 6 else "lenet"
    torch.manual_seed(42)
    torch.set_num_threads(threads)
    x, y = read_idx(idx_dir, batch * (warmup + measured))
    net = {"lenet": LeNet, "resnet20": ResNet20}[network]()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    def step(i):
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        opt.step()

    for i in range(warmup):
        step(i)
    cpu0, t0 = time.process_time(), time.perf_counter()
    for i in range(warmup, warmup + measured):
        step(i)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    images = measured * batch
    print("RESULT " + json.dumps({
        "name": f"pytorch {torch.__version__} single process", "network": network, "batch": batch,
        "threads": threads, "workers": 1, "images": images, "seconds": seconds, "imagesPerSecond": images / seconds,
        "cpuSeconds": cpu, "imagesPerCpuSecond": images / cpu,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
