#!/usr/bin/env python3
"""PyTorch side of `sapling bench train --model cnn`: the same CNN, batch, optimiser and timing rule.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/train_cnn.py --json
"""
import argparse
import json
import resource
import torch
import torch.nn as nn

from timing import median_ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step_ms = median_ms(step, args.steps, 5)
    net.eval()
    ex = torch.randn(256, 1, 28, 28)

    def evaluate():
        with torch.no_grad():
            net(ex).argmax(-1)

    eval_ms = median_ms(evaluate, args.steps, 3)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"ms_per_step": round(step_ms, 3), "samples_per_s": round(64 / step_ms * 1000, 1),
              "eval_samples_per_s": round(256 / eval_ms * 1000, 1), "peak_rss_mb": round(peak_mb, 1)}
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
