"""Writes the request bodies of the load test from an MNIST test digit:
pixels.json ({"pixels": [784 values]}, classified as it is) and drawing.png (the digit drawn dark
on a white 280x280 canvas, as the page sends it: decoded and preprocessed on every request).

Usage: payloads.py MNIST_DIR OUTPUT_DIR
"""
import gzip
import json
import os
import struct
import sys
import zlib

mnist, output = sys.argv[1], sys.argv[2]
path = os.path.join(mnist, "t10k-images-idx3-ubyte")
raw = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
digit = raw[16:16 + 784]  # the first test image (a 7)

with open(os.path.join(output, "pixels.json"), "w") as f:
    json.dump({"pixels": [round(v / 255, 4) for v in digit]}, f)

size, scale = 280, 10
rows = b"".join(b"\0" + bytes(255 - digit[(y // scale) * 28 + x // scale] for x in range(size)) for y in range(size))


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
with open(os.path.join(output, "drawing.png"), "wb") as f:
    f.write(png)
