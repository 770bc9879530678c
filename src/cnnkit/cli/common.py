"""Helpers shared by the subcommands: argument types, datasets and models for the CLI."""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path
from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError

Split = tuple[np.ndarray, np.ndarray]


def positive_int(text: str) -> int:
    """argparse type: an int >= 1 (argparse turns the error into a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0 (a learning rate)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, got {text!r}"
        ) from None
    if not (0.0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def fraction(text: str) -> float:
    """argparse type: a float in [0, 1) (a validation split)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1), got {text!r}"
        ) from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def dataset_name(text: str) -> str:
    """argparse type: a dataset cnnkit can load, checked before anything is loaded.

    Example:
        >>> dataset_name("Fashion-MNIST")
        'fashion_mnist'
    """
    from cnnkit import datasets

    try:
        return datasets.get(text).name
    except InvalidArgumentError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def prepare_images(x: np.ndarray) -> np.ndarray:
    """uint8 images → float32 in [0, 1] with a channel axis (as the seed tutorial)."""
    x = x.astype("float32") / 255.0
    return x[..., None] if x.ndim == 3 else x


def load_dataset(name: str, max_samples: int | None = None) -> tuple[Split, Split, int]:
    """Train/test arrays ready for a softmax classifier, and the number of classes.

    ``max_samples`` keeps only the first N images of each split (quick runs, tests);
    the number of classes is still read from the full labels.
    """
    from cnnkit import datasets

    handle = datasets.get(name)  # raises, listing the datasets, for an unknown name
    (x_train, y_train), (x_test, y_test) = handle.load_data()
    y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    if max_samples is not None:
        x_train, y_train = x_train[:max_samples], y_train[:max_samples]
        x_test, y_test = x_test[:max_samples], y_test[:max_samples]
    return (
        (prepare_images(x_train), y_train),
        (prepare_images(x_test), y_test),
        num_classes,
    )


def load_model_file(path: str, compile: bool = True) -> Any:
    from cnnkit.models import load_model

    file = Path(path)
    if not file.exists():
        raise InvalidArgumentError(f"Model file not found: {path}")
    return load_model(file, compile=compile)


def build_architecture(
    spec: str, input_shape: tuple[int, ...], num_classes: int
) -> Any:
    """A zoo name, a ``.keras`` file, or a Python file defining ``build_model``/``model``."""
    from cnnkit import zoo

    if spec in zoo.ARCHITECTURES:
        return zoo.ARCHITECTURES[spec](input_shape, num_classes)
    path = Path(spec)
    if path.suffix in (".keras", ".h5"):
        return load_model_file(spec, compile=False)
    if path.suffix == ".py":
        return _model_from_python_file(path, input_shape, num_classes)
    raise InvalidArgumentError(
        f"Unknown architecture {spec!r}: use one of {sorted(zoo.ARCHITECTURES)}, a .py "
        "file defining build_model(input_shape, num_classes), or a .keras file."
    )


def _model_from_python_file(
    path: Path, input_shape: tuple[int, ...], num_classes: int
) -> Any:
    from cnnkit.models import Model

    if not path.is_file():
        raise InvalidArgumentError(f"Architecture file not found: {path}")
    # The user named this file to build their model: running it is the point (this
    # is not a model file, whose loading must never run code).
    namespace = runpy.run_path(str(path), run_name="cnnkit_architecture")
    if callable(namespace.get("build_model")):
        model = namespace["build_model"](input_shape, num_classes)
    elif namespace.get("model") is not None:
        model = namespace["model"]
    else:
        raise InvalidArgumentError(
            f"{path} must define `build_model(input_shape, num_classes)` returning a "
            "model, or a module-level `model`."
        )
    if not isinstance(model, Model):
        raise InvalidTypeError(
            f"{path} gave a {type(model).__name__}, not a cnnkit model; build it with "
            "cnnkit.Sequential([...]) or cnnkit.Model(inputs, outputs)."
        )
    return model


def check_model_fits(
    model: Any, image_shape: tuple[int, ...], num_classes: int, dataset: str
) -> None:
    """Say plainly when a model cannot take a dataset, before any torch error can."""
    input_shape, output_shape = (
        _shape(model, "input_shape"),
        _shape(model, "output_shape"),
    )
    if input_shape is not None and (
        len(input_shape) != len(image_shape) + 1
        or any(m not in (None, d) for m, d in zip(input_shape[1:], image_shape))
    ):
        raise InvalidArgumentError(
            f"The model takes inputs of shape {tuple(input_shape)}, but {dataset} "
            f"images have shape (None, {', '.join(map(str, image_shape))}). Pick a "
            "model built for this dataset, or leave --model out to get a matching one."
        )
    if output_shape is not None and output_shape[-1] not in (None, num_classes):
        raise InvalidArgumentError(
            f"The model has {output_shape[-1]} outputs, but {dataset} has "
            f"{num_classes} classes. Its last layer must be "
            f"Dense({num_classes}, activation='softmax')."
        )


def _shape(model: Any, which: str) -> tuple[int | None, ...] | None:
    """The model's single input/output shape; None when unknown or several."""
    try:
        shape = getattr(model, which)
    except NotBuiltError:  # a Sequential without an Input: fit() will build it
        return None
    return tuple(shape) if isinstance(shape, tuple) else None
