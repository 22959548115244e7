"""The timing rule shared by the PyTorch benchmark scripts: warm up, then the median of repeated wall-clock samples."""
import time


def median_ms(step, repeats, warmup=3):
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    mid = len(samples) // 2
    return samples[mid] if len(samples) % 2 else (samples[mid - 1] + samples[mid]) / 2
