"""Checks an exported ONNX model with onnx.checker and runs it in ONNX Runtime.

Usage: run_onnx.py MODEL INPUT OUTPUT H,W,C
INPUT holds float32 values (little-endian) of N samples of shape H,W,C (or one axis for flat
inputs); OUTPUT receives the model's float32 outputs. Prints the output shape as JSON.
Run by the ONNX export tests; needs onnx, onnxruntime and numpy.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime

model_path, input_path, output_path, shape = sys.argv[1:5]
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
sample_shape = [int(size) for size in shape.split(",")]
inputs = np.fromfile(input_path, dtype="<f4").reshape([-1] + sample_shape)
session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
(outputs,) = session.run(["output"], {"input": inputs})
outputs.astype("<f4").tofile(output_path)
print(json.dumps({"shape": list(outputs.shape), "opset": model.opset_import[0].version}))
