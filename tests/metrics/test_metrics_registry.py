"""Metric string ids, the accuracy/crossentropy resolution rule and round trips."""

from __future__ import annotations

import pytest
import torch

from cnnkit import metrics
from cnnkit.serialization import register_keras_serializable

# The spec's rule (KERAS_SPEC §3.3) on a table of shapes.
RULE = [
    ((32,), (32, 1), "BinaryAccuracy"),
    ((32, 1), (32, 1), "BinaryAccuracy"),
    ((32, 10), (32, 1), "BinaryAccuracy"),
    ((32,), (32, 10), "SparseCategoricalAccuracy"),
    ((32, 1), (32, 10), "SparseCategoricalAccuracy"),  # CIFAR-10's (N, 1) labels
    ((None, 1), (None, 10), "SparseCategoricalAccuracy"),
    ((8, 6, 6), (8, 6, 6, 4), "SparseCategoricalAccuracy"),
    ((32, 10), (32, 10), "CategoricalAccuracy"),
    (
        (32, 10),
        (32, 10),
        "CategoricalAccuracy",
    ),  # BCE on 10 sigmoids: still categorical
    ((32, 2), (32, 10), "CategoricalAccuracy"),
]
CE_FOR = {
    "BinaryAccuracy": "BinaryCrossentropy",
    "SparseCategoricalAccuracy": "SparseCategoricalCrossentropy",
    "CategoricalAccuracy": "CategoricalCrossentropy",
}


@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy", "ACC"])
@pytest.mark.parametrize(("y_true_shape", "y_pred_shape", "expected"), RULE)
def test_accuracy_resolution_rule_keeps_the_name(
    identifier: str, y_true_shape: tuple, y_pred_shape: tuple, expected: str
) -> None:
    metric = metrics.resolve(identifier, y_true_shape, y_pred_shape)
    assert type(metric).__name__ == expected
    assert metric.name == identifier
    assert metric._direction == "up"


@pytest.mark.parametrize("identifier", ["crossentropy", "ce", "CE"])
@pytest.mark.parametrize(("y_true_shape", "y_pred_shape", "accuracy_kind"), RULE)
def test_crossentropy_metric_ids_follow_the_same_rule(
    identifier: str, y_true_shape: tuple, y_pred_shape: tuple, accuracy_kind: str
) -> None:
    metric = metrics.resolve(identifier, y_true_shape, y_pred_shape)
    assert type(metric).__name__ == CE_FOR[accuracy_kind]
    assert metric.name == identifier
    assert metric._direction == "down"


def test_binary_accuracy_from_resolve_thresholds_at_half_even_for_logits() -> None:
    metric = metrics.resolve("accuracy", (4, 1), (4, 1))
    metric.update_state(torch.tensor([[1.0], [1.0]]), torch.tensor([[0.3], [2.0]]))
    assert float(metric.result()) == 0.5  # the 0.3 logit means p=0.57, yet counts as 0


SNAKE = {
    "binary_accuracy": "BinaryAccuracy",
    "categorical_accuracy": "CategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy",
    "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy",
    "precision": "Precision",
    "recall": "Recall",
    "auc": "AUC",
    "f1_score": "F1Score",
    "f_beta_score": "FBetaScore",
    "true_positives": "TruePositives",
    "mean_squared_error": "MeanSquaredError",
    "mse": "MeanSquaredError",
    "MSE": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "MAE": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
    "root_mean_squared_error": "RootMeanSquaredError",
    "cosine_similarity": "CosineSimilarity",
    "log_cosh_error": "LogCoshError",
    "mean": "Mean",
    "sum": "Sum",
    "bce": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "kl_divergence": "KLDivergence",
    "poisson": "Poisson",
    "hinge": "Hinge",
    "squared_hinge": "SquaredHinge",
    "categorical_hinge": "CategoricalHinge",
}


@pytest.mark.parametrize(("identifier", "class_name"), SNAKE.items())
def test_string_ids_give_instances_and_round_trip(
    identifier: str, class_name: str
) -> None:
    metric = metrics.get(identifier)
    assert type(metric).__name__ == class_name
    assert type(metrics.get(class_name)) is type(metric)
    resolved = metrics.resolve(identifier, (4, 3), (4, 3))
    assert type(resolved) is type(metric)
    assert resolved.name == identifier
    config = metrics.serialize(metric)
    assert config["module"] == "keras.metrics"
    rebuilt = metrics.deserialize(config)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
    assert metrics.deserialize(identifier).get_config()["dtype"] == "float32"


def test_get_accuracy_is_exact_match_accuracy_as_in_keras() -> None:
    """Only `resolve` (compile) applies the shape rule; `get` mirrors Keras' `get`."""
    assert type(metrics.get("accuracy")) is metrics.Accuracy
    resolved = metrics.resolve("accuracy", torch.Size([4, 1]), torch.Size([4, 3]))
    assert type(resolved) is metrics.SparseCategoricalAccuracy


def test_directions_for_mode_auto() -> None:
    for name in (
        "accuracy",
        "precision",
        "recall",
        "auc",
        "f1_score",
        "cosine_similarity",
    ):
        assert metrics.get(name)._direction == "up", name
    for name in (
        "mse",
        "mae",
        "root_mean_squared_error",
        "categorical_crossentropy",
        "hinge",
    ):
        assert metrics.get(name)._direction == "down", name
    assert metrics.Mean()._direction is None
    assert metrics.MeanMetricWrapper(lambda t, p: t)._direction is None


def test_functions_and_instances_resolve_like_compile() -> None:
    wrapped = metrics.resolve(metrics.binary_accuracy)
    assert isinstance(wrapped, metrics.MeanMetricWrapper)
    assert wrapped.name == "binary_accuracy"
    auc = metrics.AUC(name="roc")
    assert metrics.resolve(auc) is auc
    assert metrics.resolve(metrics.Precision).name.startswith("precision")
    assert metrics.get(None) is None
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert metrics.serialize("acc") == "acc"
    assert metrics.serialize(None) is None


def test_wrapper_and_configured_metrics_round_trip() -> None:
    cases = [
        metrics.MeanMetricWrapper(
            metrics.sparse_top_k_categorical_accuracy, name="t", k=2
        ),
        metrics.AUC(thresholds=[0.2, 0.4], curve="PR", multi_label=True, num_labels=3),
        metrics.Precision(thresholds=[0.3, 0.6], top_k=2, class_id=1),
        metrics.F1Score(average="macro", threshold=0.4),
        metrics.SparseTopKCategoricalAccuracy(k=3, from_sorted_ids=True),
        metrics.CosineSimilarity(axis=0),
        metrics.MeanMetricWrapper(metrics.mean_squared_error),
    ]
    for metric in cases:
        rebuilt = metrics.deserialize(metrics.serialize(metric))
        assert type(rebuilt) is type(metric)
        assert rebuilt.get_config() == metric.get_config()


def test_wrapper_of_a_loss_object_round_trips_and_minimises() -> None:
    from cnnkit import losses

    metric = metrics.MeanMetricWrapper(losses.Huber(delta=0.5), name="huber")
    assert metric._direction == "down"
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert rebuilt._fn.get_config() == metric._fn.get_config()


def test_registered_custom_metric_round_trips() -> None:
    @register_keras_serializable(package="test_metrics")
    class Largest(metrics.Metric):
        def __init__(self, name: str = "largest", dtype: str | None = None) -> None:
            super().__init__(name=name, dtype=dtype)
            self.value = self.add_variable((), name="value")

        def update_state(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
            (pred,) = self._inputs(y_pred)
            self.value.copy_(torch.maximum(self.value, pred.max()))

        def result(self) -> torch.Tensor:
            return self.value.clone()

    config = metrics.serialize(Largest())
    assert config["registered_name"] == "test_metrics>Largest"
    assert type(metrics.deserialize(config)) is Largest


def test_auto_names_are_unique_like_keras() -> None:
    first, second = metrics.Precision(), metrics.Precision()
    assert first.name.startswith("precision")
    assert second.name != first.name
