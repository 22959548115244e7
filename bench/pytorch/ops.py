#!/usr/bin/env python3
"""PyTorch side of `sapling bench ops`: the same ops, shapes and timing rule (median of forward+backward).

Run with Debian's interpreter and PyTorch at its best on this machine (see ../shared/TIPS.md):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/ops.py --json
"""
import argparse
import json
import torch
import torch.nn.functional as F

from timing import median_ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(3)

    sx = torch.randn(16, 4, 128, 128, requires_grad=True)
    sg = torch.randn(16, 4, 128, 128)
    lx = torch.randn(2048, 256, requires_grad=True)
    lw = torch.ones(256, requires_grad=True)
    lb = torch.zeros(256, requires_grad=True)
    lg = torch.randn(2048, 256)
    gx = torch.randn(2048, 1024, requires_grad=True)
    gg = torch.randn(2048, 1024)
    cx = torch.randn(2048, 4096, requires_grad=True)
    ct = torch.randint(0, 4096, (2048,))
    qa = torch.randn(64, 128, 64, requires_grad=True)
    ka = torch.randn(64, 128, 64, requires_grad=True)
    ag = torch.randn(64, 128, 128)
    w1 = (torch.randn(512, 1024) * 0.03).requires_grad_()
    w2 = (torch.randn(1024, 512) * 0.03).requires_grad_()
    mx = torch.randn(256, 512)
    my = torch.randint(0, 512, (256,))
    leaves = [sx, lx, lw, lb, gx, cx, qa, ka]

    def mlp_step():
        F.cross_entropy(F.gelu(F.layer_norm(mx @ w1, (1024,))) @ w2, my).backward()
        with torch.no_grad():
            w1.add_(w1.grad, alpha=-0.01)
            w2.add_(w2.grad, alpha=-0.01)
        w1.grad.zero_()
        w2.grad.zero_()

    cases = [
        ("softmax", "16x4x128x128", lambda: torch.softmax(sx, -1).backward(sg)),
        ("layer_norm", "2048x256", lambda: F.layer_norm(lx, (256,), lw, lb).backward(lg)),
        ("gelu_tanh", "2048x1024", lambda: F.gelu(gx, approximate="tanh").backward(gg)),
        ("cross_entropy", "2048x4096", lambda: F.cross_entropy(cx, ct).backward()),
        ("attention_matmul", "64x128x64 @ 64x64x128", lambda: (qa @ ka.transpose(1, 2)).backward(ag)),
        ("mlp_train_step", "256x512-1024-512", mlp_step),
    ]
    rows = []
    for name, shape, fn in cases:
        def step():
            fn()
            for leaf in leaves:
                leaf.grad = None
        rows.append({"op": name, "shape": shape, "ms": round(median_ms(step, args.repeats), 3)})
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['op']:<18} {r['shape']:<24} {r['ms']:9.3f} ms")


if __name__ == "__main__":
    main()
