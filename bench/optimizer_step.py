"""Time one optimizer step: cnnkit vs torch.optim, side by side in one run.

The parameters are those of a small MNIST CNN (two 5x5 convolutions and a dense
layer). Each round times a block of steps for every contender, interleaved, so
machine noise hits all of them alike; the script prints per-step medians over the
rounds and the ratio cnnkit / torch (below 1 means cnnkit is faster).

torch.optim picks its per-tensor loop on CPU by default (``foreach`` only defaults
to on for CUDA tensors), so both that default and ``foreach=True`` are shown.

Usage: ``python bench/optimizer_step.py [--device cuda] [--rounds 15] [--steps 200]
[--threads N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import cnnkit.optimizers as optimizers

SHAPES = [(32, 1, 5, 5), (32,), (64, 32, 5, 5), (64,), (10, 1024), (10,)]


def make_params(device: str) -> tuple[list[torch.nn.Parameter], list[torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    params = [
        torch.nn.Parameter(torch.randn(s, generator=generator).to(device))
        for s in SHAPES
    ]
    grads = [torch.randn(s, generator=generator).to(device) * 1e-3 for s in SHAPES]
    return params, grads


def cnnkit_step(opt: optimizers.Optimizer, device: str) -> Callable[[], None]:
    params, grads = make_params(device)
    opt.build(params)
    return lambda: opt.apply(grads, params)


def torch_step(
    make: Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer], device: str
) -> Callable[[], None]:
    params, grads = make_params(device)
    for p, g in zip(params, grads):
        p.grad = g
    opt = make(params)
    return opt.step  # type: ignore[return-value]


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_block(step: Callable[[], None], steps: int, device: str) -> float:
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    d = args.device
    contenders: dict[str, Callable[[], None]] = {
        "cnnkit SGD": cnnkit_step(optimizers.SGD(0.01), d),
        "torch SGD": torch_step(lambda p: torch.optim.SGD(p, lr=0.01), d),
        "torch SGD foreach": torch_step(
            lambda p: torch.optim.SGD(p, lr=0.01, foreach=True), d
        ),
        "cnnkit SGD m=0.9": cnnkit_step(optimizers.SGD(0.01, momentum=0.9), d),
        "torch SGD m=0.9": torch_step(
            lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), d
        ),
        "torch SGD m=0.9 foreach": torch_step(
            lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=True), d
        ),
        "cnnkit Adam": cnnkit_step(optimizers.Adam(), d),
        "torch Adam": torch_step(lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7), d),
        "torch Adam foreach": torch_step(
            lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7, foreach=True), d
        ),
    }
    for step in contenders.values():  # warm-up: allocations, lazy init, caches
        time_block(step, 20, d)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, step in contenders.items():
            samples[name].append(time_block(step, args.steps, d))
    median = {name: statistics.median(s) for name, s in samples.items()}
    print(f"device={d} torch={torch.__version__} threads={torch.get_num_threads()}")
    print(f"{'contender':26s} {'median us/step':>15s}")
    for name, value in median.items():
        print(f"{name:26s} {value * 1e6:15.1f}")
    print("\nratio cnnkit / torch (< 1: cnnkit faster)")
    for label, ours, theirs in [
        ("SGD", "cnnkit SGD", "torch SGD"),
        ("SGD foreach", "cnnkit SGD", "torch SGD foreach"),
        ("SGD momentum", "cnnkit SGD m=0.9", "torch SGD m=0.9"),
        ("SGD momentum foreach", "cnnkit SGD m=0.9", "torch SGD m=0.9 foreach"),
        ("Adam", "cnnkit Adam", "torch Adam"),
        ("Adam foreach", "cnnkit Adam", "torch Adam foreach"),
    ]:
        print(f"{label:26s} {median[ours] / median[theirs]:15.2f}")


if __name__ == "__main__":
    main()
