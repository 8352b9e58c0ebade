"""Keras parity of a model trained by SwiftLayers: the same architecture built in Keras 3 from
the model file's JSON, given the file's weights, evaluated on MNIST's test set.

Usage: keras_parity.py MODEL_FILE [--expect ACCURACY]. Prints `keras_accuracy=<fraction>
keras_loss=<mean cross-entropy>`; with --expect (our test accuracy, as `mnist evaluate` prints
it) it exits 1 unless Keras's accuracy is within one test image of it. Needs MNIST_DIR and
`pip install tensorflow-cpu keras`. Reads the file with NumPy alone (safetensors: an 8-byte
header length, a JSON header, raw little-endian Float32 data).

Covers the models of `mnist train --recipe`, chains and graphs of one input: Input, the
augmentation layers (identity at inference), Reshape, Flatten, Dense, Conv1D, Conv2D,
Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, ZeroPadding2D, Cropping2D, UpSampling2D, pooling (1-D and 2-D),
Dropout, BatchNormalization, LayerNormalization, Embedding, the activation layers, SimpleRNN,
LSTM, GRU, Bidirectional, MultiHeadAttention, PositionEmbedding and the merges. An unknown
layer type is an error naming it.
"""
import gzip, json, os, struct, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import keras
from keras import layers


def read_model(path):
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
    return json.loads(header["__metadata__"]["model"]), tensors


def activation(encoded):
    """ActivationFunction's Codable form ({"relu": {}}, {"leakyReLU": {"alpha": 0.3}}) as Keras's."""
    (kind, arguments), = encoded.items()
    simple = {"linear": "linear", "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
              "swish": "silu", "softplus": "softplus", "hardSigmoid": "hard_sigmoid"}
    if kind in simple:
        return simple[kind]
    if kind == "gelu":
        return lambda x: keras.activations.gelu(x, approximate=arguments.get("approximate", False))
    if kind == "leakyReLU":
        return lambda x: keras.activations.leaky_relu(x, negative_slope=arguments["alpha"])
    if kind == "elu":
        return lambda x: keras.activations.elu(x, alpha=arguments["alpha"])
    sys.exit(f"unknown activation {kind}")


def size(value):
    return (value["height"], value["width"]) if isinstance(value, dict) else value


def recurrent(kind, c):
    common = dict(return_sequences=c["returnSequences"], go_backwards=c["goBackwards"], use_bias=c["useBias"])
    if kind == "LSTM":
        return layers.LSTM(c["units"], unit_forget_bias=c.get("unitForgetBias", True), **common)
    if kind == "GRU":
        return layers.GRU(c["units"], reset_after=True, **common)
    return layers.SimpleRNN(c["units"], **common)


def keras_layer(kind, c):
    """The Keras layer for one of our layers, or None for one that is the identity at inference."""
    if kind in ("RandomRotation", "RandomTranslation", "RandomZoom", "RandomFlip", "Input"):
        return None
    if kind == "Dense":
        return layers.Dense(c["units"], activation=activation(c["activation"]), use_bias=c["useBias"])
    if kind == "Conv2D":
        return layers.Conv2D(c["filters"], size(c["kernelSize"]), strides=size(c["strides"]), padding=c["padding"],
                             dilation_rate=size(c.get("dilationRate", 1)), activation=activation(c["activation"]),
                             use_bias=c["useBias"])
    if kind == "Conv1D":
        return layers.Conv1D(c["filters"], c["kernelSize"], strides=c["strides"], padding=c["padding"],
                             dilation_rate=c["dilationRate"], activation=activation(c["activation"]), use_bias=c["useBias"])
    if kind == "Conv2DTranspose":
        return layers.Conv2DTranspose(c["filters"], size(c["kernelSize"]), strides=size(c["strides"]), padding=c["padding"],
                                      activation=activation(c["activation"]), use_bias=c["useBias"])
    if kind == "DepthwiseConv2D":
        return layers.DepthwiseConv2D(size(c["kernelSize"]), strides=size(c["strides"]), padding=c["padding"],
                                      depth_multiplier=c["depthMultiplier"], dilation_rate=size(c["dilationRate"]),
                                      activation=activation(c["activation"]), use_bias=c["useBias"])
    if kind == "SeparableConv2D":
        return layers.SeparableConv2D(c["filters"], size(c["kernelSize"]), strides=size(c["strides"]), padding=c["padding"],
                                      depth_multiplier=c["depthMultiplier"], dilation_rate=size(c["dilationRate"]),
                                      activation=activation(c["activation"]), use_bias=c["useBias"])
    if kind in ("MaxPooling1D", "AveragePooling1D"):
        pool = layers.MaxPooling1D if kind == "MaxPooling1D" else layers.AveragePooling1D
        return pool(c["poolSize"], strides=c.get("strides"), padding=c["padding"])
    if kind == "UpSampling2D":
        return layers.UpSampling2D(size(c["size"]), interpolation=c["interpolation"])
    if kind in ("ZeroPadding2D", "Cropping2D"):
        m = c["padding" if kind == "ZeroPadding2D" else "cropping"]
        margins = ((m["top"], m["bottom"]), (m["left"], m["right"]))
        return layers.ZeroPadding2D(margins) if kind == "ZeroPadding2D" else layers.Cropping2D(margins)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        pool = layers.MaxPooling2D if kind == "MaxPooling2D" else layers.AveragePooling2D
        return pool(size(c["poolSize"]), strides=size(c["strides"]) if c.get("strides") else None, padding=c["padding"])
    if kind == "GlobalAveragePooling2D":
        return layers.GlobalAveragePooling2D()
    if kind == "Flatten":
        return layers.Flatten()
    if kind == "Reshape":
        return layers.Reshape(c["targetShape"])
    if kind == "Dropout":
        return layers.Dropout(c["rate"])
    if kind == "BatchNormalization":
        return layers.BatchNormalization(momentum=c["momentum"], epsilon=c["epsilon"])
    if kind == "LayerNormalization":
        return layers.LayerNormalization(epsilon=c["epsilon"], center=c["center"], scale=c["scale"])
    if kind == "Embedding":
        return layers.Embedding(c["inputDim"], c["outputDim"], mask_zero=c.get("maskZero", False))
    if kind in ("Activation", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax"):
        return layers.Activation(activation(c["activation"]) if "activation" in c else kind.lower())
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        return recurrent(kind, c)
    if kind == "Bidirectional":
        return layers.Bidirectional(recurrent(c["layer"], c["layerConfiguration"]), merge_mode=c["mergeMode"])
    if kind == "GlobalAveragePooling1D":
        return layers.GlobalAveragePooling1D()
    if kind == "GlobalMaxPooling1D":
        return layers.GlobalMaxPooling1D()
    if kind == "GlobalMaxPooling2D":
        return layers.GlobalMaxPooling2D()
    if kind == "MultiHeadAttention":
        return layers.MultiHeadAttention(c["heads"], c["keyDim"], value_dim=c["valueDim"], dropout=c["dropout"],
                                         use_bias=c["useBias"], output_shape=c.get("outputShape"))
    if kind == "PositionEmbedding":
        return PositionEmbedding()
    merges = {"Add": layers.Add, "Subtract": layers.Subtract, "Multiply": layers.Multiply, "Average": layers.Average,
              "Maximum": layers.Maximum, "Minimum": layers.Minimum}
    if kind in merges:
        return merges[kind]()
    if kind == "Concatenate":
        return layers.Concatenate(axis=c["axis"])
    sys.exit(f"keras_parity.py has no Keras form for layer type {kind}")


class PositionEmbedding(layers.Layer):
    """KerasHub's PositionEmbedding (the table's first rows, broadcast to the input), without the dependency."""
    def build(self, shape):
        self.embeddings = self.add_weight(shape=(shape[1], shape[2]), name="embeddings")

    def call(self, x):
        return keras.ops.broadcast_to(self.embeddings[: keras.ops.shape(x)[1]], keras.ops.shape(x))


# Our parameter names per layer type, in the order of Keras's get_weights().
WEIGHTS = {
    "Dense": ["kernel", "bias"], "Conv2D": ["kernel", "bias"], "Embedding": ["embeddings"],
    "Conv1D": ["kernel", "bias"], "Conv2DTranspose": ["kernel", "bias"], "DepthwiseConv2D": ["kernel", "bias"],
    "SeparableConv2D": ["depthwise_kernel", "pointwise_kernel", "bias"],
    "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"], "LayerNormalization": ["gamma", "beta"],
    "SimpleRNN": ["kernel", "recurrent_kernel", "bias"], "LSTM": ["kernel", "recurrent_kernel", "bias"],
    "GRU": ["kernel", "recurrent_kernel", "bias"],
    "Bidirectional": [f"{d}/{p}" for d in ("forward", "backward") for p in ("kernel", "recurrent_kernel", "bias")],
    "MultiHeadAttention": [f"{p}/{w}" for p in ("query", "key", "value", "attention_output") for w in ("kernel", "bias")],
    "PositionEmbedding": ["embeddings"],
}


def call(layer, kind, configuration, inputs):
    """The Keras call of one of our nodes on its input tensors."""
    if kind == "MultiHeadAttention":
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else None
        mask = inputs[3] if len(inputs) > 3 else None
        return layer(query, value, key=key, attention_mask=mask, use_causal_mask=configuration["useCausalMask"])
    if kind in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
        return layer(inputs)
    return layer(inputs[0])


def build(architecture, tensors):
    """A Keras functional model with our graph's calls (a chain: each layer on the one before)."""
    entries = architecture["layers"]
    graph = architecture.get("graph") or {"nodes": [{"layer": i, "inputs": [i]} for i in range(len(entries))],
                                          "output": len(entries)}
    if graph.get("inputCount", 1) != 1:
        sys.exit("keras_parity.py builds models of one input")
    inputs = keras.Input(tuple(architecture["inputShape"]))
    values = [inputs]
    made = {}  # our layer index → its Keras layer (a shared layer is called again)
    for node in graph["nodes"]:
        entry = entries[node["layer"]]
        kind, configuration = entry["type"], entry["configuration"]
        arguments = [values[i] for i in node["inputs"]]
        if node["layer"] not in made:
            made[node["layer"]] = keras_layer(kind, configuration)
        layer = made[node["layer"]]
        values.append(arguments[0] if layer is None else call(layer, kind, configuration, arguments))
    outputs = graph.get("outputs", [graph.get("output")])
    model = keras.Model(inputs, [values[i] for i in outputs] if len(outputs) > 1 else values[outputs[0]])
    for index, layer in made.items():
        if layer is None:
            continue
        entry = entries[index]
        names = [f"{entry['name']}/{p}" for p in WEIGHTS.get(entry["type"], [])]
        present = [tensors[name] for name in names if name in tensors]  # no bias when useBias is false
        if present:
            layer.set_weights(present)
    return model


def mnist_test():
    folder = os.environ.get("MNIST_DIR") or sys.exit("set MNIST_DIR to the folder with the MNIST files")
    def read(name, offset):
        path = os.path.join(folder, name)
        opener = gzip.open if os.path.exists(path) else open
        with opener(path if os.path.exists(path) else path[:-3], "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    images = read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1).astype(np.float32) / 255
    labels = read("t10k-labels-idx1-ubyte.gz", 8)
    return images, labels


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments:
        sys.exit(__doc__)
    expected = None
    if "--expect" in arguments:
        index = arguments.index("--expect")
        expected = float(arguments[index + 1])
        del arguments[index:index + 2]
    architecture, tensors = read_model(arguments[0])
    model = build(architecture, tensors)
    images, labels = mnist_test()
    probabilities = model.predict(images, batch_size=500, verbose=0)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    loss = float(np.mean(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1))))
    print(f"keras {keras.__version__}: keras_accuracy={accuracy:.4f} keras_loss={loss:.4f}")
    if expected is not None and abs(accuracy - expected) > 1.5 / len(labels):
        sys.exit(f"Keras's accuracy {accuracy:.4f} differs from ours {expected:.4f} by more than one test image")
