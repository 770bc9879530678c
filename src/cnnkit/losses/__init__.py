"""Losses with Keras 3 semantics, computed with torch.

Functions (``mean_squared_error``, ``categorical_crossentropy``, ...) return one value
per sample; classes (``MeanSquaredError``, ``CategoricalCrossentropy``, ...) add a
reduction and a name and are called as ``loss(y_true, y_pred, sample_weight=None)``.
``resolve`` is what ``compile(loss=...)`` uses; ``logits_equivalent`` gives the fused
softmax + cross-entropy form; ``check_sparse_labels`` validates a whole label set once.

Example:
    >>> import torch
    >>> from cnnkit import losses
    >>> loss = losses.resolve("sparse_categorical_crossentropy")
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(loss(torch.tensor([1, 2]), y_pred)), 4)
    1.1769
    >>> round(float(losses.mse(torch.tensor([1.0]), torch.tensor([3.0]))), 1)
    4.0
"""

from __future__ import annotations

from cnnkit.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from cnnkit.losses.crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    check_sparse_labels,
    sparse_categorical_crossentropy,
)
from cnnkit.losses.loss import Loss, Reduction, reduce_weighted_values
from cnnkit.losses.probabilistic import (
    categorical_hinge,
    hinge,
    kl_divergence,
    poisson,
    squared_hinge,
)
from cnnkit.losses.registry import (
    ALL_OBJECTS,
    deserialize,
    get,
    logits_equivalent,
    resolve,
    serialize,
    target_kind,
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
from cnnkit.losses.wrapper import LossFunctionWrapper

# Keras' short aliases, importable as functions too (`cnnkit.losses.mse`).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy

__all__ = [
    "ALL_OBJECTS",
    "BCE",
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "Reduction",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "bce",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "check_sparse_labels",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "log_cosh",
    "logits_equivalent",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_weighted_values",
    "resolve",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "target_kind",
]
