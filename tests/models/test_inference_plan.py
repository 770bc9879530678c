"""``predict``'s inference plan gives exactly what the whole way gives.

Once a batch signature has run through every check, ``Sequential`` runs the next
batches of that signature as its layers' own computations (``models/_inference_plan``).
Each test predicts as a user would, twice or more, and compares with a model that
never plans (the same layers called one by one, the way ``model(x)`` runs them).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
import torch
from tests.conformance.layer_table import TABLE, canonical_names

from cnnkit import Input, Sequential, layers, mixed_precision, models
from cnnkit.models._inference_plan import ELEMENTWISE


def _stepwise(model: models.Sequential, x: np.ndarray) -> np.ndarray:
    """The model's output, one layer call at a time (never a plan)."""
    with torch.no_grad():
        out: Any = torch.from_numpy(x)
        for layer in model.layers:
            out = layer(out, training=False)
    return out.float().numpy()


def _predict_again(model: models.Sequential, x: np.ndarray) -> np.ndarray:
    first = model.predict(x, verbose=0)  # the whole way
    second = model.predict(x, verbose=0)  # the plan
    np.testing.assert_array_equal(first, second)
    return second


def _plans(model: models.Sequential) -> list[Any]:
    return list(model._inference_plans.values())


def _step_kinds(model: models.Sequential) -> list[str]:
    (plan,) = _plans(model)
    return [type(step).__name__ for step in plan.steps]


def _images(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def seed_cnn() -> models.Sequential:
    return Sequential([
        Input((28, 28, 1)),
        layers.Conv2D(32, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip


def test_the_seed_cnn_runs_its_planned_predict_bit_for_bit() -> None:
    model = seed_cnn()
    x = _images((1, 28, 28, 1))
    got = _predict_again(model, x)
    np.testing.assert_array_equal(got, _stepwise(model, x))
    assert _step_kinds(model) == [
        "_ToTorchLayout", "_ConvPoolStep", "_ConvPoolStep", "_ToKerasLayout",
        "_Step", "_Step",
    ]  # fmt: skip


CONV_STACKS = {
    "2-D same, strided, dilated": lambda: [
        Input((11, 9, 3)),
        layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh"),
        layers.Conv2D(6, 3, dilation_rate=2, padding="same", activation="gelu"),
        layers.AveragePooling2D(3, strides=2, padding="same"),
        layers.MaxPooling2D(2, strides=1, padding="same"),
        layers.Conv2D(4, 1, use_bias=False),
        layers.GlobalAveragePooling2D(),
    ],
    "2-D grouped and relu-pool pairs with same padding": lambda: [
        Input((10, 10, 4)),
        layers.Conv2D(8, 3, groups=2, padding="same", activation="relu"),
        layers.MaxPooling2D(3, strides=2, padding="same"),
        layers.Conv2D(4, 2, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
    ],
    "3-D": lambda: [
        Input((6, 7, 5, 2)),
        layers.Conv3D(3, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(2),
        layers.Conv3D(4, 2, padding="same", activation="sigmoid"),
        layers.AveragePooling3D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(3),
    ],
    "softmax over the channels (Keras' layout kept)": lambda: [
        Input((6, 6, 2)),
        layers.Conv2D(3, 3, activation="softmax"),
        layers.MaxPooling2D(),
    ],
    "1-D, BatchNormalization, Dropout": lambda: [
        Input((16, 3)),
        layers.Conv1D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.BatchNormalization(),
        layers.Dropout(0.5),
        layers.Conv1D(2, 1),
        layers.GlobalMaxPooling1D(),
    ],
    "channels_first": lambda: [
        Input((2, 8, 8)),
        layers.Conv2D(3, 3, data_format="channels_first", activation="relu"),
        layers.MaxPooling2D(data_format="channels_first"),
        layers.Flatten(),
    ],
}


@pytest.mark.parametrize("name", sorted(CONV_STACKS))
@pytest.mark.parametrize("batch", [1, 5])
def test_planned_conv_stacks_match_the_layers_called_one_by_one(
    name: str, batch: int
) -> None:
    model = Sequential(CONV_STACKS[name]())
    if any(isinstance(layer, layers.BatchNormalization) for layer in model.layers):
        # Moving statistics away from 0/1, so inference mode shows.
        model.compile(optimizer="sgd", loss="mse")
        model.fit(_images((8, *model.input_shape[1:])), np.zeros((8, 2)), verbose=0)
    x = _images((batch, *model.input_shape[1:]), seed=batch)
    got = _predict_again(model, x)
    np.testing.assert_array_equal(got, _stepwise(model, x))
    assert len(_plans(model)) == 1


def test_a_plan_runs_the_convolutions_on_their_channels_first_view() -> None:
    model = Sequential(CONV_STACKS["2-D same, strided, dilated"]())
    _predict_again(model, _images((2, 11, 9, 3)))
    # Four kernels; the gelu conv keeps Keras' layout (see ELEMENTWISE).
    assert _step_kinds(model) == [
        "_ToTorchLayout", "_KernelStep", "_ToKerasLayout", "_Step",
        "_ToTorchLayout", "_KernelStep", "_KernelStep", "_KernelStep",
        "_ToKerasLayout", "_Step",
    ]  # fmt: skip
    # A softmax over the channels needs Keras' layout; the pool after it need not.
    softmax = Sequential(
        CONV_STACKS["softmax over the channels (Keras' layout kept)"]()
    )
    _predict_again(softmax, _images((1, 6, 6, 2)))
    assert _step_kinds(softmax) == [
        "_Step", "_ToTorchLayout", "_KernelStep", "_ToKerasLayout"
    ]  # fmt: skip
    # channels_first layers keep their own calls (their data is torch's order).
    other = Sequential(CONV_STACKS["channels_first"]())
    _predict_again(other, _images((1, 2, 8, 8)))
    assert "_KernelStep" not in _step_kinds(other)


@pytest.mark.parametrize(
    "activation",
    sorted(ELEMENTWISE, key=lambda f: f.__name__),
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_activations_run_on_the_channels_first_view_give_the_same_bits(
    activation: Any, dtype: torch.dtype
) -> None:
    for shape in [(5, 6, 5, 6), (1, 24, 24, 32), (3, 4, 4, 7), (2, 3, 4, 5, 9)]:
        y = (torch.randn(*shape) * 3).to(dtype)
        on_view = activation(y.movedim(-1, 1)).movedim(1, -1)
        torch.testing.assert_close(on_view, activation(y), rtol=0, atol=0)


# --------------------------------------------------------------- every layer class


def _single_input_cases() -> list[str]:
    names = []
    for name in canonical_names():
        case = TABLE[name]
        if not isinstance(case, tuple) and not case.multi_input:
            names.append(name)
    return names


@pytest.mark.parametrize("name", _single_input_cases())
def test_every_layer_class_predicts_the_same_through_the_plan(name: str) -> None:
    case = TABLE[name]
    cls = getattr(layers, name)
    shape = case.shape
    integer = case.low is not None and case.high is not None and name == "Embedding"
    model = Sequential([
        Input(shape[1:], dtype="int32" if integer else "float32"),
        cls(**case.kwargs),
    ])  # fmt: skip
    rng = np.random.default_rng(1)
    if integer:
        x: np.ndarray = rng.integers(0, 10, shape).astype("int32")
    else:
        low = 0.0 if case.low is None else case.low
        high = 1.0 if case.high is None else case.high
        x = rng.uniform(low, high, shape).astype("float32")
    # Inference mode: the RANDOM classes are deterministic here too.
    np.testing.assert_array_equal(_predict_again(model, x), _stepwise(model, x))


# --------------------------------------------------------------- what ends a plan


def test_a_hook_registered_after_the_plan_is_called() -> None:
    model = seed_cnn()
    x = _images((1, 28, 28, 1))
    _predict_again(model, x)
    seen: list[tuple[int, ...]] = []
    handle = model.layers[2].register_forward_hook(
        lambda module, args, out: seen.append(tuple(out.shape))
    )
    model.predict(x, verbose=0)
    assert seen == [(1, 8, 8, 64)]  # Keras' layout, ReLU applied (no rewrite)
    handle.remove()
    model.predict(x, verbose=0)
    assert len(seen) == 1


def test_a_global_forward_hook_sees_every_layer() -> None:
    model = seed_cnn()
    x = _images((1, 28, 28, 1))
    _predict_again(model, x)
    names: list[str] = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, out: names.append(getattr(module, "name", "?"))
    )
    try:
        model.predict(x, verbose=0)
    finally:
        handle.remove()
    assert [n for n in names if n != model.name] == [
        layer.name for layer in model.layers
    ]


def test_new_weights_are_seen_at_once() -> None:
    model = seed_cnn()
    x = _images((1, 28, 28, 1))
    before = _predict_again(model, x)
    weights = model.get_weights()
    model.set_weights([w * 0.5 for w in weights])
    after = model.predict(x, verbose=0)
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, _stepwise(model, x))
    model.layers[-1].bias.assign(np.full((10,), 3.0, dtype="float32"))
    np.testing.assert_array_equal(model.predict(x, verbose=0), _stepwise(model, x))


def test_training_between_predicts_is_seen() -> None:
    model = seed_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = _images((1, 28, 28, 1))
    before = _predict_again(model, x)
    model.fit(_images((16, 28, 28, 1)), np.arange(16) % 10, epochs=1, verbose=0)
    after = model.predict(x, verbose=0)
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, _stepwise(model, x))


def test_an_activation_changed_after_the_plan_is_applied() -> None:
    model = seed_cnn()
    x = _images((1, 28, 28, 1))
    _predict_again(model, x)
    from cnnkit import activations

    model.layers[0].activation = activations.tanh  # the ReLU-pool rewrite ends
    got = model.predict(x, verbose=0)
    np.testing.assert_array_equal(got, _stepwise(model, x))
    model.layers[2].activation = activations.softmax  # acts along the channels
    got = model.predict(x, verbose=0)
    np.testing.assert_array_equal(got, _stepwise(model, x))


def test_add_and_pop_drop_the_plans() -> None:
    model = seed_cnn()
    x = _images((1, 28, 28, 1))
    _predict_again(model, x)
    model.pop()
    assert _plans(model) == []
    assert model.predict(x, verbose=0).shape == (1, 1024)
    model.add(layers.Dense(3))
    assert model.predict(x, verbose=0).shape == (1, 3)
    np.testing.assert_array_equal(_predict_again(model, x), _stepwise(model, x))


def test_each_batch_signature_gets_its_own_plan() -> None:
    model = seed_cnn()
    x = _images((40, 28, 28, 1))
    for _ in range(2):  # batches of 32 and 8
        got = model.predict(x, verbose=0)
    np.testing.assert_array_equal(got, _stepwise(model, x))
    assert len(_plans(model)) == 2
    model.predict(x.astype("float64")[:3], verbose=0)  # float64 becomes float32
    assert len(_plans(model)) == 3


def test_predicts_from_many_threads_each_get_their_own_answer() -> None:
    model = seed_cnn()
    images = [_images((1, 28, 28, 1), seed=i) for i in range(6)]
    expected = [_stepwise(model, x) for x in images]
    failures: list[str] = []

    def work(index: int) -> None:
        for _ in range(20):
            got = model.predict(images[index], verbose=0)
            if not np.array_equal(got, expected[index]):
                failures.append(f"thread {index}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_mixed_precision_plans_give_the_whole_way_result() -> None:
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = seed_cnn()
        x = _images((2, 28, 28, 1))
        first = model.predict(x, verbose=0)
        second = model.predict(x, verbose=0)
        assert len(_plans(model)) == 1
    finally:
        mixed_precision.set_global_policy("float32")
    np.testing.assert_array_equal(first, second)


class _CountingLayer(layers.Layer):
    """A user's layer that adds a loss in ``call``: always called the whole way."""

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self.add_loss(inputs.abs().mean())
        return inputs * 2


def test_user_layers_and_activity_regularizers_keep_their_losses() -> None:
    model = Sequential([
        Input((6, 6, 1)),
        layers.Conv2D(2, 3, activity_regularizer="l2"),
        _CountingLayer(),
        layers.Flatten(),
    ])  # fmt: skip
    x = _images((1, 6, 6, 1))
    for _ in range(3):
        got = model.predict(x, verbose=0)
    np.testing.assert_array_equal(got, _stepwise(model, x))
    assert len(model.losses) == 2  # this call's two penalties, not three calls' worth


def test_predict_on_batch_and_a_larger_batch_size_agree() -> None:
    model = seed_cnn()
    x = _images((3, 28, 28, 1))
    expected = _stepwise(model, x)
    for _ in range(2):
        np.testing.assert_array_equal(model.predict_on_batch(x), expected)
        np.testing.assert_array_equal(
            model.predict(x, batch_size=2, verbose=0), expected
        )
        np.testing.assert_array_equal(model.predict(x, verbose=0), expected)


def test_a_predict_that_fails_its_checks_makes_no_plan() -> None:
    model = seed_cnn()
    with pytest.raises(Exception, match="28, 28, 1"):
        model.predict(_images((1, 27, 28, 1)), verbose=0)
    assert _plans(model) == []


def test_predict_of_one_batch_returns_a_new_array() -> None:
    # Dropout in inference hands its input on unchanged: the output must still
    # be a copy, as the batched path's concatenation makes one.
    model = Sequential([Input((3,)), layers.Dropout(0.5)])
    x = np.ones((2, 3), dtype="float32")
    for _ in range(2):
        out = model.predict(x, verbose=0)
        out[:] = 5.0
    np.testing.assert_array_equal(x, np.ones((2, 3), dtype="float32"))
