"""Every error the metrics raise, with the words that make it teach."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import metrics
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, TrainingInputError
from cnnkit.metrics.registry import deserialize_function


def test_unknown_metric_id_lists_valid_ids_and_suggests() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"Unknown metric identifier 'precison'\. Did you mean 'precision'.*"
        r"Valid string ids: \[.*'auc'.*\]",
    ):
        metrics.get("precison")
    with pytest.raises(
        InvalidArgumentError, match=r"Unknown metric identifier 'zzz'\. Valid"
    ):
        metrics.resolve("zzz", (4,), (4, 2))


@pytest.mark.parametrize("identifier", ["acc", "ce", "crossentropy", "ACC"])
def test_shape_dependent_ids_in_get_point_to_resolve(identifier: str) -> None:
    with pytest.raises(
        InvalidArgumentError, match=rf"'{identifier}' picks .*metrics.resolve"
    ):
        metrics.get(identifier)


def test_accuracy_without_shapes_asks_for_them() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"needs the label and output shapes"
    ):
        metrics.resolve("accuracy")


def test_resolve_none_says_to_remove_it() -> None:
    with pytest.raises(InvalidArgumentError, match=r"Expected a metric, received None"):
        metrics.resolve(None)


def test_get_and_serialize_reject_non_metrics() -> None:
    with pytest.raises(
        InvalidTypeError, match=r"A metric must be a string id.*type int"
    ):
        metrics.get(3)  # type: ignore[arg-type]
    with pytest.raises(
        InvalidTypeError, match=r"Cannot serialize the metric 3 of type int"
    ):
        metrics.serialize(3)  # type: ignore[arg-type]


def test_deserialize_rejects_malformed_and_unknown_configs() -> None:
    with pytest.raises(InvalidArgumentError, match=r"expected a string id or a dict"):
        metrics.deserialize({"config": {}})
    with pytest.raises(InvalidArgumentError, match=r"Unknown metric identifier 'Nope'"):
        metrics.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(
        InvalidArgumentError, match=r"Unknown metric function 'nope'.*Known"
    ):
        deserialize_function({"class_name": "function", "config": "nope"})


def test_mean_metric_wrapper_needs_a_function() -> None:
    with pytest.raises(
        InvalidTypeError, match=r"needs a function fn\(y_true, y_pred\).*'mse'"
    ):
        metrics.MeanMetricWrapper("mse")  # type: ignore[arg-type]


def test_sample_weight_that_cannot_broadcast_is_explained() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"`sample_weight` of shape \(3,\) cannot weigh .*\(4,\)",
    ):
        metrics.MeanSquaredError().update_state(
            torch.ones(4, 2), torch.zeros(4, 2), torch.ones(3)
        )


def test_add_variable_checks_initializer_and_name() -> None:
    metric = metrics.Mean()
    with pytest.raises(
        InvalidArgumentError, match=r"state starts at zero.*initializer='ones'"
    ):
        metric.add_variable((), initializer="ones", name="x")
    with pytest.raises(InvalidArgumentError, match=r"new, non-empty `name`.*'total'"):
        metric.add_variable((), name="total")


def test_base_metric_says_what_to_implement() -> None:
    class Incomplete(metrics.Metric):
        def update_state(self, y_true: Any, y_pred: Any) -> None:
            pass

    with pytest.raises(TypeError, match=r"abstract class Incomplete.*result"):
        Incomplete(name="m")
    with pytest.raises(TypeError, match=r"abstract class Metric"):
        metrics.Metric(name="m")


@pytest.mark.parametrize("thresholds", [1.5, [0.2, -0.1], [None]])
def test_thresholds_outside_unit_interval(thresholds: object) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`thresholds` must lie in \[0, 1\]"
    ):
        metrics.Precision(thresholds=thresholds)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"received thresholds="):
        metrics.AUC(
            thresholds=thresholds if isinstance(thresholds, list) else [thresholds]
        )


def test_class_id_needs_a_class_axis_and_a_valid_column() -> None:
    with pytest.raises(
        TrainingInputError, match=r"class_id=1, y_pred must have shape .*\(4,\)"
    ):
        metrics.Precision(class_id=1).update_state(torch.ones(4), torch.rand(4))
    with pytest.raises(TrainingInputError, match=r"more than 7 classes.*\(4, 3\)"):
        metrics.Recall(class_id=7).update_state(torch.ones(4, 3), torch.rand(4, 3))


def test_auc_argument_errors_list_the_options() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`curve` must be one of \['ROC', 'PR'"
    ):
        metrics.AUC(curve="DET")
    with pytest.raises(
        InvalidArgumentError, match=r"`summation_method` must be one of .*'minoring'"
    ):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(
        InvalidArgumentError, match=r"`num_thresholds` must be an int > 1"
    ):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(
        InvalidArgumentError, match=r"`num_labels` is only used with multi_label"
    ):
        metrics.AUC(num_labels=3)


def test_multi_label_auc_needs_2d_predictions() -> None:
    with pytest.raises(
        TrainingInputError, match=r"multi_label=True\) needs y_pred of shape"
    ):
        metrics.AUC(multi_label=True).update_state(torch.ones(4), torch.rand(4))


def test_fbeta_argument_errors() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`average` must be one of \[None, 'micro'"
    ):
        metrics.F1Score(average="samples")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidArgumentError, match=r"`beta` must be a float > 0.*beta=0"
    ):
        metrics.FBetaScore(beta=0)
    with pytest.raises(
        InvalidArgumentError, match=r"0 < threshold <= 1.*threshold=1.5"
    ):
        metrics.F1Score(threshold=1.5)


def test_fbeta_needs_2d_inputs() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"F1Score expects 2-D inputs .*y_true.shape=\(4,\).*one-hot",
    ):
        metrics.F1Score().update_state(torch.ones(4), torch.rand(4))


def test_metric_forms_of_losses_raise_the_loss_errors() -> None:
    with pytest.raises(
        TrainingInputError, match=r"Use loss='sparse_categorical_crossentropy'"
    ):
        metrics.CategoricalCrossentropy().update_state(
            torch.tensor([1, 0]), torch.rand(2, 3)
        )


def test_confusion_matrix_errors() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`labels` must hold class ids of shape"
    ):
        metrics.confusion_matrix(np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(
        InvalidArgumentError, match=r"`predictions` must hold whole class ids.*0.5"
    ):
        metrics.confusion_matrix([0, 1], [0.5, 1.0])
    with pytest.raises(
        InvalidArgumentError, match=r"same samples; received 2 labels and 3"
    ):
        metrics.confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(
        InvalidArgumentError, match=r"`num_classes` must be a positive int"
    ):
        metrics.confusion_matrix([0, 1], [0, 1], num_classes=0)
    with pytest.raises(InvalidArgumentError, match=r"\[0, 1\] for num_classes=2.*id 2"):
        metrics.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(InvalidArgumentError, match=r"received the id -1"):
        metrics.confusion_matrix([0, -1], [0, 1])
    with pytest.raises(
        InvalidArgumentError, match=r"one value per sample \(2\); received 3"
    ):
        metrics.confusion_matrix([0, 1], [0, 1], weights=[1, 2, 3])
