"""``cnnkit train``: the seed tutorial by default; any dataset/architecture by option."""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path
from typing import Any

from cnnkit.cli.common import dataset_name, fraction, positive_float, positive_int


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "train",
        help="train a CNN (default: the seed tutorial's CNN on MNIST)",
        description="Train a model and write <output-dir>/<name>/ with model.keras, "
        "history.csv and metrics.json (the model file also keeps the history and "
        "per-epoch snapshots of the first convolution, for `cnnkit report`). With no options this is the seed tutorial: "
        "its CNN on MNIST, SGD, batch 100, 5 epochs. Under torchrun the data is "
        "sharded over the processes (--batch-size is per process) and only rank 0 "
        "prints and writes.",
    )
    parser.add_argument(
        "--dataset",
        default="mnist",
        type=dataset_name,
        help="mnist, fashion_mnist, cifar10 or cifar100 (default: mnist)",
    )
    parser.add_argument(
        "--model",
        "--architecture",
        dest="model",
        default=None,
        metavar="ARCH",
        help="a zoo name (seed_cnn, small_cifar_cnn), a .py file defining "
        "build_model(input_shape, num_classes) or a module-level `model`, or a "
        ".keras file (default: seed_cnn for 28x28 grayscale, else small_cifar_cnn)",
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=5, metavar="N", help="default: 5"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=100,
        metavar="N",
        help="images per step (per process under torchrun; default: 100)",
    )
    parser.add_argument(
        "--optimizer",
        default="sgd",
        metavar="NAME",
        help="optimizer id: sgd (default), adam, rmsprop, ...",
    )
    parser.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        metavar="LR",
        help="default: the optimizer's Keras default (0.01 for SGD, 0.001 for Adam)",
    )
    parser.add_argument(
        "--validation-split",
        type=fraction,
        default=0.0,
        metavar="F",
        help="fraction of the training images held out for validation (default: 0)",
    )
    parser.add_argument(
        "--max-samples",
        type=positive_int,
        default=None,
        metavar="N",
        help="use only the first N training and N test images (quick runs, tests)",
    )
    parser.add_argument(
        "--output-dir",
        default="runs",
        metavar="DIR",
        help="parent folder of the run (default: runs)",
    )
    parser.add_argument(
        "--name", default=None, help="run name (default: <dataset>-<date>-<time>)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="random seed for reproducible runs",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        default=1,
        choices=(0, 1, 2),
        help="0: silent, 1: progress bar (default), 2: one line per epoch",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cnnkit import config, datasets
    from cnnkit.cli.common import load_dataset
    from cnnkit.distributed import is_main_process
    from cnnkit.utils import set_random_seed, to_categorical

    main = is_main_process()  # under torchrun only rank 0 prints and writes
    if args.seed is not None:
        set_random_seed(args.seed)
    if main:
        print(f"Loading {args.dataset}...", flush=True)
    (x_train, y_train), (x_test, y_test), num_classes = load_dataset(
        args.dataset, args.max_samples
    )
    model, architecture = _compiled_model(args, x_train.shape[1:], num_classes)
    # Kept in model.keras: the report and the web page then name the classes.
    names = datasets.get(args.dataset).class_names
    if names is not None and len(names) == num_classes:
        model.class_names = list(names)
    if args.verbose and main:
        model.summary()

    name = args.name or f"{args.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(args.output_dir) / name
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    chosen = _callbacks(args, run_dir, x_test[0]) if main else []
    history = model.fit(
        x_train, to_categorical(y_train, num_classes),
        batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose,
        validation_split=args.validation_split, callbacks=chosen,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    test_loss, test_accuracy = model.evaluate(
        x_test, to_categorical(y_test, num_classes), verbose=0
    )
    if not main:
        return 0
    if not args.validation_split:
        _drop_empty_columns(run_dir / "history.csv")
    model.save(run_dir / "model.keras")
    metrics = {
        "dataset": args.dataset, "model": architecture, "epochs": args.epochs,
        "batch_size": args.batch_size, "optimizer": args.optimizer,
        "learning_rate": float(f"{model.optimizer.learning_rate:.7g}"),  # no f32 noise
        "validation_split": args.validation_split, "max_samples": args.max_samples,
        "train_images": len(x_train), "test_images": len(x_test),
        "seed": args.seed, "final_epoch": _last(history.history),
        "test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
        "train_seconds": round(seconds, 2), "device": str(config.get_device()),
        # The doctor's hints, for `cnnkit report` (which reads this file).
        "doctor": [n for c in chosen for n in getattr(c, "findings", [])],
    }  # fmt: skip
    _write_json(run_dir / "metrics.json", metrics)
    print(
        f"Test accuracy: {test_accuracy:.4f}  (test loss {test_loss:.4f}, "
        f"trained in {seconds:.0f}s)"
    )
    print(f"Run written to {run_dir}/ (model.keras, history.csv, metrics.json)")
    return 0


def _callbacks(args: argparse.Namespace, run_dir: Path, probe: Any = None) -> list[Any]:
    """The run's log, per-epoch snapshots of the first convolution (kept in
    model.keras for the report's "watch it learn" strip, ``probe`` being the image
    whose maps are kept), and the doctor's hints unless the run is silent (or
    ``CNNKIT_DOCTOR=0``: the callback then does nothing)."""
    from cnnkit import callbacks

    chosen: list[Any] = [
        callbacks.CSVLogger(run_dir / "history.csv"),
        callbacks.WatchLearning(probe=probe),
    ]
    if args.verbose:
        chosen.append(callbacks.Doctor())
    return chosen


def _compiled_model(
    args: argparse.Namespace, image_shape: tuple[int, ...], num_classes: int
) -> tuple[Any, str]:
    """The model ``--model`` names (or the default for these images), compiled."""
    from cnnkit import optimizers
    from cnnkit.cli.common import build_architecture, check_model_fits

    default = "seed_cnn" if image_shape == (28, 28, 1) else "small_cifar_cnn"
    architecture = args.model or default
    model = build_architecture(architecture, image_shape, num_classes)
    check_model_fits(model, image_shape, num_classes, args.dataset)
    optimizer = optimizers.get(args.optimizer)
    if args.learning_rate is not None:
        optimizer.learning_rate = args.learning_rate
    model.compile(
        loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"]
    )
    return model, architecture


def _last(history: dict[str, list[float]]) -> dict[str, float]:
    """The last epoch's value of each log (loss, accuracy, val_...)."""
    return {key: float(values[-1]) for key, values in history.items() if values}


def _drop_empty_columns(path: Path) -> None:
    """Remove the ``val_*`` columns CSVLogger adds (as Keras' does, in case a later
    epoch validates) when the run had no validation: all they hold is ``NA``."""
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    if len(rows) < 2:
        return
    keep = [i for i, _ in enumerate(rows[0]) if any(row[i] != "NA" for row in rows[1:])]
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("w", newline="") as file:
        csv.writer(file).writerows([[row[i] for i in keep] for row in rows])
    os.replace(temporary, path)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # Atomic, like every cnnkit write: a reader never sees half a file.
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)
