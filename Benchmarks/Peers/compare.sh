#!/usr/bin/env bash
# Side-by-side speed of one model (reference, the default; batchnorm: the best recipe
# without augmentation; resnet: the resnet recipe without augmentation, a graph model; lstm: the lstm
# recipe without augmentation, two bidirectional LSTMs; vit: the vit recipe without augmentation, a
# vision transformer): SwiftLayers against TensorFlow/Keras and PyTorch (when installed),
# run alternately three times on the same machine, then the medians and the ratios
# (peer / ours: above 1 means SwiftLayers is faster). Needs python3 with tensorflow-cpu and
# keras (and torch for PyTorch); MNIST_DIR (e.g. ../shared/mnist) adds a steady-state epoch
# (the second of a two-epoch fit). PYTHON picks the interpreter (default python3).
# Usage: Peers/compare.sh [reference|batchnorm|resnet|lstm|vit]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product PeerComparison >/dev/null
ours=$(swift build -c release --show-bin-path)/PeerComparison
model=${1:-reference}
peers=(keras_peer.py)
python=${PYTHON:-python3}
if "$python" -c "import torch" 2>/dev/null; then peers+=(torch_peer.py); fi
results=$(mktemp)
for round in 1 2 3; do
    "$ours" "$model" | tee -a "$results"
    for peer in "${peers[@]}"; do
        PEER_THREADS=$(nproc) "$python" "Peers/$peer" "$model" 2>/dev/null | tee -a "$results"
    done
done
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side = line.split()[0]
    rows.setdefault(side, []).append({k: float(v) for k, v in re.findall(r"(\w+)=([\d.na]+)", line)})
names = {"swift-layers": "SwiftLayers", "keras": "Keras", "pytorch": "PyTorch"}
for key, label in [("train_step_ms", "training step, batch 128 (ms)"), ("predict_ms", "predict, batch 128 (ms)"),
                   ("single_image_ms", "predict, one image (ms)"), ("epoch_s", "one steady-state epoch (s)")]:
    median = {side: statistics.median(r[key] for r in runs) for side, runs in rows.items()}
    ours = median["swift-layers"]
    cells = [f"SwiftLayers {ours:8.3f}"]
    for side in ("keras", "pytorch"):
        if side in median and median[side] == median[side] and ours == ours:
            cells.append(f"{names[side]} {median[side]:8.3f} ({names[side]}/SwiftLayers = {median[side] / ours:.2f})")
    print(f"{label:32s} " + "  ".join(cells))
PY
rm -f "$results"
