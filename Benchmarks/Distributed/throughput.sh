#!/usr/bin/env bash
# Training throughput of `mnist train --distributed` with 1 and 2 ranks (one compute thread
# each, no augmentation, two epochs; the second epoch is the steady state): prints the
# per-step time and the epoch time of each. Needs Open MPI (scripts/setup) and MNIST_DIR;
# RECIPE=best measures the best recipe's network instead of the reference CNN.
# Usage: Benchmarks/Distributed/throughput.sh [ranks...]   (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${MNIST_DIR:?set MNIST_DIR to the folder with the MNIST files}"
swift build -c release --product mnist >/dev/null
mnist=$(swift build -c release --show-bin-path)/mnist
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
for ranks in "${@:-1 2}"; do
    for n in $ranks; do
        line=$(mpirun --allow-run-as-root --oversubscribe -np "$n" "$mnist" train --distributed --threads 1 --no-augment \
            --recipe "${RECIPE:-reference}" \
            --data-dir "$MNIST_DIR" --output "$output/$n" --epochs 2 2>&1 | tr '\r' '\n' | grep -E " - val_accuracy" | tail -1)
        echo "$n rank(s): ${line%% - accuracy*}"
    done
done
