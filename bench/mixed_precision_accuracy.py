"""What ``mixed_bfloat16`` costs in accuracy and gives in speed on the seed tutorial.

The seed tutorial exactly (Conv2D 32 5x5 → pool → Conv2D 64 5x5 → pool → Dense 10
softmax, SGD, categorical cross-entropy, batch 100) trained on the real MNIST training
set and scored on the real test set, once per policy and seed. The policies alternate
within each seed (float32, then mixed_bfloat16, same initial weights), so a slow
stretch of the shared machine hits both sides alike.

bf16 autocast runs the convolutions and the Dense layer in bfloat16 (8 bits of
mantissa) while the variables, the optimizer and the loss stay float32 — what Keras'
``mixed_bfloat16`` policy does. This CPU has AVX-512 BF16, so oneDNN runs native bf16
kernels.

    .venv/bin/python bench/mixed_precision_accuracy.py [--seeds 1 2 3] [--epochs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import cnnkit
from cnnkit import layers, mixed_precision, models
from cnnkit.datasets import mnist
from cnnkit.utils import to_categorical

POLICIES = ("float32", "mixed_bfloat16")


def seed_model() -> models.Sequential:
    model = models.Sequential()
    model.add(layers.Conv2D(32, (5, 5), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (5, 5), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    return model


def train_once(
    policy: str, seed: int, epochs: int, data: tuple[np.ndarray, ...]
) -> tuple[float, float, float]:
    """(test accuracy, test loss, training samples/s) of one run."""
    x_train, y_train, x_test, y_test = data
    mixed_precision.set_global_policy(policy)
    try:
        cnnkit.utils.set_random_seed(seed)
        model = seed_model()
        model.compile(
            loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"]
        )
        start = time.perf_counter()
        model.fit(x_train, y_train, batch_size=100, epochs=epochs, verbose=0)
        seconds = time.perf_counter() - start
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    finally:
        mixed_precision.set_global_policy("float32")
    return float(accuracy), float(loss), epochs * len(x_train) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    data = (
        x_train.reshape((60000, 28, 28, 1)).astype("float32") / 255,
        to_categorical(y_train),
        x_test.reshape((10000, 28, 28, 1)).astype("float32") / 255,
        to_categorical(y_test),
    )
    results: dict[str, list[tuple[float, float, float]]] = {p: [] for p in POLICIES}
    print(f"seed tutorial, {args.epochs} epochs, {args.threads} threads")
    print(
        f"{'seed':>4} {'policy':<15} {'test acc':>9} {'test loss':>10} {'samples/s':>10}"
    )
    # One short fit per policy first: oneDNN picks and caches its kernels (bf16 ones
    # included) on the first calls, which a real run pays once.
    warm = tuple(part[:2000] for part in data)
    for policy in POLICIES:
        train_once(policy, 0, 1, warm)
    for index, seed in enumerate(args.seeds):
        # The order alternates between seeds, so neither policy always runs first.
        for policy in POLICIES if index % 2 == 0 else POLICIES[::-1]:
            run = train_once(policy, seed, args.epochs, data)
            results[policy].append(run)
            print(
                f"{seed:>4} {policy:<15} {run[0]:>9.4f} {run[1]:>10.4f} {run[2]:>10.0f}"
            )

    print("\nmedians over seeds")
    base_acc = statistics.median(r[0] for r in results["float32"])
    base_rate = statistics.median(r[2] for r in results["float32"])
    for policy in POLICIES:
        accuracy = statistics.median(r[0] for r in results[policy])
        rate = statistics.median(r[2] for r in results[policy])
        print(
            f"{policy:<15} accuracy {accuracy:.4f} ({100 * (accuracy - base_acc):+.2f} "
            f"points)  {rate:,.0f} samples/s ({rate / base_rate:.2f}x float32)"
        )


if __name__ == "__main__":
    main()
