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
    assert keras.utils.plot_model is cnnkit.utils.plot_model
    with pytest.raises(
        AttributeError,
        match=r"keras\.utils\.text_dataset_from_directory is not provided",
    ):
        _ = keras.utils.text_dataset_from_directory


def test_timeseries_windows_follow_keras_documented_examples() -> None:
    from cnnkit.compat.keras_utils import timeseries_dataset_from_array

    steps = np.arange(99)
    ds = timeseries_dataset_from_array(
        steps, None, sequence_length=10, sampling_rate=2, sequence_stride=3,
        batch_size=None,
    )  # fmt: skip
    windows = [w.tolist() for w in ds]
    assert windows[0] == list(range(0, 20, 2))
    assert windows[-1] == list(range(78, 98, 2))
    assert len(ds) == len(windows) == 27
    data = np.arange(100)
    regression = timeseries_dataset_from_array(
        data[:-10], data[10:], sequence_length=10, batch_size=32
    )
    inputs, targets = next(iter(regression))
    assert tuple(inputs.shape) == (32, 10)
    assert inputs[0].tolist() == list(range(10))
    assert targets[0].item() == 10
    assert len(regression) == 3  # 81 windows in batches of 32
    assert isinstance(regression, Dataset)


def test_timeseries_start_end_and_shuffle() -> None:
    from cnnkit.compat.keras_utils import timeseries_dataset_from_array

    data = np.arange(20, dtype="float32")[:, None]
    part = timeseries_dataset_from_array(
        data, None, 3, start_index=5, end_index=10, batch_size=None
    )
    assert [w[:, 0].tolist() for w in part] == [[5, 6, 7], [6, 7, 8], [7, 8, 9]]
    one = timeseries_dataset_from_array(data, np.arange(20), 4, shuffle=True, seed=3)
    two = timeseries_dataset_from_array(data, np.arange(20), 4, shuffle=True, seed=3)
    (x1, y1), (_, y2) = next(iter(one)), next(iter(two))
    assert y1.tolist() == y2.tolist()
    assert sorted(y1.tolist()) == list(range(17))
    assert y1.tolist() != list(range(17))
    assert x1[:, 0, 0].tolist() == y1.tolist()  # each target stays with its window


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sequence_length": 0}, r"`sequence_length` must be a positive int"),
        ({"sampling_rate": 0}, r"`sampling_rate` must be a positive int"),
        ({"sequence_stride": 10}, r"`sequence_stride` must be smaller than .* 10"),
        ({"start_index": 8, "end_index": 4}, r"need 0 <= start_index < end_index"),
    ],
)
def test_timeseries_argument_errors(kwargs: dict[str, int], message: str) -> None:
    from cnnkit.compat.keras_utils import timeseries_dataset_from_array

    arguments = {"sequence_length": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(np.arange(10), None, **arguments)


@pytest.mark.usefixtures("keras_hook")
def test_timeseries_dataset_trains_a_model_under_the_hook() -> None:
    keras = importlib.import_module("keras")
    series = np.sin(np.arange(300, dtype="float32") / 5)[:, None]
    ds = keras.utils.timeseries_dataset_from_array(
        series[:-1], series[1:, 0] > 0, sequence_length=8, batch_size=32
    )
    model = keras.Sequential(
        [
            keras.Input((8, 1)),
            keras.layers.Conv1D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(ds, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
