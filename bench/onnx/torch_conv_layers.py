"""Writes ResNet-18's convolution shapes as one-node ONNX graphs (Conv with bias, then Relu) for `OnnxBench layers`.

    /usr/bin/python3 bench/onnx/torch_conv_layers.py DIR BATCH
"""
import sys

import torch

LAYERS = [
    ("stem", 3, 64, 7, 2, 3, 224), ("l1", 64, 64, 3, 1, 1, 56), ("l2down", 64, 128, 3, 2, 1, 56), ("l2", 128, 128, 3, 1, 1, 28),
    ("l2skip", 64, 128, 1, 2, 0, 56), ("l3down", 128, 256, 3, 2, 1, 28), ("l3", 256, 256, 3, 1, 1, 14), ("l3skip", 128, 256, 1, 2, 0, 28),
    ("l4down", 256, 512, 3, 2, 1, 14), ("l4", 512, 512, 3, 1, 1, 7), ("l4skip", 256, 512, 1, 2, 0, 14),
]

out, batch = sys.argv[1], int(sys.argv[2])
for name, cin, cout, k, s, p, size in LAYERS:
    # A batch norm in evaluation folds into the convolution's bias, as ONNX Runtime's optimiser does in a whole network.
    layer = torch.nn.Sequential(torch.nn.Conv2d(cin, cout, k, s, p, bias=True), torch.nn.ReLU()).eval()
    torch.onnx.export(layer, torch.randn(batch, cin, size, size), f"{out}/conv_{name}.onnx", opset_version=13,
                      input_names=["x"], output_names=["y"])
