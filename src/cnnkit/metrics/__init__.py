"""Metrics with Keras 3 semantics whose state stays on the device.

``update_state`` accumulates on the inputs' device without reading anything back to
the host; ``result()`` is where a value is read (the trainer does it only when the
progress bar redraws). ``resolve`` is what ``compile(metrics=[...])`` uses, including
the shape rule behind ``"accuracy"``/``"acc"``.

Example:
    >>> import torch
    >>> from cnnkit import metrics
    >>> acc = metrics.resolve("acc", y_true_shape=(2,), y_pred_shape=(2, 3))
    >>> y_pred = torch.tensor([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    >>> acc.update_state(torch.tensor([1, 2]), y_pred)
    >>> acc.name, acc.result()
    ('acc', tensor(0.5000))
"""

from __future__ import annotations

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
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cnnkit.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from cnnkit.metrics.auc import AUC
from cnnkit.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from cnnkit.metrics.fscore import F1Score, FBetaScore
from cnnkit.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from cnnkit.metrics.metric import Metric
from cnnkit.metrics.numpy_metrics import confusion_matrix
from cnnkit.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from cnnkit.metrics.reduction import Mean, MeanMetricWrapper, Sum
from cnnkit.metrics.registry import ALL_OBJECTS, deserialize, get, resolve, serialize
from cnnkit.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)

__all__ = [
    "ALL_OBJECTS",
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_hinge",
    "confusion_matrix",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "resolve",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
