"""``evaluate``, ``predict`` and the ``*_on_batch`` methods (KERAS_SPEC §4.3)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from training_builders import (
    CLASSES,
    conv_model,
    dense_model,
    images,
    tiny_data,
    two_output_model,
    weights_close,
)

import cnnkit
from cnnkit.errors import InvalidArgumentError, TrainingInputError


def _compiled(model: Any = None, **kwargs: Any) -> Any:
    model = dense_model() if model is None else model
    model.compile(
        **{"optimizer": "sgd", "loss": "sparse_categorical_crossentropy", **kwargs}
    )
    return model


def _sparse_ce(probabilities: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(probabilities[np.arange(len(y)), y]).mean())


class _Count(cnnkit.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.test_batches = 0
        self.predict_batches = 0

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        self.test_batches += 1

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        self.predict_batches += 1


# ---------------------------------------------------------------- evaluate forms


def test_evaluate_returns_a_scalar_when_only_the_loss_is_tracked() -> None:
    x, y = tiny_data()
    model = _compiled()
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    assert loss == pytest.approx(_sparse_ce(model.predict(x, verbose=0), y), rel=1e-5)


def test_evaluate_returns_loss_then_metrics_in_compile_order() -> None:
    x, y = tiny_data()
    model = _compiled(
        metrics=[
            cnnkit.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
            "accuracy",
        ]
    )
    loss, top2, accuracy = model.evaluate(x, y, verbose=0)
    probabilities = model.predict(x, verbose=0)
    assert loss == pytest.approx(_sparse_ce(probabilities, y), rel=1e-5)
    assert accuracy == pytest.approx(float((probabilities.argmax(-1) == y).mean()))
    top = np.argsort(-probabilities, axis=-1)[:, :2]
    assert top2 == pytest.approx(float((top == y[:, None]).any(-1).mean()))
    assert model.metrics_names == ["loss", "top2", "accuracy"]


def test_evaluate_return_dict_has_sorted_keys() -> None:
    x, y = tiny_data()
    model = _compiled(metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "sparse_top_k_categorical_accuracy"]
    # The list form, labelled by metrics_names, holds the same values.
    assert dict(zip(model.metrics_names, model.evaluate(x, y, verbose=0))) == logs


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("cls", "reg"), ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]),
        # Per-output losses follow the output order; the prefixed metrics are sorted.
        (("zeta", "alpha"), ["loss", "zeta_loss", "alpha_loss", "alpha_mae", "zeta_accuracy"]),
    ],
)  # fmt: skip
def test_evaluate_list_order_with_several_outputs(
    names: tuple[str, str], expected: list[str]
) -> None:
    x, y = tiny_data()
    target = np.zeros((20, 1), dtype="float32")
    model = two_output_model(names=names)
    model.compile(
        loss=["sparse_categorical_crossentropy", "mse"],
        metrics=[["accuracy"], ["mae"]],
    )
    assert model.metrics_names == ["loss"]  # nothing resolved before the first batch
    values = model.evaluate(x, [y, target], verbose=0)
    logs = model.evaluate(x, [y, target], verbose=0, return_dict=True)
    assert model.metrics_names == expected
    assert values == [logs[name] for name in expected]


def test_evaluate_list_repeats_a_name_given_twice_as_keras_does() -> None:
    # Keras lists a compiled metric by its given name: "accuracy" (unweighted) and
    # "accuracy" (weighted, logged as weighted_accuracy) both pick the first log,
    # then the weighted one follows. Code that unpacks Keras' list must still work.
    x, y = tiny_data()
    model = _compiled(metrics=["accuracy"], weighted_metrics=["accuracy"])
    weights = np.r_[np.ones(10), np.zeros(10)]
    values = model.evaluate(x, y, sample_weight=weights, verbose=0)
    logs = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert model.metrics_names == ["loss", "accuracy", "accuracy", "weighted_accuracy"]
    assert values == [logs[name] for name in model.metrics_names]


def test_evaluate_batches_and_steps() -> None:
    x, y = tiny_data(70)
    model = _compiled()
    for kwargs, batches in (({}, 3), ({"batch_size": 10}, 7), ({"steps": 2}, 2)):
        counter = _Count()
        model.evaluate(x, y, verbose=0, callbacks=[counter], **kwargs)
        assert counter.test_batches == batches, kwargs
    # steps without a batch size covers the data once (batch ceil(70 / 2)).
    assert model.evaluate(x, y, steps=2, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-6
    )
    assert model.evaluate(x, y, batch_size=10, steps=2, verbose=0) == pytest.approx(
        model.evaluate(x[:20], y[:20], verbose=0), rel=1e-6
    )


def test_evaluate_a_generator_counts_its_first_batch() -> None:
    # The first batch builds the model; it must still be evaluated (a one-shot
    # generator cannot give it again).
    x, y = tiny_data()
    model = dense_model()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    batches = iter([(x[:8], y[:8]), (x[8:16], y[8:16]), (x[16:], y[16:])])
    assert model.evaluate(batches, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-6
    )


def test_evaluate_an_empty_generator_is_explained() -> None:
    with (
        pytest.warns(UserWarning, match="Your input ran out of data"),
        pytest.raises(TrainingInputError, match=r"`evaluate\(\)` received no batches"),
    ):
        _compiled().evaluate(iter([]), verbose=0)


def test_evaluate_with_sample_weight() -> None:
    x, y = tiny_data()
    model = _compiled()
    weights = np.r_[np.ones(10), np.zeros(10)]
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0)
    # Keras' sum_over_batch_size: the weighted sum divided by the sample count.
    assert weighted == pytest.approx(
        _sparse_ce(model.predict(x[:10], verbose=0), y[:10]) / 2, rel=1e-5
    )


def test_evaluate_runs_in_inference_mode_and_changes_nothing() -> None:
    x = images(16)
    _, y = tiny_data(16)
    model = _compiled(conv_model())
    model.fit(x, y, verbose=0)  # moving statistics move away from their init
    before = model.get_weights()
    first = model.evaluate(x, y, verbose=0)
    assert model.evaluate(x, y, verbose=0) == first
    assert weights_close(before, model.get_weights())  # incl. moving mean/variance


def test_evaluate_prints_a_bar_unless_silent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    x, y = tiny_data()
    model = _compiled()
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y)
    assert "1/1" in capsys.readouterr().out


# ---------------------------------------------------------------- predict


def test_predict_returns_float32_numpy_equal_to_calling_the_model() -> None:
    x, _ = tiny_data(70)
    model = dense_model()  # predict needs no compile()
    counter = _Count()
    out = model.predict(x, batch_size=16, verbose=0, callbacks=[counter])
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float32
    assert out.shape == (70, CLASSES)
    assert counter.predict_batches == 5
    np.testing.assert_allclose(out, model(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_predict_default_batch_and_steps() -> None:
    x, _ = tiny_data(70)
    model = dense_model()
    counter = _Count()
    model.predict(x, verbose=0, callbacks=[counter])
    assert counter.predict_batches == 3  # batch 32
    assert model.predict(x, batch_size=10, steps=2, verbose=0).shape == (20, CLASSES)
    assert model.predict(x, steps=2, verbose=0).shape == (70, CLASSES)


def test_predict_keeps_the_output_structure() -> None:
    x, _ = tiny_data()
    classes, regression = two_output_model().predict(x, batch_size=8, verbose=0)
    assert classes.shape == (20, CLASSES)
    assert regression.shape == (20, 1)
    inputs = cnnkit.Input((6,))
    model = cnnkit.Model(inputs, {"b": cnnkit.layers.Dense(1)(inputs), "a": inputs})
    out = model.predict(x, batch_size=8, verbose=0)
    assert sorted(out) == ["a", "b"]
    np.testing.assert_array_equal(out["a"], x)


def test_predict_accepts_datasets_and_ignores_their_labels() -> None:
    x, y = tiny_data()
    model = dense_model()
    expected = model.predict(x, verbose=0)
    from_pairs = model.predict(iter([(x[:8], y[:8]), (x[8:], y[8:])]), verbose=0)
    from_x = model.predict(iter([x[:8], x[8:]]), verbose=0)
    np.testing.assert_allclose(from_pairs, expected, atol=1e-6)
    np.testing.assert_allclose(from_x, expected, atol=1e-6)


def test_predict_is_deterministic_with_dropout() -> None:
    x, _ = tiny_data()
    model = cnnkit.Sequential(
        [cnnkit.Input((6,)), cnnkit.layers.Dropout(0.5), cnnkit.layers.Dense(2)]
    )
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_predict_prints_one_bar_line(capsys: pytest.CaptureFixture[str]) -> None:
    x, _ = tiny_data()
    dense_model().predict(x)
    assert "1/1" in capsys.readouterr().out


# ---------------------------------------------------------------- on_batch


def test_train_on_batch_is_one_step_of_fit() -> None:
    x, y = tiny_data()
    first, second = dense_model(), dense_model()
    second.set_weights(first.get_weights())
    _compiled(first, metrics=["accuracy"])
    _compiled(second, metrics=["accuracy"])
    history = first.fit(x, y, batch_size=20, verbose=0)
    loss, accuracy = second.train_on_batch(x, y)
    assert [loss, accuracy] == pytest.approx(
        [history.history["loss"][0], history.history["accuracy"][0]], rel=1e-6
    )
    assert weights_close(first.get_weights(), second.get_weights())


def test_on_batch_return_forms_and_fresh_metrics_per_call() -> None:
    x, y = tiny_data()
    model = _compiled(optimizer=cnnkit.optimizers.SGD(0.0), metrics=["accuracy"])
    first = model.train_on_batch(x, y, return_dict=True)
    second = model.train_on_batch(x, y, return_dict=True)
    assert first == pytest.approx(second)  # the metrics do not accumulate
    assert sorted(first) == ["accuracy", "loss"]
    assert model.test_on_batch(x, y) == pytest.approx(
        [first["loss"], first["accuracy"]]
    )
    loss_only = _compiled()
    assert isinstance(loss_only.test_on_batch(x, y), float)


def test_test_on_batch_equals_evaluate_and_does_not_train() -> None:
    x, y = tiny_data()
    model = _compiled(metrics=["accuracy"])
    before = model.get_weights()
    assert model.test_on_batch(x, y) == pytest.approx(
        model.evaluate(x, y, batch_size=20, verbose=0), rel=1e-6
    )
    assert weights_close(before, model.get_weights())


def test_on_batch_weights() -> None:
    x, y = tiny_data()
    model = _compiled(optimizer=cnnkit.optimizers.SGD(0.0))
    plain = model.test_on_batch(x, y)
    halves = np.r_[np.ones(10), np.zeros(10)]
    assert model.test_on_batch(x, y, sample_weight=halves) != pytest.approx(plain)
    class_weight = {0: 0.0, 1: 1.0, 2: 2.0}
    by_class = np.array([class_weight[c] for c in y])
    assert model.train_on_batch(x, y, class_weight=class_weight) == pytest.approx(
        model.train_on_batch(x, y, sample_weight=by_class), rel=1e-6
    )
    with pytest.raises(InvalidArgumentError, match="either `class_weight` or `sample"):
        model.train_on_batch(x, y, sample_weight=by_class, class_weight=class_weight)


def test_predict_on_batch_returns_numpy() -> None:
    x, _ = tiny_data()
    model = dense_model()
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-6)
    classes, regression = two_output_model().predict_on_batch(x)
    assert classes.shape == (20, CLASSES)
    assert regression.shape == (20, 1)
