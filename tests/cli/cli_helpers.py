"""Helpers of the ``cnnkit`` command tests (not a test module): tiny models, data."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import cnnkit
from cnnkit import layers

# The cache that tests/datasets/test_dataset_real.py fills from the real sources.
DATA_HOME = Path(__file__).resolve().parents[2] / ".pytest_data" / "cnnkit_home"
CNNKIT_SCRIPT = Path(sys.executable).with_name("cnnkit")


@dataclass
class Result:
    """What one ``cnnkit`` run gave: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


Cli = Callable[..., Result]


def mnist_like(n_train: int, n_test: int, shape: tuple[int, ...] = (28, 28)) -> tuple:
    """uint8 images and labels 0-9 in Keras' layout; every class in the test split."""
    rng = np.random.default_rng(7)
    x_train = rng.integers(0, 256, (n_train, *shape), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, *shape), dtype=np.uint8)
    y_train = (np.arange(n_train) % 10).astype(np.uint8)
    y_test = (np.arange(n_test) % 10).astype(np.uint8)
    return (x_train, y_train), (x_test, y_test)


def small_cnn(
    input_shape: tuple[int, ...] = (28, 28, 1), classes: int = 10
) -> cnnkit.Sequential:
    return cnnkit.Sequential(
        [
            cnnkit.Input(input_shape),
            layers.Conv2D(4, 5, activation="relu"),
            layers.MaxPooling2D(4),
            layers.Flatten(),
            layers.Dense(classes, activation="softmax"),
        ]
    )


def subprocess_env(home: Path) -> dict[str, str]:
    """The environment for a ``cnnkit`` child process reading ``home``'s cache."""
    return {**os.environ, "CNNKIT_HOME": str(home)}
