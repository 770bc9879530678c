"""Forward pass of the seed CNN: cnnkit vs the same model in plain torch.nn.

Side by side in one run, interleaved rounds, medians (this machine is noisy). Prints
the time per batch of each and the ratio cnnkit / torch (< 1 means cnnkit is faster).

    .venv/bin/python bench/forward.py [--batch 100] [--rounds 15] [--iters 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _seed_models import PlainSeed, cnnkit_seed, copy_weights


def timed(fn, iters: int) -> float:
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    ours = cnnkit_seed().to(device)
    plain = PlainSeed().to(device)
    copy_weights(ours, plain)
    plain_cl = PlainSeed().to(device).to(memory_format=torch.channels_last)
    copy_weights(ours, plain_cl)

    x_nhwc = torch.rand(args.batch, 28, 28, 1, device=device)
    x_nchw = x_nhwc.permute(0, 3, 1, 2).contiguous()
    x_cl = x_nchw.to(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = torch.softmax(plain(x_nchw), -1)
        got = ours(x_nhwc)
    error = (expected - got).abs().max().item()

    candidates = {
        "cnnkit (NHWC)": lambda: ours(x_nhwc),
        "torch NCHW": lambda: torch.softmax(plain(x_nchw), -1),
        "torch channels_last": lambda: torch.softmax(plain_cl(x_cl), -1),
    }
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    with torch.no_grad():
        for fn in candidates.values():  # warm-up
            timed(fn, 3)
        for _ in range(args.rounds):
            for name, fn in candidates.items():
                if device.type == "cuda":
                    torch.cuda.synchronize()
                samples[name].append(timed(fn, args.iters))
                if device.type == "cuda":
                    torch.cuda.synchronize()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"seed CNN forward, batch {args.batch}, {device}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; max |difference| {error:.2e}"
    )
    for name, value in medians.items():
        print(f"  {name:22s} {value * 1e3:8.3f} ms/batch")
    base = medians["cnnkit (NHWC)"]
    print(f"ratio cnnkit / torch NCHW          = {base / medians['torch NCHW']:.3f}")
    print(
        f"ratio cnnkit / torch channels_last = {base / medians['torch channels_last']:.3f}"
    )


if __name__ == "__main__":
    main()
