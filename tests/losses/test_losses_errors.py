"""Every error the losses raise, with the words that make it teach."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import losses
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, TrainingInputError

PROBS = torch.softmax(torch.randn(4, 5), dim=-1)
LABELS = torch.tensor([0, 3, 1, 4])


@pytest.mark.parametrize("labels", [LABELS, LABELS.reshape(4, 1)], ids=["n", "n1"])
def test_categorical_ce_with_integer_labels_says_use_sparse(
    labels: torch.Tensor,
) -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"integer class id per sample .*y_true.shape=\(4,( 1)?\), "
        r"y_pred.shape=\(4, 5\).*Use loss='sparse_categorical_crossentropy'"
        r".*num_classes=5",
    ):
        losses.CategoricalCrossentropy()(labels, PROBS)


def test_categorical_ce_with_too_few_columns_names_both_shapes() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"same shape .*y_true.shape=\(4, 3\), y_pred.shape=\(4, 5\).*units",
    ):
        losses.categorical_crossentropy(torch.eye(4)[:, :3], PROBS)


def test_sparse_ce_with_one_hot_labels_says_use_categorical() -> None:
    one_hot = torch.nn.functional.one_hot(LABELS, 5).float()
    with pytest.raises(
        TrainingInputError,
        match=r"one integer class id per sample, shaped \(4,\) or \(4, 1\).*one-hot.*"
        r"Use loss='categorical_crossentropy'.*argmax",
    ):
        losses.SparseCategoricalCrossentropy()(one_hot, PROBS)


def test_sparse_ce_with_wrong_batch_names_both_shapes() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"without its class axis, \(4,\) or \(4, 1\); received "
        r"y_true.shape=\(3,\)",
    ):
        losses.sparse_categorical_crossentropy(LABELS[:3], PROBS)


def test_sparse_ce_needs_a_class_axis() -> None:
    with pytest.raises(
        TrainingInputError, match=r"needs y_pred with a class axis.*\(\)"
    ):
        losses.sparse_categorical_crossentropy(torch.tensor(1), torch.tensor(0.5))


def test_sparse_ce_out_of_range_label_reports_value_and_classes_on_cpu() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"contains the label 7 \(at flat index 1\).*num_classes=5.*\[0, 4\]"
        r".*1 of 4 labels.*units=8",
    ):
        losses.SparseCategoricalCrossentropy(from_logits=True)(
            torch.tensor([0, 7, 1, 2]), torch.randn(4, 5)
        )


def test_check_sparse_labels_accepts_valid_labels_and_ignore_class() -> None:
    losses.check_sparse_labels(np.array([0, 4, 2]), num_classes=5)
    losses.check_sparse_labels(
        torch.tensor([0, 255, 2]), num_classes=5, ignore_class=255
    )
    losses.check_sparse_labels(np.zeros((0,)), num_classes=5)
    losses.check_sparse_labels(np.array([[1.0], [2.0]]), num_classes=3)


def test_check_sparse_labels_spots_one_based_labels() -> None:
    with pytest.raises(
        TrainingInputError, match=r"label 10 .*look 1-based.*subtract 1"
    ):
        losses.check_sparse_labels(np.arange(1, 11), num_classes=10)


def test_check_sparse_labels_reports_negative_labels() -> None:
    with pytest.raises(
        TrainingInputError, match=r"label -1 \(at flat index 2\).*\[0, 2\]"
    ):
        losses.check_sparse_labels(torch.tensor([0, 1, -1]), num_classes=3)


def test_check_sparse_labels_rejects_fractional_labels() -> None:
    with pytest.raises(
        TrainingInputError, match=r"value 0.5 \(at flat index 1\).*whole class ids"
    ):
        losses.check_sparse_labels(np.array([1.0, 0.5]), num_classes=3)


@pytest.mark.parametrize("num_classes", [0, -2, 2.5, True, None])
def test_check_sparse_labels_validates_num_classes(num_classes: object) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`num_classes` must be a positive int"
    ):
        losses.check_sparse_labels([0, 1], num_classes=num_classes)  # type: ignore[arg-type]


def test_binary_ce_on_multiclass_output_suggests_sparse() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"y_true.shape=\(4,\), y_pred.shape=\(4, 5\).*sparse_categorical_cross",
    ):
        losses.binary_crossentropy(torch.ones(4), PROBS)


def test_binary_ce_shape_mismatch_asks_for_matching_labels() -> None:
    with pytest.raises(TrainingInputError, match=r"same shape as the model's output"):
        losses.binary_crossentropy(torch.ones(4, 2), torch.rand(4, 3))


@pytest.mark.parametrize("axis", [True, 1.0, "last"])
def test_axis_must_be_an_int(axis: object) -> None:
    with pytest.raises(
        InvalidTypeError, match=r"`axis` must be an int.*received axis="
    ):
        losses.categorical_crossentropy(PROBS, PROBS, axis=axis)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match=r"`axis` must be an int"):
        losses.sparse_categorical_crossentropy(LABELS, PROBS, axis=axis)  # type: ignore[arg-type]


def test_single_unit_categorical_ce_warns_to_use_binary() -> None:
    with pytest.warns(UserWarning, match=r"num_classes > 1.*'binary_crossentropy'"):
        losses.categorical_crossentropy(torch.ones(4, 1), torch.rand(4, 1))


@pytest.mark.parametrize("reduction", ["average", "SUM", 0])
def test_unknown_reduction_lists_the_options(reduction: object) -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"`reduction` must be one of .*'sum_over_batch_size'",
    ):
        losses.MeanSquaredError(reduction=reduction)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-0.1, 1.5, "0.1", True])
def test_label_smoothing_must_be_in_unit_interval(value: object) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`label_smoothing` must be a float in \[0, 1\]"
    ):
        losses.CategoricalCrossentropy(label_smoothing=value)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"received label_smoothing="):
        losses.BinaryCrossentropy(label_smoothing=value)  # type: ignore[arg-type]


def test_sample_weight_that_cannot_broadcast_is_explained() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"`sample_weight` of shape \(3,\) cannot weigh .*\(4,\)",
    ):
        losses.MeanSquaredError()(torch.ones(4, 2), torch.zeros(4, 2), torch.ones(3))


def test_wrapper_needs_a_function() -> None:
    with pytest.raises(InvalidTypeError, match=r"needs a function .*'mse'.*resolve"):
        losses.LossFunctionWrapper("mse")  # type: ignore[arg-type]


def test_base_loss_without_call_says_what_to_implement() -> None:
    class NoCall(losses.Loss):
        pass

    with pytest.raises(TypeError, match=r"abstract class NoCall.*call"):
        NoCall()
    with pytest.raises(TypeError, match=r"abstract class Loss"):
        losses.Loss()


def test_unknown_loss_id_lists_valid_ids_and_suggests() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"Unknown loss identifier 'categorical_crossentopy'\. Did you mean "
        r"'categorical_crossentropy'.*Valid string ids: \[.*'mse'.*\]",
    ):
        losses.get("categorical_crossentopy")
    with pytest.raises(
        InvalidArgumentError, match=r"Unknown loss identifier 'nope'\. Valid"
    ):
        losses.resolve("nope")


@pytest.mark.parametrize("identifier", ["ce", "crossentropy", "CE"])
def test_shape_dependent_id_in_get_points_to_resolve(identifier: str) -> None:
    with pytest.raises(
        InvalidArgumentError, match=rf"'{identifier}' picks .*cnnkit.losses.resolve"
    ):
        losses.get(identifier)


def test_shape_dependent_id_without_shapes_asks_for_them() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"needs the label and output shapes.*y_true_shape=None",
    ):
        losses.resolve("ce")


@pytest.mark.parametrize("identifier", [3, 2.5, [1]])
def test_get_rejects_non_callables(identifier: object) -> None:
    with pytest.raises(InvalidTypeError, match=r"A loss must be a string id.*received"):
        losses.get(identifier)  # type: ignore[arg-type]


def test_serialize_rejects_non_losses() -> None:
    with pytest.raises(
        InvalidTypeError, match=r"Cannot serialize the loss 3 of type int"
    ):
        losses.serialize(3)  # type: ignore[arg-type]


def test_deserialize_rejects_malformed_configs() -> None:
    with pytest.raises(InvalidArgumentError, match=r"expected a string id or a dict"):
        losses.deserialize({"config": {}})
    with pytest.raises(InvalidArgumentError, match=r"Unknown loss identifier 'Nope'"):
        losses.deserialize({"class_name": "Nope", "config": {}})
