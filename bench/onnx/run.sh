#!/usr/bin/env bash
# ResNet-18 (224 × 224) forward at batch 32 and a fine-tuning step at batch 16: Sapling (torchvision-layout model, and
# the ONNX interpreter on the same graph) against ONNX Runtime 1.32 (NuGet, inference) and PyTorch (Debian
# python3-torch, inference and training). ROUNDS rounds alternate the runtimes; each run is a fresh process. Then each
# convolution shape alone in both (`OnnxBench layers`).
#   bash bench/onnx/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
work=${SAPLING_BENCH_DIR:-/tmp/sapling-bench-onnx}
mkdir -p "$work"
dotnet build bench/onnx/OnnxBench.csproj -c Release -o "$work/bin" >/dev/null
bench="dotnet $work/bin/OnnxBench.dll"
[ -d "$work/resnet18" ] || $bench make "$work"
dotnet build src/Sapling.Cli -c Release >/dev/null
[ -d "$work/generic" ] || dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll import onnx "$work/resnet18.onnx" --out "$work/generic" --generic >/dev/null
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | sed 's/Flags:.*\(avx512f\).*/Flags: ... avx512f .../'
for r in $(seq "$rounds"); do
  echo "round $r"
  $bench ort "$work/resnet18.onnx" 32 5
  $bench mapped "$work/resnet18" 32 5
  $bench generic "$work/generic" 32 5
  /usr/bin/python3 bench/onnx/torch_resnet.py forward 32 5
  $bench train "$work/resnet18" 16 5
  /usr/bin/python3 bench/onnx/torch_resnet.py train 16 5
done
# Each convolution shape alone, Sapling against ONNX Runtime (one-node graphs written by PyTorch's exporter).
/usr/bin/python3 bench/onnx/torch_conv_layers.py "$work" 32
$bench layers "$work" 32 5
