"""Training the seed CNN on real MNIST: cnnkit ``fit`` vs a hand-written torch loop.

Same architecture, SGD(lr=0.01), batch 100, categorical cross-entropy, data held as
tensors, reshuffled each epoch. Interleaved rounds, medians; prints seconds per epoch
slice and the ratio cnnkit / torch (< 1 means cnnkit is faster).

    .venv/bin/python bench/seed_train.py [--samples 12000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _seed_models import PlainSeed, cnnkit_seed, copy_weights

from cnnkit.datasets import mnist
from cnnkit.utils import to_categorical


def plain_epoch(
    model: PlainSeed,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch: int,
) -> float:
    order = torch.randperm(len(x), device=x.device)
    total = torch.zeros((), device=x.device)
    for start in range(0, len(x), batch):
        index = order[start : start + batch]
        loss = F.cross_entropy(model(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return float(total) / ((len(x) + batch - 1) // batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=12000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    from cnnkit import config

    config.set_device(device)
    (x_train, y_train), _ = mnist.load_data()
    x = x_train[: args.samples].reshape(-1, 28, 28, 1).astype("float32") / 255
    y = y_train[: args.samples]
    y_onehot = to_categorical(y, 10).astype("float32")

    torch.manual_seed(0)
    ours = cnnkit_seed()
    ours.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    plain = PlainSeed()
    copy_weights(ours, plain)
    plain = plain.to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(plain.parameters(), lr=0.01)
    x_plain = (
        torch.from_numpy(x)
        .permute(0, 3, 1, 2)
        .to(device)
        .contiguous(memory_format=torch.channels_last)
    )
    y_plain = torch.from_numpy(y.astype("int64")).to(device)

    def run_cnnkit() -> float:
        start = time.perf_counter()
        ours.fit(x, y_onehot, batch_size=args.batch, epochs=1, verbose=0)
        return time.perf_counter() - start

    def run_plain() -> float:
        start = time.perf_counter()
        plain_epoch(plain, optimizer, x_plain, y_plain, args.batch)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    run_cnnkit(), run_plain()  # warm-up
    ours_times, plain_times = [], []
    for _ in range(args.rounds):
        ours_times.append(run_cnnkit())
        plain_times.append(run_plain())
    a, b = statistics.median(ours_times), statistics.median(plain_times)
    steps = (args.samples + args.batch - 1) // args.batch
    print(
        f"seed CNN training, {args.samples} MNIST images ({steps} steps of {args.batch}), "
        f"{device}, {torch.get_num_threads()} threads"
    )
    print(f"  cnnkit fit        {a:7.3f} s  ({a / steps * 1e3:.2f} ms/step)")
    print(f"  plain torch loop  {b:7.3f} s  ({b / steps * 1e3:.2f} ms/step)")
    print(f"ratio cnnkit / plain torch = {a / b:.3f}")
    ratios = [o / p for o, p in zip(ours_times, plain_times)]
    print(f"per-round ratios: {', '.join(f'{r:.3f}' for r in ratios)}")


if __name__ == "__main__":
    main()
