"""A real trained seed model, MNIST test digits as image files, and a client.

The model is the seed tutorial's CNN (``zoo.seed_cnn``) trained for one epoch on
30,000 MNIST images (~97 % test accuracy): what ``make demo`` trains, quicker.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette")

import cnnkit
from cnnkit import zoo

TRAIN_SAMPLES = 30_000


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    _, (x_test, y_test) = cnnkit.datasets.mnist.load_data()
    return x_test, y_test


@pytest.fixture(scope="session")
def seed_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (x_train, y_train), _ = cnnkit.datasets.mnist.load_data()
    x = x_train[:TRAIN_SAMPLES, ..., None].astype("float32") / 255.0
    y = cnnkit.utils.to_categorical(y_train[:TRAIN_SAMPLES], 10)
    cnnkit.utils.set_random_seed(0)
    model = zoo.seed_cnn((28, 28, 1), 10)
    model.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    model.class_names = [str(d) for d in range(10)]
    path = tmp_path_factory.mktemp("served") / "seed.keras"
    model.save(path)
    return path


def png_bytes(pixels: np.ndarray) -> bytes:
    """``pixels`` (uint8, 2-D gray or H x W x 3) as a PNG file's bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(
    data: bytes, name: str = "digit.png", field: str = "image"
) -> dict[str, Any]:
    """The ``files=`` argument of a test-client POST carrying one file."""
    return {field: (name, data, "image/png")}


@pytest.fixture
def client(seed_model_path: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    with TestClient(create_app(seed_model_path)) as test_client:
        yield test_client
