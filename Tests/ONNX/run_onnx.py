"""Checks an exported ONNX model with onnx.checker and runs it in ONNX Runtime.

Usage: run_onnx.py MODEL SPEC
SPEC is a JSON file: {"inputs": [{"name", "file", "shape"}], "outputs": [{"name", "file"}]}.
Each input file holds float32 values (little-endian) of N samples of its per-sample shape;
each output file receives that output's float32 values. Prints the output shapes as JSON.
Run by the ONNX export tests; needs onnx, onnxruntime and numpy.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime

model_path, spec_path = sys.argv[1:3]
with open(spec_path) as spec_file:
    spec = json.load(spec_file)
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
feeds = {
    item["name"]: np.fromfile(item["file"], dtype="<f4").reshape([-1] + item["shape"])
    for item in spec["inputs"]
}
session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
names = [item["name"] for item in spec["outputs"]]
results = session.run(names, feeds)
for item, values in zip(spec["outputs"], results):
    values.astype("<f4").tofile(item["file"])
print(json.dumps({"shapes": [list(values.shape) for values in results], "opset": model.opset_import[0].version}))
