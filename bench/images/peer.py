#!/usr/bin/python3
"""PIL and torchvision doing what Program.cs does: decode to RGB, then Resize(256) + CenterCrop(224) + ToTensor."""
import io
import sys
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image, ImageOps

torch.set_num_threads(2)
files = open(sys.argv[1]).read().split()
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
data = [open(f, "rb").read() for f in files]
prep = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])
for _ in range(rounds):
    t = time.perf_counter()
    for b in data:
        np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(b))).convert("RGB"))
    decode = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    for b in data:
        prep(ImageOps.exif_transpose(Image.open(io.BytesIO(b))).convert("RGB"))
    prepare = (time.perf_counter() - t) * 1000
    print(f"pil decode {decode:.0f} ms prepare {prepare:.0f} ms ({len(files)} files)")
