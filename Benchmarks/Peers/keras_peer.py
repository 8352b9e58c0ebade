"""A model of PeerComparison in TensorFlow/Keras, measured the way PeerComparison measures ours.

Usage: keras_peer.py [reference|batchnorm|resnet|lstm|vit]. Prints one line: train_step_ms=<p50>
predict_ms=<p50> single_image_ms=<p50> epoch_s=<the second epoch of a two-epoch fit, or nan>.
Run by compare.sh; needs `pip install tensorflow-cpu keras` (and MNIST_DIR for the epoch).
"""
import gzip, os, sys, time
from peer_timing import p50
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import keras
from keras import layers

def reference():
    return [
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ]

def batchnorm():
    """`mnist train --recipe best` without its augmentation layers."""
    stack = []
    for filters in (32, 64):
        for size, strides, padding in ((3, 1, "valid"), (3, 1, "valid"), (5, 2, "same")):
            stack += [layers.Conv2D(filters, size, strides=strides, padding=padding, use_bias=False),
                      layers.BatchNormalization(), layers.ReLU()]
        stack.append(layers.Dropout(0.4))
    return stack + [layers.Flatten(), layers.Dense(128, use_bias=False), layers.BatchNormalization(),
                    layers.ReLU(), layers.Dropout(0.4), layers.Dense(10, activation="softmax")]

def resnet():
    """`mnist train --recipe resnet` without its augmentation layers: the functional API."""
    def convolution(x, filters, strides=1, relu=True):
        x = layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x))
        return layers.ReLU()(x) if relu else x
    def block(x, filters):
        return layers.ReLU()(layers.Add()([x, convolution(convolution(x, filters), filters, relu=False)]))
    inputs = keras.Input((28, 28, 1))
    x = convolution(inputs, 32)
    x = block(convolution(x, 32, strides=2), 32)
    x = block(block(convolution(x, 64, strides=2), 64), 64)
    x = layers.Dropout(0.3)(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))

def lstm():
    """`mnist train --recipe lstm` without its augmentation layers."""
    return [layers.Reshape((28, 28)), layers.Bidirectional(layers.LSTM(64, return_sequences=True)),
            layers.Bidirectional(layers.LSTM(64)), layers.Dense(10, activation="softmax")]

def vit():
    """`mnist train --recipe vit` without its augmentation layers: the functional API."""
    class PositionEmbedding(layers.Layer):  # KerasHub's, without the dependency
        def build(self, shape):
            self.embeddings = self.add_weight(shape=(shape[1], shape[2]), initializer="glorot_uniform", name="embeddings")
        def call(self, x):
            return keras.ops.broadcast_to(self.embeddings, keras.ops.shape(x))
    inputs = keras.Input((28, 28, 1))
    x = layers.Reshape((49, 64))(layers.Conv2D(64, 4, strides=4)(inputs))
    x = layers.Add()([x, PositionEmbedding()(x)])
    for _ in range(4):
        normalized = layers.LayerNormalization(epsilon=1e-3)(x)
        x = layers.Add()([x, layers.MultiHeadAttention(4, 16)(normalized, normalized)])
        hidden = layers.Dense(128, activation="gelu")(layers.LayerNormalization(epsilon=1e-3)(x))
        x = layers.Add()([x, layers.Dense(64)(hidden)])
    x = layers.GlobalAveragePooling1D()(layers.LayerNormalization(epsilon=1e-3)(x))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))

MODELS = {"reference": reference, "batchnorm": batchnorm, "resnet": resnet, "lstm": lstm, "vit": vit}
name = sys.argv[1] if len(sys.argv) > 1 else "reference"
if name not in MODELS:
    sys.exit(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")

def model():
    m = MODELS[name]() if name in ("resnet", "vit") else keras.Sequential([keras.Input((28, 28, 1))] + MODELS[name]())
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    return m

rng = np.random.default_rng(2)
x = rng.random((128, 28, 28, 1), dtype=np.float32)
y = keras.utils.to_categorical(np.arange(128) % 10, 10)
m = model()
train = p50(lambda: m.train_on_batch(x, y))
predict = p50(lambda: m.predict_on_batch(x))
single = p50(lambda: m.predict_on_batch(x[:1]))

class EpochTimer(keras.callbacks.Callback):
    def __init__(self): super().__init__(); self.seconds = []
    def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): self.seconds.append(time.perf_counter() - self.start)

epoch = float("nan")
folder = os.environ.get("MNIST_DIR")
if folder:
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28, 1).astype(np.float32) / 255
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
        labels = keras.utils.to_categorical(np.frombuffer(f.read(), np.uint8, offset=8), 10)
    m = model()
    timer = EpochTimer()
    m.fit(images, labels, batch_size=128, epochs=2, validation_split=0.1, verbose=0, callbacks=[timer])
    epoch = timer.seconds[1]
print(f"keras {keras.__version__} (TensorFlow) {name}: train_step_ms={train:.2f} predict_ms={predict:.2f} "
      f"single_image_ms={single:.3f} epoch_s={epoch:.2f}")
