"""The built-in loss functions by name, and Keras' ``"function"`` record for one.

A :class:`~cnnkit.losses.wrapper.LossFunctionWrapper` writes its ``fn`` into its
config; this table is what it writes and reads, so the wrapper needs nothing above
it (the loss registry sits on top of both).

Example:
    >>> serialize_function(FUNCTIONS["huber"])["config"]
    'huber'
    >>> deserialize_function("mse").__name__
    'mean_squared_error'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cnnkit.losses.crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from cnnkit.losses.probabilistic import (
    categorical_hinge,
    hinge,
    kl_divergence,
    poisson,
    squared_hinge,
)
from cnnkit.losses.regression import (
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cnnkit.serialization import Registry

__all__ = ["ALIASES", "FUNCTIONS", "deserialize_function", "serialize_function"]

LossFn = Callable[..., Any]

FUNCTIONS: dict[str, LossFn] = {
    fn.__name__: fn
    for fn in (
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        kl_divergence,
        poisson,
        huber,
        log_cosh,
        hinge,
        squared_hinge,
        categorical_hinge,
        cosine_similarity,
    )
}
ALIASES: dict[str, LossFn] = {
    "bce": binary_crossentropy,
    "BCE": binary_crossentropy,
    "kld": kl_divergence,
    "KLD": kl_divergence,
    "mae": mean_absolute_error,
    "MAE": mean_absolute_error,
    "mse": mean_squared_error,
    "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error,
    "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "MSLE": mean_squared_logarithmic_error,
}
FUNCTION_REGISTRY = Registry(
    "loss function",
    FUNCTIONS,
    aliases=ALIASES,
    known_label="Known functions",
    serializable="a loss function",
)


def serialize_function(fn: LossFn) -> dict[str, Any]:
    """Keras' ``{"class_name": "function", "config": name}`` record for ``fn``."""
    record: dict[str, Any] = FUNCTION_REGISTRY.serialize(fn)
    return record


def deserialize_function(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> LossFn:
    """The function a name or a ``"function"`` record names: a built-in, or one
    registered with ``register_keras_serializable`` / given in ``custom_objects``."""
    fn: LossFn = FUNCTION_REGISTRY.deserialize(config, custom_objects)
    return fn
