"""Loss and metric classes declared as data keep Keras' signatures and configs.

The classes share one ``__init__`` (``FixedFunction``); what a user sees must still
be a class per loss with Keras' argument names, defaults and config keys, and the
cross-entropy arguments are checked when the object is made, for losses and metrics
alike.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import torch

from cnnkit import losses, metrics
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

LOSS_CLASSES = [getattr(losses, name) for name in losses.registry.CLASSES]


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda cls: cls.__name__)
def test_every_loss_class_is_a_documented_class_of_its_own(cls: type) -> None:
    assert cls.__module__ == "cnnkit.losses.classes"
    assert cls.__doc__
    parameters = inspect.signature(cls).parameters
    assert list(parameters)[-3:] in (
        ["reduction", "name", "dtype"],
        ["axis", "name", "dtype"],  # SparseCategoricalCrossentropy, as in Keras
    )
    loss = cls()
    assert loss.name == parameters["name"].default
    assert type(losses.deserialize(losses.serialize(loss))) is cls


def test_signature_shows_keras_default_name_and_positional_order() -> None:
    signature = inspect.signature(losses.Huber)
    assert str(signature) == (
        "(delta: 'float' = 1.0, reduction: 'str | None' = 'sum_over_batch_size', "
        "name: 'str' = 'huber_loss', dtype: 'str | None' = None) -> 'None'"
    )
    assert losses.Huber(0.5).delta == 0.5  # first positional argument, as in Keras
    assert str(inspect.signature(metrics.MeanSquaredError)) == (
        "(name: 'str' = 'mean_squared_error', dtype: 'str | None' = None) -> 'None'"
    )


def test_configs_write_keras_keys_and_non_default_extras() -> None:
    assert losses.MeanSquaredError().get_config() == {
        "name": "mean_squared_error",
        "reduction": "sum_over_batch_size",
    }
    assert "axis" not in losses.SparseCategoricalCrossentropy().get_config()
    assert losses.SparseCategoricalCrossentropy(axis=1).get_config()["axis"] == 1
    assert losses.CategoricalCrossentropy().get_config()["axis"] == -1
    assert metrics.CosineSimilarity(axis=0).get_config() == {
        "name": "cosine_similarity",
        "dtype": "float32",
        "axis": 0,
    }


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(
        TypeError, match=r"MeanSquaredError\(\) got an unexpected keyword argument "
    ):
        losses.MeanSquaredError(delta=1.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"Poisson\(\) got an unexpected keyword"):
        metrics.Poisson(axis=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "make",
    [
        losses.CategoricalCrossentropy,
        losses.BinaryCrossentropy,
        metrics.CategoricalCrossentropy,
        metrics.BinaryCrossentropy,
    ],
    ids=lambda cls: f"{cls.__module__.split('.')[1]}.{cls.__name__}",
)
def test_label_smoothing_is_checked_for_losses_and_metrics(make: Any) -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"`label_smoothing` must be a float in \[0, 1\] \(0\.1 is typical\); "
        r"received label_smoothing=1\.5\.",
    ):
        make(label_smoothing=1.5)


@pytest.mark.parametrize(
    "make",
    [losses.SparseCategoricalCrossentropy, metrics.SparseCategoricalCrossentropy],
)
def test_sparse_arguments_are_checked_for_losses_and_metrics(make: Any) -> None:
    with pytest.raises(
        InvalidTypeError,
        match=r"`ignore_class` must be an int \(a label value to leave out\) or None; "
        r"received ignore_class=1\.5 of type float\.",
    ):
        make(ignore_class=1.5)
    with pytest.raises(InvalidTypeError, match=r"`axis` must be an int"):
        make(axis="last")


def test_checked_arguments_still_compute_the_same_loss() -> None:
    y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    y_pred = torch.tensor([[0.1, 0.9], [0.8, 0.2]])
    loss = losses.CategoricalCrossentropy(label_smoothing=0.1)(y_true, y_pred)
    metric = metrics.CategoricalCrossentropy(label_smoothing=0.1)
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(float(loss))


LOSS_MEAN_METRICS = [
    cls
    for cls in metrics.registry.CLASSES.values()
    if issubclass(cls, metrics.regression._LossMean)
]


def _names_and_defaults(cls: type) -> list[tuple[str, Any]]:
    return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("family", "cls"),
    [("losses", cls) for cls in LOSS_CLASSES]
    + [("metrics", cls) for cls in LOSS_MEAN_METRICS],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_signature_matches_keras(family: str, cls: type) -> None:
    keras = pytest.importorskip("keras")
    keras_cls = getattr(getattr(keras, family), cls.__name__)
    assert _names_and_defaults(cls) == _names_and_defaults(keras_cls)
