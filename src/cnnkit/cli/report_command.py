"""``cnnkit report``: write the HTML report of a trained model on test data."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="write an HTML report of what a trained model learned",
        description="Evaluate MODEL on test data and write one self-contained HTML "
        "page: layer table, training curves, accuracy, confusion matrix, precision "
        "and recall per class, the most confident mistakes with Grad-CAM, filters, "
        "activation maps, the filters over the epochs and the doctor's notes. The "
        "training history comes from the model file (saved after fit) or a "
        "history.csv next to it.",
    )
    parser.add_argument("model", metavar="MODEL.keras", help="the trained model")
    parser.add_argument(
        "--data",
        default="mnist",
        metavar="DATA",
        help="mnist (default), fashion_mnist, cifar10, or a .npz file holding "
        "x_test and y_test",
    )
    parser.add_argument(
        "--out", default="report.html", metavar="FILE", help="default: report.html"
    )
    parser.add_argument("--lang", default="en", choices=("en", "fr"))
    parser.add_argument(
        "--max-samples",
        type=int,
        default=None,
        metavar="N",
        help="use only the first N test samples",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cnnkit import explain, saving

    started = time.perf_counter()
    model = saving.load_model(args.model)
    x_test, y_test, names = _test_data(args.data, model)
    if args.max_samples is not None:
        x_test, y_test = x_test[: args.max_samples], y_test[: args.max_samples]
    run_dir = Path(args.model).resolve().parent
    history = None
    if getattr(model, "history", None) is None and (run_dir / "history.csv").is_file():
        history = run_dir / "history.csv"  # a model trained before history was saved
    path = explain.report(
        model, x_test, y_test, out=args.out, lang=args.lang, history=history,
        class_names=names, doctor_notes=_doctor_notes(run_dir),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    print(f"Report written to {path} ({seconds:.1f}s); open it in a browser:")
    print(f"  file://{path.resolve()}")
    return 0


def _test_data(data: str, model: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """The test arrays (scaled as for training) and the class names, if known."""
    from cnnkit.cli.common import load_dataset, prepare_images

    if not data.endswith(".npz"):
        _, (x_test, y_test), _ = load_dataset(data)
        names = getattr(model, "class_names", None) or _dataset_names(data)
        return x_test, y_test, names
    path = Path(data)
    if not path.is_file():
        raise InvalidArgumentError(
            f"`--data`: no file at {data!r}. Pass a dataset name (mnist, "
            "fashion_mnist, cifar10) or an .npz file holding x_test and y_test."
        )
    with np.load(path, allow_pickle=False) as archive:
        missing = [k for k in ("x_test", "y_test") if k not in archive.files]
        if missing:
            raise InvalidArgumentError(
                f"`--data`: {data!r} has no {' or '.join(missing)}; its arrays are "
                f"{archive.files}. Save it with `np.savez(path, x_test=x, y_test=y)`."
            )
        x_test, y_test = archive["x_test"], archive["y_test"]
    if x_test.dtype == np.uint8:
        x_test = prepare_images(x_test)  # 0-255 pixels, as `cnnkit train` scales them
    rank = len(getattr(model, "input_shape", ()) or ())
    if rank and x_test.ndim == rank - 1:
        x_test = x_test[..., None]  # grayscale images saved without a channel axis
    return x_test.astype("float32"), y_test, getattr(model, "class_names", None)


def _dataset_names(data: str) -> list[str] | None:
    """Names shown in the report; MNIST's classes are their own names (the digits)."""
    from cnnkit import datasets

    names = datasets.get(data).class_names
    return None if names is None or data == "mnist" else list(names)


def _doctor_notes(run_dir: Path) -> list[str] | None:
    """The doctor's findings that ``cnnkit train`` kept in metrics.json, if any."""
    metrics = run_dir / "metrics.json"
    if not metrics.is_file():
        return None
    try:
        notes = json.loads(metrics.read_text(encoding="utf-8")).get("doctor")
    except (ValueError, AttributeError):
        return None
    return [str(n) for n in notes] if isinstance(notes, list) else None
