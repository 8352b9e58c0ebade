"""The models of PeerComparison in PyTorch (CPU), measured the way PeerComparison measures ours.

Usage: torch_peer.py [reference|batchnorm|resnet|lstm|vit]. Prints one line: train_step_ms=<p50>
predict_ms=<p50> single_image_ms=<p50> epoch_s=<the second epoch of a two-epoch fit, or nan>.
Run by compare.sh with as many threads as SwiftLayers uses (every core); needs
`pip install torch` (and MNIST_DIR for the epoch). Images are NCHW, PyTorch's native layout;
the last layer outputs logits and the loss is cross-entropy on them (softmax fused, as ours).
"""
import gzip, os, sys, time
from peer_timing import p50
import numpy as np
import torch
from torch import nn

torch.set_num_threads(int(os.environ.get("PEER_THREADS", os.cpu_count())))
torch.manual_seed(1)

def reference():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))

def batchnorm():
    """`mnist train --recipe best` without its augmentation layers (BN as Keras: momentum 0.99, eps 1e-3)."""
    stack, channels = [], 1
    for filters in (32, 64):
        for size, stride, padding in ((3, 1, 0), (3, 1, 0), (5, 2, 2)):
            stack += [nn.Conv2d(channels, filters, size, stride=stride, padding=padding, bias=False),
                      nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01), nn.ReLU()]
            channels = filters
        stack.append(nn.Dropout(0.4))
    return nn.Sequential(*stack, nn.Flatten(), nn.Linear(64 * 4 * 4, 128, bias=False),
                         nn.BatchNorm1d(128, eps=1e-3, momentum=0.01), nn.ReLU(), nn.Dropout(0.4), nn.Linear(128, 10))

class ResNet(nn.Module):
    """`mnist train --recipe resnet` without its augmentation layers."""
    @staticmethod
    def convolution(inputs, filters, stride=1, relu=True):
        layers = [nn.Conv2d(inputs, filters, 3, stride=stride, padding=1, bias=False),
                  nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01)]
        return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)

    class Block(nn.Module):
        def __init__(self, filters):
            super().__init__()
            self.body = nn.Sequential(ResNet.convolution(filters, filters), ResNet.convolution(filters, filters, relu=False))
        def forward(self, x):
            return torch.relu(x + self.body(x))

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            self.convolution(1, 32), self.convolution(32, 32, stride=2), self.Block(32),
            self.convolution(32, 64, stride=2), self.Block(64), self.Block(64))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))

class LSTM(nn.Module):
    """`mnist train --recipe lstm` without its augmentation layers: the rows of each image as a
    sequence, two bidirectional LSTMs of 64 units (cuDNN-style fused nn.LSTM), the last step's state."""
    def __init__(self):
        super().__init__()
        self.first = nn.LSTM(28, 64, batch_first=True, bidirectional=True)
        self.second = nn.LSTM(128, 64, batch_first=True, bidirectional=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        sequence, _ = self.first(x.reshape(-1, 28, 28))
        _, (last, _) = self.second(sequence)  # [2, batch, 64]: forward's and backward's final states
        return self.head(torch.cat([last[0], last[1]], dim=1))

class ViT(nn.Module):
    """`mnist train --recipe vit` without its augmentation layers (pre-norm encoder blocks, eps 1e-3 as Keras)."""
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(64, eps=1e-3), nn.LayerNorm(64, eps=1e-3)
            self.attention = nn.MultiheadAttention(64, 4, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(64, 128), nn.GELU(), nn.Linear(128, 64))
        def forward(self, x):
            normalized = self.norm1(x)
            x = x + self.attention(normalized, normalized, normalized, need_weights=False)[0]
            return x + self.mlp(self.norm2(x))

    def __init__(self):
        super().__init__()
        self.patches = nn.Conv2d(1, 64, 4, stride=4)
        self.positions = nn.Parameter(torch.randn(1, 49, 64) * 0.02)
        self.blocks = nn.Sequential(*[self.Block() for _ in range(4)])
        self.head = nn.Sequential(nn.LayerNorm(64, eps=1e-3))
        self.classifier = nn.Linear(64, 10)

    def forward(self, x):
        tokens = self.patches(x).flatten(2).transpose(1, 2) + self.positions  # [N, 49, 64]
        return self.classifier(self.head(self.blocks(tokens)).mean(dim=1))

MODELS = {"reference": reference, "batchnorm": batchnorm, "resnet": ResNet, "lstm": LSTM, "vit": ViT}
name = sys.argv[1] if len(sys.argv) > 1 else "reference"
if name not in MODELS:
    sys.exit(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")

def model():
    m = MODELS[name]()
    return m, torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7), nn.CrossEntropyLoss()

def step(m, optimizer, loss, x, y):
    m.train()
    optimizer.zero_grad(set_to_none=True)
    value = loss(m(x), y)
    value.backward()
    optimizer.step()

def predict(m, x):
    m.eval()
    with torch.no_grad():
        return m(x)

rng = np.random.default_rng(2)
x = torch.from_numpy(rng.random((128, 1, 28, 28), dtype=np.float32))
y = torch.arange(128) % 10
m, optimizer, loss = model()
train = p50(lambda: step(m, optimizer, loss, x, y))
batch = p50(lambda: predict(m, x))
single = p50(lambda: predict(m, x[:1]))

epoch = float("nan")
folder = os.environ.get("MNIST_DIR")
if folder:
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        images = torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
        labels = torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64))
    split = int(len(images) * 0.9)   # the last 10 % validate, as Keras's validation_split
    m, optimizer, loss = model()
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        for indices in torch.randperm(split).split(128):
            step(m, optimizer, loss, images[indices], labels[indices])
        for first in range(split, len(images), 128):
            predict(m, images[first:first + 128])
        seconds.append(time.perf_counter() - start)
    epoch = seconds[1]
print(f"pytorch {torch.__version__} {name}: train_step_ms={train:.2f} predict_ms={batch:.2f} "
      f"single_image_ms={single:.3f} epoch_s={epoch:.2f}")
