"""``cnnkit train``: the seed tutorial by default; any dataset/architecture by option."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "train",
        help="train a CNN (default: the seed tutorial's CNN on MNIST)",
        description="Train a model and write runs/<name>/ with model.keras, "
        "history.csv and metrics.json. With no options this is the seed tutorial: "
        "its CNN on MNIST, SGD, batch 100, 5 epochs.",
    )
    parser.add_argument(
        "--dataset",
        default="mnist",
        help="mnist, fashion_mnist, cifar10 or cifar100 (default: mnist)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="architecture: a zoo name (seed_cnn, small_cifar_cnn), a .py file defining build_model(input_shape, num_classes), or a .keras file",
    )
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--optimizer", default="sgd", help="optimizer id (sgd, adam, rmsprop, ...)"
    )
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--validation-split", type=float, default=0.0)
    parser.add_argument(
        "--output-dir", default="runs", help="parent folder of the run (default: runs)"
    )
    parser.add_argument(
        "--name", default=None, help="run name (default: <dataset>-<time>)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="random seed for reproducible runs"
    )
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cnnkit import callbacks, config, optimizers
    from cnnkit.cli.common import build_architecture, load_dataset
    from cnnkit.utils import set_random_seed, to_categorical

    if args.seed is not None:
        set_random_seed(args.seed)
    print(f"Loading {args.dataset}...", flush=True)
    (x_train, y_train), (x_test, y_test), num_classes = load_dataset(args.dataset)
    default_model = (
        "seed_cnn" if x_train.shape[1:] == (28, 28, 1) else "small_cifar_cnn"
    )
    model = build_architecture(
        args.model or default_model, x_train.shape[1:], num_classes
    )
    optimizer = optimizers.get(args.optimizer)
    if args.learning_rate is not None:
        optimizer.learning_rate = args.learning_rate
    model.compile(
        loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"]
    )
    if args.verbose:
        model.summary()

    name = args.name or f"{args.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(args.output_dir) / name
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model.fit(
        x_train, to_categorical(y_train, num_classes),
        batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose,
        validation_split=args.validation_split,
        callbacks=[callbacks.CSVLogger(str(run_dir / "history.csv"))],
    )  # fmt: skip
    seconds = time.perf_counter() - started
    test_loss, test_accuracy = model.evaluate(
        x_test, to_categorical(y_test, num_classes), verbose=0
    )
    model.save(run_dir / "model.keras")
    metrics = {
        "dataset": args.dataset, "epochs": args.epochs, "batch_size": args.batch_size,
        "optimizer": args.optimizer, "test_loss": test_loss, "test_accuracy": test_accuracy,
        "train_seconds": round(seconds, 2), "device": str(config.get_device()),
    }  # fmt: skip
    _write_json(run_dir / "metrics.json", metrics)
    print(
        f"Test accuracy: {test_accuracy:.4f}  (test loss {test_loss:.4f}, trained in {seconds:.0f}s)"
    )
    print(f"Run written to {run_dir}/ (model.keras, history.csv, metrics.json)")
    return 0


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)
