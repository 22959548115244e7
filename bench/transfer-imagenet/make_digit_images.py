"""Writes the embedded 8x8 digits (data/digits.csv.gz) as an image folder, root/<digit>/<row>.png, 8-bit grey.

    /usr/bin/python3 bench/transfer-imagenet/make_digit_images.py OUT_DIR

Sapling's image-folder loader then converts them to RGB and resizes them (bilinear) to data.image_height/width.
"""
import gzip
import os
import sys
import zlib
import struct


def png(path, pixels, width, height):
    raw = b"".join(b"\x00" + bytes(pixels[y * width:(y + 1) * width]) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))


def main():
    out = sys.argv[1]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "digits.csv.gz")
    with gzip.open(root, "rt") as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    for i, row in enumerate(rows):
        values, label = [int(v) for v in row[:64]], row[64]
        folder = os.path.join(out, label)
        os.makedirs(folder, exist_ok=True)
        png(os.path.join(folder, f"{i:04d}.png"), [min(255, v * 16) for v in values], 8, 8)
    print(f"wrote {len(rows)} images to {out}")


if __name__ == "__main__":
    main()
