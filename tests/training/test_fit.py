"""``model.fit``: data kinds, batching, epochs, validation, weights, History.

KERAS_SPEC §4.1. Tiny Dense models; the probe layer of ``recording_model`` records
the batch size of every training step, so batching is checked directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from training_builders import (
    CLASSES,
    EpochBatches,
    assert_histories_equal,
    dense_model,
    recording_model,
    tiny_data,
    two_input_model,
    two_output_model,
    weights_close,
)

import cnnkit
from cnnkit.errors import InvalidArgumentError, TrainingInputError
from cnnkit.utils import PyDataset

RAN_OUT = "Your input ran out of data"


def _compiled(model: Any = None, **kwargs: Any) -> Any:
    model = dense_model() if model is None else model
    kwargs = {
        "optimizer": "sgd",
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        **kwargs,
    }
    model.compile(**kwargs)
    return model


def _twins(**kwargs: Any) -> tuple[Any, Any]:
    """Two compiled copies of one model (same initial weights)."""
    first, second = _compiled(**kwargs), _compiled(**kwargs)
    second.set_weights(first.get_weights())
    return first, second


# ---------------------------------------------------------------- batching


def test_batch_size_defaults_to_32_and_keeps_the_last_partial_batch() -> None:
    model, probe = recording_model()
    x, y = tiny_data(70)
    history = model.fit(x, y, verbose=0, shuffle=False)
    assert probe.sizes == [32, 32, 6]
    assert history.params == {"verbose": 0, "epochs": 1, "steps": 3}


def test_batch_size_and_epochs() -> None:
    model, probe = recording_model()
    x, y = tiny_data(20)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert probe.sizes == [8, 8, 4] * 3
    assert history.epoch == [0, 1, 2]
    assert len(history.history["loss"]) == 3


def test_initial_epoch_counts_up_to_epochs() -> None:
    model, probe = recording_model()
    x, y = tiny_data(8)
    history = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]
    assert len(probe.sizes) == 2


def test_epochs_zero_trains_nothing() -> None:
    model, probe = recording_model()
    x, y = tiny_data(8)
    before = model.get_weights()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert probe.sizes == []
    assert history.history == {}
    assert weights_close(before, model.get_weights())


def test_fit_returns_model_history_with_keras_keys() -> None:
    x, y = tiny_data()
    model = _compiled()
    history = model.fit(x, y, validation_split=0.2, epochs=2, verbose=0)
    assert history is model.history
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(isinstance(v, float) for vs in history.history.values() for v in vs)


def test_epoch_loss_is_the_batch_size_weighted_running_mean() -> None:
    # With lr=0 the weights never move, so the epoch loss must equal evaluate().
    x, y = tiny_data(20)
    model = _compiled(optimizer=cnnkit.optimizers.SGD(learning_rate=0.0))
    history = model.fit(x, y, batch_size=6, verbose=0)  # batches of 6, 6, 6, 2
    assert history.history["loss"][0] == pytest.approx(
        model.evaluate(x, y, verbose=0)[0], rel=1e-6
    )


# ---------------------------------------------------------------- data kinds


def test_numpy_and_torch_inputs_train_the_same() -> None:
    x, y = tiny_data()
    first, second = _twins()
    first.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    second.fit(torch.tensor(x), torch.tensor(y), batch_size=8, shuffle=False, verbose=0)
    assert weights_close(first.get_weights(), second.get_weights())


def test_float64_and_integer_inputs_are_accepted() -> None:
    x, y = tiny_data()
    model = _compiled()
    model.fit(x.astype("float64"), y.astype("uint8"), verbose=0)
    model.fit((x > 0).astype("int64"), y, verbose=0)


class _Batches(PyDataset):
    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epoch_ends = 0

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_end(self) -> None:
        self.epoch_ends += 1


class _Samples(torch.utils.data.Dataset):  # type: ignore[type-arg]
    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.x[index], self.y[index]


def _forever(x: np.ndarray, y: np.ndarray, batch_size: int) -> Iterator[Any]:
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]


class _Stream(torch.utils.data.IterableDataset):  # type: ignore[type-arg]
    """Samples one by one, with no length (a DataLoader then has no len())."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return zip(self.x, self.y)


@pytest.mark.parametrize(
    "source",
    [
        "pydataset",
        "dataloader",
        "torch_dataset",
        "generator",
        "iterable_dataset",
        "dataloader_without_len",
    ],
)
def test_every_data_source_trains_like_arrays(source: str) -> None:
    x, y = tiny_data()
    reference, model = _twins()
    reference.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    kwargs: dict[str, Any] = {}
    data: Any
    if source == "pydataset":
        data, kwargs = _Batches(x, y, 8), {"shuffle": False}
    elif source == "dataloader":
        data = torch.utils.data.DataLoader(_Samples(x, y), batch_size=8)
    elif source == "torch_dataset":
        data, kwargs = _Samples(x, y), {"batch_size": 8, "shuffle": False}
    elif source == "generator":
        data, kwargs = _forever(x, y, 8), {"steps_per_epoch": 3}
    elif source == "iterable_dataset":
        data, kwargs = _Stream(x, y), {"batch_size": 8}
    else:
        data = torch.utils.data.DataLoader(_Stream(x, y), batch_size=8)
    history = model.fit(data, epochs=2, verbose=0, **kwargs)
    streams = ("iterable_dataset", "dataloader_without_len")
    # A stream's length is unknown until it ends (the progress bar learns it).
    assert history.params["steps"] == (None if source in streams else 3)
    assert weights_close(reference.get_weights(), model.get_weights())


def test_pydataset_batch_order_is_shuffled_unless_shuffle_is_false() -> None:
    x, y = tiny_data()

    class Order(_Batches):
        def __init__(self) -> None:
            super().__init__(x, y, 4)
            self.asked: list[int] = []

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            self.asked.append(index)
            return super().__getitem__(index)

    shuffled, ordered = Order(), Order()
    _compiled().fit(shuffled, epochs=2, verbose=0)
    _compiled().fit(ordered, epochs=2, shuffle=False, verbose=0)
    assert ordered.asked == [0, 1, 2, 3, 4] * 2
    assert sorted(shuffled.asked) == sorted(ordered.asked)
    assert shuffled.asked != ordered.asked


def test_pydataset_on_epoch_end_runs_after_every_epoch() -> None:
    x, y = tiny_data()
    data = _Batches(x, y, 8)
    _compiled().fit(data, epochs=3, verbose=0)
    assert data.epoch_ends == 3


def test_generator_of_x_y_sample_weight_triples() -> None:
    x, y = tiny_data()
    zero = np.zeros(len(x), dtype="float32")
    model = _compiled()
    before = model.get_weights()
    # All weights zero: the loss is zero, so nothing moves.
    model.fit(iter([(x, y, zero)]), verbose=0)
    assert weights_close(before, model.get_weights())


def test_one_shot_generator_stops_when_it_runs_out() -> None:
    x, y = tiny_data()
    model, probe = recording_model()
    batches = iter([(x[:8], y[:8]), (x[8:], y[8:])])
    with pytest.warns(UserWarning, match=RAN_OUT):
        history = model.fit(batches, epochs=3, verbose=0)
    # Epoch 2 found no data: training stops instead of logging an epoch of zeros.
    assert history.epoch == [0]
    assert probe.sizes == [8, 12]


def test_several_inputs_as_list_or_dict() -> None:
    x, y = tiny_data()
    b = x[:, :2].copy()
    first, second = two_input_model(), two_input_model()
    second.set_weights(first.get_weights())
    for model in (first, second):
        _compiled(model)
    first.fit([x, b], y, batch_size=8, shuffle=False, verbose=0)
    second.fit({"a": x, "b": b}, y, batch_size=8, shuffle=False, verbose=0)
    assert weights_close(first.get_weights(), second.get_weights())


def test_several_outputs_as_list_or_dict() -> None:
    x, y = tiny_data()
    target = np.linspace(0, 1, 20, dtype="float32")[:, None]
    first, second = two_output_model(), two_output_model()
    second.set_weights(first.get_weights())
    for model in (first, second):
        model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    h1 = first.fit(x, [y, target], batch_size=8, shuffle=False, verbose=0)
    h2 = second.fit(
        x, {"cls": y, "reg": target}, batch_size=8, shuffle=False, verbose=0
    )
    assert sorted(h1.history) == ["cls_loss", "loss", "reg_loss"]
    assert_histories_equal(h1.history, h2.history)
    assert weights_close(first.get_weights(), second.get_weights())


def test_unbuilt_sequential_builds_on_first_fit() -> None:
    x, y = tiny_data()
    model = cnnkit.Sequential(
        [cnnkit.layers.Dense(4, activation="relu"), cnnkit.layers.Dense(CLASSES)]
    )
    model.compile(
        loss=cnnkit.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, verbose=0)
    assert model.built
    assert model.predict(x, verbose=0).shape == (20, CLASSES)


# ---------------------------------------------------------------- shuffling


class _FirstFeature(cnnkit.layers.Layer):
    """Identity that records feature 0 of every training batch (the sample order)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[np.ndarray] = []

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training:
            self.seen.append(inputs[:, 0].detach().numpy().copy())
        return inputs

    def compute_output_shape(self, shape: Any) -> Any:
        return shape


def test_shuffle_false_keeps_order_and_true_reshuffles_each_epoch() -> None:
    x, y = tiny_data(20)
    orders: dict[Any, list[np.ndarray]] = {}
    for shuffle in (False, True, "batch"):
        spy = _FirstFeature()
        model = cnnkit.Sequential(
            [
                cnnkit.Input((6,)),
                spy,
                cnnkit.layers.Dense(CLASSES, activation="softmax"),
            ]
        )
        _compiled(model)
        model.fit(x, y, batch_size=5, epochs=2, shuffle=shuffle, verbose=0)
        orders[shuffle] = spy.seen
    first = x[:, 0]
    plain = np.concatenate(orders[False])
    np.testing.assert_array_equal(plain, np.concatenate([first, first]))
    shuffled = np.concatenate(orders[True])
    assert not np.array_equal(shuffled[:20], first)
    assert not np.array_equal(shuffled[:20], shuffled[20:])  # a new order per epoch
    np.testing.assert_array_equal(np.sort(shuffled[:20]), np.sort(first))
    # "batch": samples move only within their batch of 5.
    for i, batch in enumerate(orders["batch"][:4]):
        np.testing.assert_array_equal(np.sort(batch), np.sort(first[5 * i : 5 * i + 5]))
    assert not np.array_equal(np.concatenate(orders["batch"][:4]), first)


# ---------------------------------------------------------------- validation


def test_validation_split_takes_the_last_samples_before_shuffling() -> None:
    x, y = tiny_data(20)
    y = np.sort(y)  # sorted labels: the tail holds the last classes only
    model, probe = recording_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, validation_split=0.25, shuffle=True, verbose=0)
    assert probe.sizes == [15]  # floor(20 * 0.75) training samples
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[15:], y[15:], verbose=0), rel=1e-6
    )


def test_validation_data_overrides_validation_split() -> None:
    x, y = tiny_data(20)
    model, probe = recording_model()
    history = model.fit(
        x, y, validation_split=0.5, validation_data=(x[:3], y[:3]), verbose=0
    )
    assert probe.sizes == [20]
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[:3], y[:3], verbose=0), rel=1e-6
    )


def test_validation_data_with_sample_weight_and_as_dataset() -> None:
    x, y = tiny_data(20)
    model = _compiled(weighted_metrics=["accuracy"])
    weights = np.r_[np.ones(10), np.zeros(10)].astype("float32")
    with_weights = model.fit(
        x, y, epochs=1, validation_data=(x, y, weights), verbose=0
    ).history
    expected = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert with_weights["val_weighted_accuracy"][0] == pytest.approx(
        expected["weighted_accuracy"]
    )
    from_dataset = model.fit(
        x, y, validation_data=_Batches(x, y, 7), shuffle=False, verbose=0
    ).history
    assert from_dataset["val_loss"][0] == pytest.approx(
        model.evaluate(x, y, verbose=0)[0], rel=1e-6
    )


def test_validation_runs_in_inference_mode_and_never_trains() -> None:
    x, y = tiny_data(20)
    model, probe = recording_model()
    model.fit(x, y, batch_size=20, validation_data=(x, y), verbose=0)
    assert probe.sizes == [20]  # the validation forward pass is not training=True


def test_validation_batch_size_and_steps() -> None:
    x, y = tiny_data(20)

    class ValidationBatches(cnnkit.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
            self.count += 1

    for kwargs, expected in (
        ({}, 1),  # validation_batch_size defaults to batch_size (32)
        ({"validation_batch_size": 3}, 7),
        ({"validation_batch_size": 3, "validation_steps": 2}, 2),
    ):
        counter = ValidationBatches()
        _compiled().fit(
            x, y, validation_data=(x, y), callbacks=[counter], verbose=0, **kwargs
        )
        assert counter.count == expected, kwargs


@pytest.mark.parametrize(
    ("validation_freq", "validated"),
    [(1, [0, 1, 2, 3]), (2, [1, 3]), ([1, 4], [0, 3])],
)
def test_validation_freq(validation_freq: Any, validated: list[int]) -> None:
    x, y = tiny_data(10)

    class Epochs(cnnkit.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.with_val: list[int] = []

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if "val_loss" in logs:
                self.with_val.append(epoch)

    spy = Epochs()
    _compiled().fit(
        x,
        y,
        epochs=4,
        validation_data=(x, y),
        validation_freq=validation_freq,
        callbacks=[spy],
        verbose=0,
    )
    assert spy.with_val == validated


# ---------------------------------------------------------------- steps_per_epoch


def test_steps_per_epoch_continues_the_pass_and_stops_at_its_end() -> None:
    # 3 batches of data, 2 steps per epoch: Keras runs 2, then the last 1 (the data
    # ran out: warning), then 2 from a new pass.
    model, probe = recording_model()
    counter = EpochBatches()
    x, y = tiny_data(20)
    with pytest.warns(UserWarning, match=RAN_OUT):
        model.fit(
            x,
            y,
            batch_size=8,
            steps_per_epoch=2,
            epochs=3,
            shuffle=False,
            callbacks=[counter],
            verbose=0,
        )
    assert counter.per_epoch == [2, 1, 2]
    assert probe.sizes == [8, 8, 4, 8, 8]


def test_steps_per_epoch_without_batch_size_covers_the_data_once() -> None:
    model, probe = recording_model()
    x, y = tiny_data(20)
    history = model.fit(x, y, steps_per_epoch=3, epochs=2, verbose=0)
    assert probe.sizes == [7, 7, 6] * 2  # batch size ceil(20 / 3)
    assert history.params["steps"] == 3


def test_steps_per_epoch_with_a_pydataset_follows_the_same_rule() -> None:
    model, _probe = recording_model()
    x, y = tiny_data(20)
    counter = EpochBatches()
    with pytest.warns(UserWarning, match=RAN_OUT):
        model.fit(
            _Batches(x, y, 8),
            steps_per_epoch=2,
            epochs=3,
            callbacks=[counter],
            verbose=0,
        )
    assert counter.per_epoch == [2, 1, 2]


# ---------------------------------------------------------------- weights


def test_class_weight_equals_the_matching_sample_weight() -> None:
    x, y = tiny_data()
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    first, second = _twins()
    h1 = first.fit(
        x, y, batch_size=8, class_weight=class_weight, shuffle=False, verbose=0
    )
    sample_weight = np.array([class_weight[int(c)] for c in y], dtype="float32")
    h2 = second.fit(
        x, y, batch_size=8, sample_weight=sample_weight, shuffle=False, verbose=0
    )
    assert_histories_equal(h1.history, h2.history)
    assert weights_close(first.get_weights(), second.get_weights())


def test_class_weight_reads_one_hot_labels_and_defaults_missing_classes_to_one() -> (
    None
):
    x, y = tiny_data()
    first, second = _twins(loss="categorical_crossentropy")
    one_hot = np.eye(CLASSES, dtype="float32")[y]
    # Class 2 is missing from the dict: Keras gives it weight 1.0.
    first.fit(x, one_hot, class_weight={0: 2.0, 1: 0.0}, shuffle=False, verbose=0)
    weights = np.select([y == 0, y == 1], [2.0, 0.0], 1.0).astype("float32")
    second.fit(x, one_hot, sample_weight=weights, shuffle=False, verbose=0)
    assert weights_close(first.get_weights(), second.get_weights())


def test_class_weight_applies_to_datasets_too() -> None:
    x, y = tiny_data()
    first, second = _twins()
    class_weight = {0: 0.0, 1: 2.0, 2: 1.0}
    first.fit(x, y, batch_size=8, class_weight=class_weight, shuffle=False, verbose=0)
    second.fit(_Batches(x, y, 8), class_weight=class_weight, shuffle=False, verbose=0)
    assert weights_close(first.get_weights(), second.get_weights())


def test_zero_sample_weights_leave_the_weights_unchanged() -> None:
    x, y = tiny_data()
    model = _compiled()
    before = model.get_weights()
    model.fit(x, y, sample_weight=np.zeros(20), verbose=0)
    assert weights_close(before, model.get_weights())


def test_sample_weight_per_output() -> None:
    x, y = tiny_data()
    target = np.ones((20, 1), dtype="float32")
    model = two_output_model()
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    logs = model.evaluate(
        x,
        [y, target],
        sample_weight=[np.ones(20), np.zeros(20)],
        verbose=0,
        return_dict=True,
    )
    assert logs["reg_loss"] == 0.0
    assert logs["cls_loss"] > 0.0
    history = model.fit(
        x,
        [y, target],
        sample_weight={"cls": np.ones(20), "reg": np.zeros(20)},
        verbose=0,
    )
    assert history.history["reg_loss"] == [0.0]


def test_regularization_penalty_is_part_of_the_loss() -> None:
    x, y = tiny_data()
    model = dense_model(kernel_regularizer=cnnkit.regularizers.L2(10.0))
    _compiled(model)
    plain = dense_model()
    _compiled(plain)
    plain.set_weights(model.get_weights())
    kernel = model.get_weights()[0]
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(
        plain.evaluate(x, y, verbose=0)[0] + 10.0 * float((kernel**2).sum()), rel=1e-5
    )


# ---------------------------------------------------------------- verbose


def test_verbose_levels(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = tiny_data(8)
    model = _compiled()
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("1/1 - ")
    assert " - accuracy: " in lines[1]
    for verbose in ("auto", 1, True):
        model.fit(x, y, verbose=verbose)
        assert "━━━━" in capsys.readouterr().out


def test_callbacks_see_the_logs_and_can_stop_training() -> None:
    x, y = tiny_data()

    class StopAfterTwo(cnnkit.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 1:
                self.model.stop_training = True

    history = _compiled().fit(x, y, epochs=5, callbacks=[StopAfterTwo()], verbose=0)
    assert history.epoch == [0, 1]


def test_a_second_fit_continues_from_the_trained_weights() -> None:
    x, y = tiny_data()
    first, second = _twins()
    first.fit(x, y, epochs=2, shuffle=False, verbose=0)
    second.fit(x, y, epochs=1, shuffle=False, verbose=0)
    second.fit(x, y, epochs=1, shuffle=False, verbose=0)
    assert weights_close(first.get_weights(), second.get_weights())


# ---------------------------------------------------------------- argument errors


def _fit(*args: Any, **kwargs: Any) -> Any:
    x, y = tiny_data()
    args = args or (x, y)
    return _compiled().fit(*args, **{"verbose": 0, **kwargs})


def test_class_weight_and_sample_weight_are_exclusive() -> None:
    with pytest.raises(InvalidArgumentError, match="either `class_weight` or `sample"):
        _fit(class_weight={0: 1.0}, sample_weight=np.ones(20))


def test_class_weight_must_be_a_dict() -> None:
    with pytest.raises(InvalidArgumentError, match="`class_weight` must be a dict"):
        _fit(class_weight=[1.0, 2.0, 3.0])


def test_class_weight_needs_a_single_output() -> None:
    x, y = tiny_data()
    model = two_output_model()
    model.compile(loss=["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(InvalidArgumentError, match="only supported for models with a"):
        model.fit(x, [y, np.zeros((20, 1))], class_weight={0: 1.0}, verbose=0)


def test_class_weight_with_weighted_batches_is_ambiguous() -> None:
    x, y = tiny_data()
    with pytest.raises(InvalidArgumentError, match="also yields sample weights"):
        _fit(iter([(x, y, np.ones(20))]), class_weight={0: 1.0})


@pytest.mark.parametrize("epochs", [-1, 1.5, True])
def test_epochs_must_be_a_non_negative_int(epochs: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="`epochs` must be a non-negative"):
        _fit(epochs=epochs)


@pytest.mark.parametrize("validation_freq", [0, 1.5, "2", [1, "x"], True])
def test_validation_freq_must_be_an_int_or_a_list(validation_freq: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="`validation_freq` must be a"):
        _fit(validation_freq=validation_freq)


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5])
def test_validation_split_must_be_a_fraction(split: float) -> None:
    with pytest.raises(InvalidArgumentError, match=r"must be a float in \(0, 1\)"):
        _fit(validation_split=split)


def test_validation_split_that_leaves_no_samples_is_explained() -> None:
    x, y = tiny_data(3)
    with pytest.raises(TrainingInputError, match="leaves an empty training or valid"):
        _fit(x, y, validation_split=0.9)  # floor(3 * 0.1) = 0 training samples


def test_validation_split_needs_arrays() -> None:
    x, y = tiny_data()
    with pytest.raises(InvalidArgumentError, match="pass `validation_data=` instead"):
        _fit(_Batches(x, y, 8), validation_split=0.2)


def test_validation_data_of_the_wrong_form_is_explained() -> None:
    x, y = tiny_data()
    with pytest.raises(InvalidArgumentError, match="a tuple of 4 items"):
        _fit(validation_data=(x, y, None, None))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_batch_size_must_be_a_positive_int(batch_size: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="`batch_size` must be a positive"):
        _fit(batch_size=batch_size)


def test_batch_size_is_refused_for_datasets() -> None:
    x, y = tiny_data()
    with pytest.raises(InvalidArgumentError, match="Do not pass `batch_size`"):
        _fit(_Batches(x, y, 8), batch_size=8)


def test_y_and_sample_weight_are_refused_for_datasets() -> None:
    x, y = tiny_data()
    with pytest.raises(InvalidArgumentError, match="`y` must not be given"):
        _fit(_Batches(x, y, 8), y)
    with pytest.raises(InvalidArgumentError, match="`sample_weight` must not be"):
        _fit(_Batches(x, y, 8), sample_weight=np.ones(20))


@pytest.mark.parametrize("verbose", [3, "1", -1, None])
def test_verbose_must_be_auto_0_1_or_2(verbose: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="`verbose` must be 'auto', 0, 1"):
        _fit(verbose=verbose)


def test_missing_data_is_explained() -> None:
    with pytest.raises(TrainingInputError, match="No data was given"):
        _compiled().fit(verbose=0)


def test_python_lists_are_refused_with_a_fix() -> None:
    with pytest.raises(TrainingInputError, match=r"np\.asarray\(x, dtype='float32'\)"):
        _compiled().fit([[0.0] * 6] * 4, np.zeros(4), verbose=0)


def test_unknown_data_type_lists_the_accepted_ones() -> None:
    with pytest.raises(TrainingInputError, match="Unrecognized data type: x=object"):
        _compiled().fit(object(), verbose=0)


def test_labels_are_needed_to_train() -> None:
    x, _ = tiny_data()
    with pytest.raises(InvalidArgumentError, match="Training needs labels: pass `y`"):
        _compiled().fit(x, verbose=0)
