"""How well ``cnnkit.utils.read_number`` reads whole numbers, and how fast.

Numbers of 4 to 6 digits are composed from MNIST *test* digits (dark ink on white
paper, as a user draws them), in two conditions:

- separated: each digit's ink box 4 px from the next;
- touching: each digit slid left until its strokes touch its neighbour's (8-connected,
  at pixel level 30/255), then ``--press`` px further (default 1), so the row is one
  connected stroke wherever the digits meet.

The classifier is the seed CNN (``cnnkit.zoo.seed_cnn``), trained as ``make demo``
trains it (``cnnkit train``: SGD lr 0.01, batch 100) but for ``--epochs`` epochs
(default 2), or loaded with ``--model PATH``. Printed per condition: exact-string
accuracy, per-digit accuracy (1 - edit distance / length, summed over numbers), the
classifier's "oracle" accuracy on the same digits alone (28x28 as MNIST gives them:
what a perfect segmentation would reach) and milliseconds per number.

    .venv/bin/python bench/reader_accuracy.py [--count 500] [--model PATH]

Measured 2026-12-04 on this 2-core machine (shared, load 3-5), --count 500, the
seed CNN trained with make demo's recipe (SGD lr 0.01, batch 100, 5 epochs; 96.8 %
on the MNIST test set), press 1:

    condition   count   exact per-digit  oracle ms/number
    separated     500   77.0%     94.7%   97.0%   187-259
    touching      500   24.4%     69.2%   97.0%   129-367

(ms/number varies with the machine's load; at load 3, 6-digit numbers took 119 ms
separated, 157 ms touching, of which the model's predict 94 and 116 ms on 114 and
214 candidate pieces.)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from cnnkit.datasets import mnist
from cnnkit.utils import read_number, to_categorical

INK = 30  # grey level above which a pixel is ink (as the reader's own)


def ink_columns(digit: np.ndarray) -> np.ndarray:
    """The digit (28x28, light on black) cropped to the columns holding ink."""
    cols = np.flatnonzero((digit > INK).any(axis=0))
    return digit[:, cols[0] : cols[-1] + 1]


def _touch_offset(canvas: np.ndarray, right: int, glyph: np.ndarray) -> int:
    """The largest x (<= right) at which ``glyph``'s ink touches the canvas ink."""
    ink = canvas > INK
    # Dilate the canvas ink by one pixel: touching includes diagonals.
    grown = ink.copy()
    grown[1:] |= ink[:-1]
    grown[:-1] |= ink[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    mine = glyph > INK
    for x in range(right, max(-1, right - glyph.shape[1] - 1), -1):
        if (grown[:, x : x + glyph.shape[1]] & mine[:, : grown.shape[1] - x]).any():
            return x
    return right - glyph.shape[1]  # never touches (cannot happen with MNIST digits)


def compose(
    digits: list[np.ndarray], *, touching: bool, press: int = 1
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A white page with the digits in a row, dark ink (uint8), and each digit's
    columns ``(start, end)`` on it."""
    pad, gap = 8, 4
    glyphs = [ink_columns(d) for d in digits]
    width = sum(g.shape[1] for g in glyphs) + gap * len(glyphs) + 2 * pad
    canvas = np.zeros((28 + 2 * pad, width), np.uint8)
    spans = []
    x = pad
    for glyph in glyphs:
        if touching and x > pad:
            x = max(pad, _touch_offset(canvas[pad : pad + 28], x, glyph) - press)
        region = canvas[pad : pad + 28, x : x + glyph.shape[1]]
        np.maximum(region, glyph, out=region)
        spans.append((x, x + glyph.shape[1]))
        x += glyph.shape[1] + (0 if touching else gap)
    return 255 - canvas[:, : x + pad], spans


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def train_seed(epochs: int) -> Any:
    from cnnkit import zoo

    (x, y), _ = mnist.load_data()
    model = zoo.seed_cnn()
    model.compile(
        loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"]
    )
    x = x[..., None].astype("float32") / 255
    model.fit(x, to_categorical(y), batch_size=100, epochs=epochs, verbose=0)
    return model


def run_condition(
    model: Any,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    count: int,
    touching: bool,
    press: int,
    seed: int,
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    exact = correct = total = 0
    used: list[int] = []
    seconds = 0.0
    for _ in range(count):
        index = rng.choice(len(images), size=int(rng.integers(4, 7)), replace=False)
        used.extend(index.tolist())
        page, _ = compose([images[i] for i in index], touching=touching, press=press)
        truth = "".join(str(labels[i]) for i in index)
        start = time.perf_counter()
        read = read_number(model, page).number
        seconds += time.perf_counter() - start
        exact += read == truth
        correct += max(0, len(truth) - edit_distance(read, truth))
        total += len(truth)
    alone = model.predict(images[used][..., None] / 255.0, verbose=0).argmax(axis=1)
    return {
        "exact": exact / count,
        "per_digit": correct / total,
        "oracle": float((alone == labels[used]).mean()),
        "ms": 1000 * seconds / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500, help="numbers per condition")
    parser.add_argument("--model", help="a trained .keras digit model (default: train)")
    parser.add_argument("--epochs", type=int, default=2, help="when training")
    parser.add_argument("--press", type=int, default=1, help="px past first touch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.model:
        from cnnkit.saving import load_model

        model = load_model(args.model)
    else:
        model = train_seed(args.epochs)
    _, (images, labels) = mnist.load_data()
    print(
        f"{'condition':<11} {'count':>5} {'exact':>7} {'per-digit':>9} "
        f"{'oracle':>7} {'ms/number':>9}"
    )
    for name, touching in (("separated", False), ("touching", True)):
        r = run_condition(
            model,
            images,
            labels,
            count=args.count,
            touching=touching,
            press=args.press,
            seed=args.seed,
        )
        print(
            f"{name:<11} {args.count:>5} {r['exact']:>7.1%} {r['per_digit']:>9.1%} "
            f"{r['oracle']:>7.1%} {r['ms']:>9.1f}"
        )


if __name__ == "__main__":
    main()
