"""``keras.utils`` under the hook: cnnkit's utils, with ``image_dataset_from_directory``
giving a ``tf.data.Dataset`` that tutorials can ``map`` and ``prefetch``."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cnnkit
from cnnkit.compat.tf.data import Dataset


def _folders(root: Path) -> Path:
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            pixels = np.full((6, 6, 3), 40 * i, dtype="uint8")
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


@pytest.mark.usefixtures("keras_hook")
def test_image_dataset_from_directory_is_a_tf_dataset(tmp_path: Path) -> None:
    keras = importlib.import_module("keras")
    tf = importlib.import_module("tensorflow")
    root = _folders(tmp_path / "images")
    ds = keras.utils.image_dataset_from_directory(root, image_size=(4, 4), batch_size=4)
    assert isinstance(ds, Dataset)
    assert ds.class_names == ["cats", "dogs"]
    assert len(ds.file_paths) == 6
    assert len(ds) == 2
    scaled = ds.map(lambda x, y: (x / 255.0, y)).prefetch(tf.data.AUTOTUNE)
    images, labels = next(iter(scaled))
    assert tuple(images.shape) == (4, 4, 4, 3)
    assert float(images.max()) <= 1.0
    assert labels.dtype == tf.int32
    train, val = tf.keras.utils.image_dataset_from_directory(
        root, image_size=(4, 4), validation_split=0.5, subset="both", seed=1
    )
    assert isinstance(train, Dataset)
    assert isinstance(val, Dataset)
    assert keras.utils.to_categorical is cnnkit.utils.to_categorical
    with pytest.raises(
        AttributeError, match=r"keras\.utils\.plot_model is not provided"
    ):
        _ = keras.utils.plot_model
