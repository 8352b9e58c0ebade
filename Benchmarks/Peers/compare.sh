#!/usr/bin/env bash
# Side-by-side speed of one model (reference, the default, or batchnorm: the best recipe
# without augmentation): SwiftLayers against TensorFlow/Keras, run alternately twice on
# the same machine, then the ratios of the medians (Keras / ours: above 1 means
# SwiftLayers is faster). Needs python3 with tensorflow-cpu; MNIST_DIR (e.g.
# ../shared/mnist) adds a full-epoch comparison. Usage: Peers/compare.sh [reference|batchnorm]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product PeerComparison >/dev/null
ours=$(swift build -c release --show-bin-path)/PeerComparison
model=${1:-reference}
results=$(mktemp)
for round in 1 2; do
    "$ours" "$model" | tee -a "$results"
    python3 Peers/keras_peer.py "$model" | tee -a "$results"
done
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {"swift": [], "keras": []}
for line in open(sys.argv[1]):
    values = dict(re.findall(r"(\w+)=([\d.na]+)", line))
    rows["swift" if line.startswith("swift") else "keras"].append({k: float(v) for k, v in values.items()})
for key, label in [("train_step_ms", "training step, batch 128"), ("predict_ms", "predict, batch 128"), ("epoch_s", "one MNIST epoch (54,000 images)")]:
    ours = statistics.median(r[key] for r in rows["swift"]); theirs = statistics.median(r[key] for r in rows["keras"])
    if ours == ours and theirs == theirs:
        print(f"{label:34s} SwiftLayers {ours:8.2f}  Keras {theirs:8.2f}  Keras/SwiftLayers = {theirs / ours:.2f}")
PY
rm -f "$results"
