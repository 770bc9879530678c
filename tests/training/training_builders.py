"""Tiny models, data and probes shared by the training tests.

Every builder takes the library as its first argument (``cnnkit`` or ``keras``), so
the oracle tests build the same architecture in both and copy the weights across.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

import cnnkit
from cnnkit.callbacks import Callback

FEATURES = 6
CLASSES = 3


def tiny_data(
    n: int = 20, features: int = FEATURES, classes: int = CLASSES, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` float32 ``(n, features)`` and integer labels ``(n,)`` in ``[0, classes)``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = rng.integers(0, classes, n)
    return x, y


def images(n: int = 16, size: int = 8, channels: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, size, size, channels)).astype("float32")


def dense_model(
    lib: ModuleType = cnnkit,
    units: int = CLASSES,
    activation: str | None = "softmax",
    features: int = FEATURES,
    **dense_kwargs: Any,
) -> Any:
    """Input → Dense(4, relu) → Dense(units, activation)."""
    return lib.Sequential(
        [
            lib.Input((features,)),
            lib.layers.Dense(4, activation="relu", **dense_kwargs),
            lib.layers.Dense(units, activation=activation),
        ]
    )


def conv_model(lib: ModuleType = cnnkit, channels: int = 1) -> Any:
    """A small CNN with every kind of weight: conv, batch norm (moving stats), dense."""
    return lib.Sequential(
        [
            lib.Input((8, 8, channels)),
            lib.layers.Conv2D(4, (3, 3), activation="relu"),
            lib.layers.BatchNormalization(),
            lib.layers.MaxPooling2D((2, 2)),
            lib.layers.Flatten(),
            lib.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


def two_output_model(
    lib: ModuleType = cnnkit, names: tuple[str, str] = ("cls", "reg")
) -> Any:
    """One input, a softmax classifier head and a linear regression head."""
    inputs = lib.Input((FEATURES,), name="features")
    hidden = lib.layers.Dense(4, activation="relu")(inputs)
    first = lib.layers.Dense(CLASSES, activation="softmax", name=names[0])(hidden)
    second = lib.layers.Dense(1, name=names[1])(hidden)
    return lib.Model(inputs, [first, second])


def two_input_model(lib: ModuleType = cnnkit) -> Any:
    """Inputs ``a`` (6 features) and ``b`` (2 features), one softmax output."""
    a = lib.Input((FEATURES,), name="a")
    b = lib.Input((2,), name="b")
    hidden = lib.layers.Concatenate()([lib.layers.Dense(4, activation="relu")(a), b])
    return lib.Model([a, b], lib.layers.Dense(CLASSES, activation="softmax")(hidden))


class BatchSizes(cnnkit.layers.Layer):
    """Identity layer that records the batch size of every training forward pass."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sizes: list[int] = []

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training:
            self.sizes.append(int(inputs.shape[0]))
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def recording_model(features: int = FEATURES) -> tuple[Any, BatchSizes]:
    """A compiled Dense classifier whose first layer records training batch sizes."""
    probe = BatchSizes()
    model = cnnkit.Sequential(
        [
            cnnkit.Input((features,)),
            probe,
            cnnkit.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model, probe


class EpochBatches(Callback):
    """Counts the training batches of each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.per_epoch: list[int] = []

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.per_epoch[-1] += 1


def weights_close(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return len(first) == len(second) and all(
        np.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(first, second)
    )


def assert_histories_equal(
    first: dict[str, list[float]], second: dict[str, list[float]], rtol: float = 1e-6
) -> None:
    """Same keys, same number of epochs, values equal to ``rtol``."""
    assert sorted(first) == sorted(second)
    for key in first:
        np.testing.assert_allclose(first[key], second[key], rtol=rtol, err_msg=key)
