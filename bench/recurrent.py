"""LSTM(64) forward + backward on (64, 100, 32): cnnkit against plain torch.

Three sides in interleaved rounds (medians): cnnkit's ``LSTM`` (torch's fused kernel
behind Keras-layout weights), the same layer with ``unroll=True`` (cnnkit's Python
step loop, what a non-default activation or recurrent dropout runs), and a plain
``torch.nn.LSTM``. The loss reads the last output only, as ``LSTM(64)`` returns it.

    .venv/bin/python bench/recurrent.py [--rounds 9] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import cnnkit


def _timed(step: Callable[[], None]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(64, 100, 32)
    fused = cnnkit.layers.LSTM(64)
    loop = cnnkit.layers.LSTM(64, unroll=True)
    fused(x), loop(x)
    loop.set_weights(fused.get_weights())
    plain = torch.nn.LSTM(32, 64, batch_first=True)

    def run_plain() -> None:
        outputs, _ = plain(x)
        outputs[:, -1].sum().backward()

    sides: dict[str, Callable[[], None]] = {
        "cnnkit LSTM": lambda: fused(x).sum().backward(),
        "cnnkit LSTM unroll=True": lambda: loop(x).sum().backward(),
        "torch nn.LSTM": run_plain,
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    for step in sides.values():  # warm-up
        step()
    for _ in range(args.rounds):
        for name, step in sides.items():
            times[name].append(_timed(step))
    reference = statistics.median(times["torch nn.LSTM"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:26s} {median * 1e3:8.1f} ms   x{median / reference:.2f} of torch")


if __name__ == "__main__":
    main()
