"""Validates exported ONNX files with the ONNX project's own checker (Debian python3-onnx).

    /usr/bin/python3 tests/onnx-runtime/check_model.py MODEL.onnx [MODEL.onnx ...]

full_check also runs ONNX shape inference, which catches wrong attribute types, operator arities and shape
mismatches that a protobuf parse cannot see. Exits non-zero on the first invalid file.
"""
import sys

import onnx


def main(paths):
    for path in paths:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        opset = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
        print(f"{path}: valid (onnx {onnx.__version__}, IR {model.ir_version}, opset {opset}, {len(model.graph.node)} nodes)")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
