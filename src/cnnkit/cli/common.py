"""Helpers shared by the subcommands: loading datasets and models for the CLI."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError


def prepare_images(x: np.ndarray) -> np.ndarray:
    """uint8 images → float32 in [0, 1] with a channel axis (as the seed tutorial)."""
    x = x.astype("float32") / 255.0
    return x[..., None] if x.ndim == 3 else x


def load_dataset(
    name: str,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], int]:
    """Train/test arrays ready for a softmax classifier, and the number of classes."""
    from cnnkit import datasets

    if name not in datasets.list_datasets():
        raise InvalidArgumentError(
            f"Unknown dataset {name!r}; choose one of {datasets.list_datasets()}."
        )
    (x_train, y_train), (x_test, y_test) = datasets.get(name).load_data()
    y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)
    num_classes = int(max(y_train.max(), y_test.max())) + 1
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
        if not path.exists():
            raise InvalidArgumentError(f"Architecture file not found: {spec}")
        namespace = runpy.run_path(str(path), run_name="cnnkit_architecture")
        if callable(namespace.get("build_model")):
            return namespace["build_model"](input_shape, num_classes)
        if namespace.get("model") is not None:
            return namespace["model"]
        raise InvalidArgumentError(
            f"{spec} must define `build_model(input_shape, num_classes)` returning a "
            "model, or a module-level `model`."
        )
    raise InvalidArgumentError(
        f"Unknown architecture {spec!r}: use one of {sorted(zoo.ARCHITECTURES)}, a .py "
        "file defining build_model(input_shape, num_classes), or a .keras file."
    )
