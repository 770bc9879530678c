"""Bad training input fails before the first step, with an error that teaches.

Each message names the argument or layer, what was expected, what was received,
and a fix (STYLE.md §4); the regexes check those parts, and that nothing trained.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from training_builders import (
    CLASSES,
    dense_model,
    images,
    tiny_data,
    two_input_model,
    two_output_model,
    weights_close,
)

import cnnkit
from cnnkit import layers
from cnnkit.errors import DoctorWarning, TrainingInputError


def _fails_before_training(
    model: Any, x: Any, y: Any, match: str, **fit_kwargs: Any
) -> None:
    before = model.get_weights()
    with pytest.raises(TrainingInputError, match=match):
        model.fit(x, y, verbose=0, **fit_kwargs)
    assert weights_close(before, model.get_weights())


def _classifier(loss: Any = "sparse_categorical_crossentropy", **kwargs: Any) -> Any:
    model = dense_model(**kwargs)
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


# ---------------------------------------------------------------- arrays


def test_x_and_y_lengths_must_agree() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(),
        x,
        y[:15],
        r"`x` and `y` have different numbers of samples: x has 20 and y has 15 "
        r"\(shape \(15,\)\)\. Give one label per input sample",
    )


def test_labels_as_a_python_list_are_explained() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(),
        x,
        y.tolist(),
        r"`y` is a Python list of 20 numbers; a list stands for several model inputs "
        r"or outputs\. Convert it to one array: `y = np\.asarray\(y\)`",
    )
    with pytest.raises(TrainingInputError, match="`y` is a Python list"):
        _classifier().evaluate(x, y.tolist(), verbose=0)
    with pytest.raises(TrainingInputError, match="`y` is a Python list"):
        _classifier().train_on_batch(x, y.tolist())


def test_inputs_must_have_the_same_length() -> None:
    x, y = tiny_data()
    model = two_input_model()
    model.compile(loss="sparse_categorical_crossentropy")
    _fails_before_training(
        model,
        [x, x[:10, :2]],
        y,
        r"different numbers of samples: \[10, 20\]\. Every input array must have",
    )


def test_sample_weight_length_must_match() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(),
        x,
        y,
        r"`sample_weight` has 5 entries \(shape \(5,\)\) but x has 20 samples; give "
        "one weight per sample",
        sample_weight=np.ones(5),
    )


def test_empty_arrays_are_refused() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(), x[:0], y[:0], r"`x` is empty \(0 samples\)\. Check the data"
    )


def test_a_scalar_x_is_refused() -> None:
    _fails_before_training(
        _classifier(),
        torch.tensor(1.0),
        np.zeros(1),
        "`x` contains a 0-d scalar; the first axis of every input must index samples",
    )


def test_one_number_per_sample_for_a_vector_model() -> None:
    _fails_before_training(
        _classifier(),
        np.zeros(20, "float32"),
        np.zeros(20),
        r"`x` has shape \(20,\) \(1-D\)\. Each sample of `x` is a single number: give "
        r"`x` the shape \(N, 6\), one row per sample",
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x_is_refused(bad: float) -> None:
    x, y = tiny_data()
    x[3, 2] = x[7, 1] = bad
    _fails_before_training(
        _classifier(),
        x,
        y,
        r"Input 0 \(x\) contains 2 NaN or infinite value\(s\)\. Clean the data first, "
        r"e\.g\. `x = np\.nan_to_num\(x\)`",
    )


def test_nan_in_validation_data_is_refused() -> None:
    x, y = tiny_data()
    bad = x.copy()
    bad[0, 0] = np.nan
    _fails_before_training(
        _classifier(), x, y, "contains 1 NaN", validation_data=(bad, y)
    )


def test_object_arrays_are_refused() -> None:
    x = np.array([[1.0, "a"]] * 4, dtype=object)
    _fails_before_training(
        _classifier(), x, np.zeros(4), r"array of Python objects \(dtype=object\)"
    )


def test_a_batch_tuple_of_four_is_refused() -> None:
    x, y = tiny_data()
    with pytest.raises(TrainingInputError, match="received a tuple of 4 elements"):
        _classifier().fit(iter([(x, y, np.ones(20), None)]), verbose=0)


# ---------------------------------------------------------------- input shapes


def _conv(channels: int, **input_kwargs: Any) -> Any:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((8, 8, channels), **input_kwargs),
            layers.Conv2D(2, 3),
            layers.Flatten(),
            layers.Dense(CLASSES, activation="softmax"),
        ],
        name="net",
    )
    model.compile(loss="sparse_categorical_crossentropy")
    return model


def test_a_missing_single_channel_axis_is_added_as_keras_does() -> None:
    _, y = tiny_data(16)
    model = _conv(1)
    with pytest.warns(DoctorWarning, match="added the last axis of size 1"):
        model.fit(images(16)[..., 0], y, verbose=0)  # (16, 8, 8) for Input((8, 8, 1))
    assert model.predict(images(4)[..., 0], verbose=0).shape == (4, CLASSES)


def test_3d_images_for_a_colour_model_suggest_the_channel_axis() -> None:
    _, y = tiny_data(16)
    _fails_before_training(
        _conv(3),
        images(16)[..., 0],
        y,
        r"Input 'input_layer\w*' of Sequential 'net' expects data of shape "
        r"\(None, 8, 8, 3\) \(4-D\), but `x` has shape \(16, 8, 8\) \(3-D\)\. The data "
        r"has no channel axis .*\(`Input\(\(8, 8, 1\)\)`\).*"
        r"`x = np\.repeat\(x\[\.\.\., None\], 3, axis=-1\)`",
    )


def test_3d_images_for_an_unbuilt_conv_model_suggest_the_channel_axis() -> None:
    # No Input: the first Conv2D checks its input spec and explains.
    _, _y = tiny_data(16)
    model = cnnkit.Sequential([layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])
    model.compile(loss="mse")
    with pytest.raises(
        ValueError, match=r"expected min_ndim=4, found ndim=3.*x\[\.\.\., None\]"
    ):
        model.fit(images(16)[..., 0], np.zeros((16, 3)), verbose=0)


def test_flat_images_suggest_a_reshape() -> None:
    _, y = tiny_data(16)
    _fails_before_training(
        _conv(1),
        images(16).reshape(16, 64),
        y,
        r"has shape \(16, 64\) \(2-D\)\. The sizes agree: reshape the data with "
        r"`x = x\.reshape\(\(-1, 8, 8, 1\)\)`",
    )


def test_images_of_the_wrong_size_are_explained() -> None:
    _, y = tiny_data(16)
    _fails_before_training(
        _conv(1),
        images(16, size=10),
        y,
        r"expects data of shape \(None, 8, 8, 1\).* has shape \(16, 10, 10, 1\).*"
        r"Reshape or resize the data to \(N, 8, 8, 1\), or build the model for this "
        r"data \(`Input\(\(10, 10, 1\)\)`\)",
    )


def test_channels_first_images_without_a_channel_axis() -> None:
    model = cnnkit.Sequential(
        [cnnkit.Input((3, 8, 8)), layers.Flatten(), layers.Dense(CLASSES)]
    )
    model.compile(loss="mse")
    x = images(16)[..., 0]
    _fails_before_training(
        model,
        x,
        np.zeros((16, CLASSES)),
        r"expects 3 channel\(s\) first: add it with `x = x\[:, None\]`",
    )


def test_wrong_feature_count_reports_the_whole_data_shape() -> None:
    x, y = tiny_data(features=5)
    _fails_before_training(
        _classifier(),
        x,
        y,
        r"expects data of shape \(None, 6\) \(2-D\), but `x` has shape \(20, 5\)",
    )


def test_evaluate_and_predict_check_the_input_shape_too() -> None:
    x, y = tiny_data(features=5)
    model = _classifier()
    with pytest.raises(TrainingInputError, match=r"`x` has shape \(20, 5\)"):
        model.evaluate(x, y, verbose=0)
    with pytest.raises(TrainingInputError, match=r"`x` has shape \(20, 5\)"):
        model.predict(x, verbose=0)
    with pytest.raises(TrainingInputError, match=r"`x` has shape \(20, 5\)"):
        model.train_on_batch(x, y)


def test_input_shape_is_checked_on_a_datasets_first_batch() -> None:
    x, y = tiny_data(features=5)
    with pytest.raises(TrainingInputError, match=r"`x` has shape \(8, 5\)"):
        _classifier().fit(iter([(x[:8], y[:8])]), verbose=0)


# ---------------------------------------------------------------- labels vs loss


def test_labels_out_of_range_for_the_output_size() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(),
        x,
        y + 3,
        r"Labels `y` for output 'dense\w*' \(output shape \(None, 3\)\): `y_true` "
        r"contains the label 5 .* labels must lie in \[0, 2\].* If there really are "
        r"6 classes, give the last layer units=6",
    )


def test_one_based_labels_are_recognised() -> None:
    x, y = tiny_data()
    y[0] = 2
    _fails_before_training(
        _classifier(), x, y + 1, r"The labels look 1-based \(1\.\.N\): subtract 1"
    )


def test_label_range_is_checked_on_every_sample_not_only_the_first_batch() -> None:
    x, y = tiny_data(100)
    y[-1] = 7
    _fails_before_training(_classifier(), x, y, "contains the label 7", batch_size=10)


def test_validation_labels_are_checked_too() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(),
        x,
        y,
        "contains the label 9",
        validation_data=(x[:4], np.array([0, 1, 9, 2])),
    )


def test_evaluate_checks_new_labels_after_fit() -> None:
    x, y = tiny_data()
    model = _classifier()
    model.fit(x, y, verbose=0)
    with pytest.raises(TrainingInputError, match=r"contains the label 3 .* \[0, 2\]"):
        model.evaluate(x, np.full(20, 3), verbose=0)


def test_one_hot_labels_with_a_sparse_loss() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(),
        x,
        np.eye(CLASSES)[y],
        r"`sparse_categorical_crossentropy` expects integer class ids of shape \(N,\) "
        r"for output 'dense\w*', but the labels look one-hot \(shape \(20, 3\)\)\. "
        r"Either use `loss='categorical_crossentropy'`, or .*`y = y\.argmax\(axis=-1\)`",
    )


def test_integer_labels_with_a_categorical_loss() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier("categorical_crossentropy"),
        x,
        y,
        r"`categorical_crossentropy` expects one-hot labels of shape \(N, 3\) for "
        r"output 'dense\w*', but the labels have shape \(20,\).* "
        r"`y = cnnkit\.utils\.to_categorical\(y, 3\)`, or use "
        r"`loss='sparse_categorical_crossentropy'`",
    )


def test_one_hot_labels_with_the_wrong_number_of_classes() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier("categorical_crossentropy"),
        x,
        np.eye(5)[y],
        r"The labels have 5 columns \(shape \(20, 5\)\) but output 'dense\w*' has 3 "
        r"units \(shape \(None, 3\)\)\. Make the last Dense layer `Dense\(5\)`",
    )


def test_fractional_sparse_labels() -> None:
    x, y = tiny_data()
    _fails_before_training(
        _classifier(), x, y + 0.5, r"sparse labels must be whole class ids in \[0, 2\]"
    )


def test_binary_labels_must_lie_in_0_1() -> None:
    x, y = tiny_data()
    model = dense_model(units=1, activation="sigmoid")
    model.compile(loss="binary_crossentropy")
    _fails_before_training(
        model,
        x,
        y,
        r"`binary_crossentropy` expects labels in \[0, 1\] for output 'dense\w*', but "
        r"the labels span 0\.\.2 \(shape \(20,\)\)\. .*sparse_categorical_crossentropy",
    )


@pytest.mark.parametrize(
    ("loss", "labels"),
    [
        (cnnkit.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse"),
        (cnnkit.losses.CategoricalCrossentropy(from_logits=True), "one_hot"),
    ],
)
def test_softmax_output_with_from_logits(loss: Any, labels: str) -> None:
    x, y = tiny_data()
    model = dense_model()
    model.compile(loss=loss)
    target = np.eye(CLASSES)[y] if labels == "one_hot" else y
    _fails_before_training(
        model,
        x,
        target,
        r"Output 'dense\w*' ends in a softmax \(layer 'dense\w*'\), but the loss "
        r"'\w+' was given `from_logits=True`, which expects raw scores.* Either "
        r"remove the final activation .* or use `from_logits=False`",
    )


def test_sigmoid_output_of_one_head_with_from_logits() -> None:
    x, y = tiny_data()
    model = two_output_model()
    model.compile(
        loss=[
            "sparse_categorical_crossentropy",
            cnnkit.losses.BinaryCrossentropy(from_logits=True),
        ]
    )
    model.layers[-1].activation = cnnkit.activations.sigmoid
    _fails_before_training(
        model,
        x,
        [y, np.ones((20, 1))],
        r"Output 'reg' ends in a sigmoid \(layer 'reg'\)",
    )


def test_a_loss_whose_shapes_clash_is_explained_not_a_torch_error() -> None:
    x, _ = tiny_data()
    model = dense_model()
    model.compile(loss="mse")
    _fails_before_training(
        model,
        x,
        np.zeros((20, 4)),
        r"The loss 'mse' cannot compare the labels for output 'dense\w*', of shape "
        r"\(None, 4\), with the output, of shape \(None, 3\): .*Give labels the "
        r"output's shape",
    )


def test_a_metric_that_does_not_fit_an_output_is_explained() -> None:
    x, y = tiny_data()
    model = two_output_model()
    model.compile(loss=["sparse_categorical_crossentropy", "mse"], metrics=["mae"])
    _fails_before_training(
        model,
        x,
        [y, np.zeros((20, 1))],
        r"The metric 'cls_mae' cannot compare the labels for output 'cls', of shape "
        r"\(None,\), with the output, of shape \(None, 3\).*give metrics per output, "
        r"e\.g\. `metrics=\{'cls': \[\.\.\.\]\}`",
    )


def test_the_trial_run_leaves_no_trace_in_the_metrics() -> None:
    x, y = tiny_data()
    model = _classifier()
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    # One batch of 20: had the 2-sample trial run been counted, it would be 22.
    # model.metrics is Keras': [loss tracker, compile_metrics]; both saw 20 samples.
    loss_tracker, compiled = model.metrics
    (metric,) = compiled.metrics
    assert float(metric.count) == 20.0
    assert float(loss_tracker.count) == 20.0
