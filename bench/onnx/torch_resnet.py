"""PyTorch's side of bench/onnx: torchvision ResNet-18 forward (eval, no_grad) or one SGD fine-tuning step.

    /usr/bin/python3 bench/onnx/torch_resnet.py forward|train BATCH N
"""
import resource
import sys
import time

import torch
import torchvision

torch.set_num_threads(2)
WARMUP = 3  # untimed runs first, as on the .NET side
mode, batch, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(1)
model = torchvision.models.resnet18()
x = torch.randn(batch, 3, 224, 224)
times = []
if mode == "forward":
    model.eval()
    with torch.no_grad():
        for r in range(WARMUP + runs):
            t = time.perf_counter()
            model(x)
            if r >= WARMUP:
                times.append((time.perf_counter() - t) * 1000)
else:
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    targets = torch.arange(batch) % 1000
    for r in range(WARMUP + runs):
        t = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if r >= WARMUP:
            times.append((time.perf_counter() - t) * 1000)
times.sort()
median = times[len(times) // 2]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"pytorch {mode} batch {batch}: median {median:.0f} ms ({batch * 1000 / median:.1f} images/s) over {runs} runs; peak RSS {rss} MB")
