"""Weights the way tutorials touch them, on cnnkit and on Keras 3.

Names (``w.path``/``w.name``), order, shapes and trainable flags for every layer class
of ``layer_table.py``; model weight lists; ``trainable_weights`` /
``non_trainable_weights``; freezing; explicit ``build`` then ``set_weights`` then a call
(the weights set must survive); BatchNormalization statistics after
``training=True`` calls; ``count_params``; the ``summary()`` totals; the "visualise the
filters" tutorial (``filters, biases = layer.get_weights()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cnnkit
from cnnkit import layers

from .harness import (
    DataFactory,
    assert_same,
    copy_weights,
    keras,
    to_numpy,
    weight_paths,
)
from .layer_table import TABLE, canonical_names

pytestmark = pytest.mark.oracle


def _built_pair(name: str, data: DataFactory) -> tuple[Any, Any, Any]:
    case = TABLE[name]
    ours = getattr(layers, name)(**case.kwargs)
    theirs = getattr(keras.layers, name)(**case.kwargs)
    arrays = [data(*s, low=case.low, high=case.high) for s in case.shapes]
    x = arrays if case.multi_input else arrays[0]
    ours(x), theirs(x)
    return ours, theirs, x


def _describe(layer: Any) -> list[tuple[str, str, tuple[int, ...], bool, str]]:
    return [
        (
            w.path,
            w.name,
            tuple(w.shape),
            bool(w.trainable),
            str(w.dtype).replace("torch.", ""),
        )
        for w in layer.weights
    ]


@pytest.mark.parametrize("name", canonical_names())
def test_layer_weights_names_order_shapes(name: str, data: DataFactory) -> None:
    ours, theirs, _ = _built_pair(name, data)
    assert _describe(ours) == _describe(theirs)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("name", [n for n in canonical_names() if n not in {"Add"}])
def test_layer_is_unbuilt_until_called(name: str) -> None:
    case = TABLE[name]
    ours = getattr(layers, name)(**case.kwargs)
    theirs = getattr(keras.layers, name)(**case.kwargs)
    assert ours.built == theirs.built
    assert len(ours.weights) == len(theirs.weights)


def _seed_cnn(ns: Any) -> Any:
    """KERAS_SPEC §2.4's example: two convs, BN, a dense head."""
    return ns.Sequential(
        [
            ns.Input(shape=(8, 8, 1)),
            ns.layers.Conv2D(4, 3, activation="relu"),
            ns.layers.Conv2D(4, 3, activation="relu"),
            ns.layers.BatchNormalization(),
            ns.layers.MaxPooling2D(),
            ns.layers.Flatten(),
            ns.layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.fixture
def seed_pair() -> tuple[Any, Any]:
    ours, theirs = _seed_cnn(cnnkit), _seed_cnn(keras)
    copy_weights(ours, theirs)
    return ours, theirs


def test_model_weight_paths_in_layer_order(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert weight_paths(ours) == weight_paths(theirs)


def test_model_weight_order(seed_pair: tuple[Any, Any]) -> None:
    """Layer by layer, each layer's weights in creation order (KERAS_SPEC §2.3)."""
    ours, theirs = seed_pair
    assert keys(ours.weights) == keys(theirs.weights)
    assert [w.name for w in ours.weights][:6] == [
        "kernel",
        "bias",
        "kernel",
        "bias",
        "gamma",
        "beta",
    ]


def test_model_weight_names(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


def test_model_trainable_and_non_trainable_weights(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert keys(ours.trainable_weights) == keys(theirs.trainable_weights)
    assert keys(ours.non_trainable_weights) == keys(theirs.non_trainable_weights)
    assert len(ours.trainable_variables) == len(theirs.trainable_variables)


def weight_paths_of(weights: list[Any]) -> list[str]:
    return [w.path for w in weights]


def keys(weights: list[Any]) -> list[tuple[str, tuple[int, ...]]]:
    """``(name, shape)`` per weight: the order and identity without the path prefix."""
    return [(w.name, tuple(w.shape)) for w in weights]


def test_get_weights_shapes(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert [w.shape for w in ours.get_weights()] == [
        w.shape for w in theirs.get_weights()
    ]
    assert all(isinstance(w, np.ndarray) for w in ours.get_weights())
    assert_same(ours.get_weights(), theirs.get_weights())


def test_count_params(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert ours.count_params() == theirs.count_params()
    assert [la.count_params() for la in ours.layers] == [
        la.count_params() for la in theirs.layers
    ]


def _summary_lines(model: Any) -> list[str]:
    out: list[str] = []
    model.summary(print_fn=lambda *args, **kwargs: out.append(" ".join(map(str, args))))
    return [line.strip() for line in "\n".join(out).splitlines()]


def _totals(model: Any) -> list[str]:
    return [
        line
        for line in _summary_lines(model)
        if line.startswith(("Total params", "Trainable params", "Non-trainable params"))
    ]


def test_summary_total_params_lines(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert _totals(ours) == _totals(theirs)
    assert len(_totals(ours)) == 3


def test_summary_total_params_after_freezing(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    ours.layers[0].trainable = False
    theirs.layers[0].trainable = False
    assert _totals(ours) == _totals(theirs)


def test_summary_first_line_names_the_model(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    assert _summary_lines(ours)[0] == _summary_lines(theirs)[0]


def test_freeze_one_layer(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    ours.get_layer("conv2d").trainable = False
    theirs.get_layer("conv2d").trainable = False
    assert keys(ours.trainable_weights) == keys(theirs.trainable_weights)
    assert keys(ours.non_trainable_weights) == keys(theirs.non_trainable_weights)
    assert keys(ours.weights) == keys(theirs.weights)


def test_freeze_whole_model(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    ours.trainable = False
    theirs.trainable = False
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 0
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)
    assert [la.trainable for la in ours.layers] == [
        la.trainable for la in theirs.layers
    ]


def test_freeze_all_but_last_layers(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    for layer in ours.layers[:-2]:
        layer.trainable = False
    for layer in theirs.layers[:-2]:
        layer.trainable = False
    assert keys(ours.trainable_weights) == keys(theirs.trainable_weights)


def test_frozen_batchnorm_weights_move_to_non_trainable(
    seed_pair: tuple[Any, Any],
) -> None:
    ours, theirs = seed_pair
    ours.get_layer("batch_normalization").trainable = False
    theirs.get_layer("batch_normalization").trainable = False
    bn_ours, bn_theirs = (
        ours.get_layer("batch_normalization"),
        theirs.get_layer("batch_normalization"),
    )
    assert len(bn_ours.trainable_weights) == len(bn_theirs.trainable_weights) == 0
    assert keys(bn_ours.non_trainable_weights) == keys(bn_theirs.non_trainable_weights)
    assert keys(ours.non_trainable_weights) == keys(theirs.non_trainable_weights)


def test_visualise_filters_tutorial(seed_pair: tuple[Any, Any]) -> None:
    """``filters, biases = model.layers[0].get_weights()`` then min-max normalise."""
    ours, theirs = seed_pair
    filters, biases = ours.layers[0].get_weights()
    k_filters, k_biases = theirs.layers[0].get_weights()
    assert filters.shape == k_filters.shape == (3, 3, 1, 4)
    f_min, f_max = filters.min(), filters.max()
    assert_same(
        (filters - f_min) / (f_max - f_min), (k_filters - f_min) / (f_max - f_min)
    )
    assert_same(biases, k_biases)


def test_layer_weight_attributes(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    for attr in ("kernel", "bias"):
        a = getattr(ours.get_layer("conv2d"), attr)
        b = getattr(theirs.get_layer("conv2d"), attr)
        assert tuple(a.shape) == tuple(b.shape)
        assert_same(to_numpy(a), to_numpy(b))
    bn_ours, bn_theirs = (
        ours.get_layer("batch_normalization"),
        theirs.get_layer("batch_normalization"),
    )
    for attr in ("gamma", "beta", "moving_mean", "moving_variance"):
        assert_same(
            to_numpy(getattr(bn_ours, attr)), to_numpy(getattr(bn_theirs, attr))
        )


def test_variable_assign(seed_pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = seed_pair
    new = data(3)
    ours.layers[-1].bias.assign(new)
    theirs.layers[-1].bias.assign(new)
    x = data(2, 8, 8, 1)
    assert_same(ours(x), theirs(x))
    assert_same(ours.layers[-1].bias.numpy(), new)


def test_variable_assign_via_weights_list(
    seed_pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, theirs = seed_pair
    new = data(3)
    ours.weights[-1].assign(new)
    theirs.weights[-1].assign(new)
    x = data(2, 8, 8, 1)
    assert_same(ours(x), theirs(x))
    assert_same(ours.weights[-1].numpy(), new)


def _dense_head(ns: Any, how: str) -> Any:
    if how == "input":
        return ns.Sequential([ns.Input(shape=(3,)), ns.layers.Dense(2)])
    model = ns.Sequential([ns.layers.Dense(2)])
    if how == "build":
        model.build((None, 3))
    else:
        model(np.zeros((1, 3), "float32"))
    return model


@pytest.mark.parametrize("how", ["input", "build", "first_call"])
def test_sequential_weight_paths(how: str) -> None:
    """Keras 3.15 prefixes a Sequential's weight paths with its name."""
    ours, theirs = _dense_head(cnnkit, how), _dense_head(keras, how)
    assert weight_paths(ours) == weight_paths(theirs)


def test_nested_sequential_weight_paths() -> None:
    def build(ns: Any) -> Any:
        inputs = ns.Input(shape=(3,))
        block = ns.Sequential([ns.layers.Dense(2)], name="block")
        return ns.Model(inputs, ns.layers.Dense(1)(block(inputs)))

    assert weight_paths(build(cnnkit)) == weight_paths(build(keras))


def test_functional_weight_paths() -> None:
    def build(ns: Any) -> Any:
        inputs = ns.Input(shape=(6, 6, 1))
        x = ns.layers.Conv2D(2, 3)(inputs)
        x = ns.layers.BatchNormalization()(x)
        return ns.Model(inputs, ns.layers.Dense(1)(ns.layers.Flatten()(x)))

    ours, theirs = build(cnnkit), build(keras)
    assert weight_paths(ours) == weight_paths(theirs)
    assert weight_paths_of(ours.trainable_weights) == weight_paths_of(
        theirs.trainable_weights
    )


def test_set_weights_wrong_count_raises(seed_pair: tuple[Any, Any]) -> None:
    ours, theirs = seed_pair
    weights = theirs.get_weights()[:-1]
    with pytest.raises(ValueError, match="expecting 10 weights") as theirs_error:
        theirs.set_weights(weights)
    with pytest.raises(type(theirs_error.value), match="10"):
        ours.set_weights(weights)


def test_layer_set_weights_wrong_shape_raises() -> None:
    ours, theirs = layers.Dense(3), keras.layers.Dense(3)
    ours.build((None, 4))
    theirs.build((None, 4))
    bad = [np.zeros((5, 3), "float32"), np.zeros((3,), "float32")]
    with pytest.raises(ValueError, match="not compatible") as theirs_error:
        theirs.set_weights(bad)
    with pytest.raises(type(theirs_error.value), match=r"\(5, 3\)"):
        ours.set_weights(bad)


BUILD_CASES = {
    "Dense": ((None, 5), (2, 5)),
    "Conv1D": ((None, 8, 3), (2, 8, 3)),
    "Conv2D": ((None, 8, 8, 3), (2, 8, 8, 3)),
    "Conv3D": ((None, 4, 4, 4, 2), (2, 4, 4, 4, 2)),
    "Conv2DTranspose": ((None, 4, 4, 3), (2, 4, 4, 3)),
    "DepthwiseConv2D": ((None, 6, 6, 3), (2, 6, 6, 3)),
    "SeparableConv2D": ((None, 6, 6, 3), (2, 6, 6, 3)),
    "BatchNormalization": ((None, 4, 4, 3), (2, 4, 4, 3)),
    "LayerNormalization": ((None, 4, 6), (2, 4, 6)),
    "GroupNormalization": ((None, 4, 4, 4), (2, 4, 4, 4)),
    "PReLU": ((None, 3, 4), (2, 3, 4)),
}


def _random_weights(layer: Any, seed: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for w in layer.get_weights():
        v = rng.uniform(0.5, 1.5, size=w.shape).astype("float32")
        out.append(v)
    return out


@pytest.mark.parametrize("name", sorted(BUILD_CASES))
def test_build_then_set_weights_then_call(name: str, data: DataFactory) -> None:
    """``layer.build(shape)``; ``set_weights``; the first call must use those weights."""
    build_shape, x_shape = BUILD_CASES[name]
    kwargs = TABLE[name].kwargs
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours.build(build_shape)
    theirs.build(build_shape)
    assert ours.built
    assert theirs.built
    assert weight_paths(ours) == weight_paths(theirs)
    weights = _random_weights(theirs)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = data(*x_shape)
    y_ours = ours(x, training=False)
    assert_same(y_ours, theirs(x, training=False))
    assert_same(ours.get_weights(), weights)


def test_model_build_then_set_weights_then_predict(data: DataFactory) -> None:
    """``model.build((None, 28, 28, 1))`` on a Sequential without ``Input``."""

    def build(ns: Any) -> Any:
        model = ns.Sequential(
            [
                ns.layers.Conv2D(4, 3, activation="relu"),
                ns.layers.BatchNormalization(),
                ns.layers.MaxPooling2D(),
                ns.layers.Flatten(),
                ns.layers.Dense(3),
            ]
        )
        model.build((None, 10, 10, 1))
        return model

    ours, theirs = build(cnnkit), build(keras)
    assert ours.built
    assert theirs.built
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    weights = _random_weights(theirs)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = data(2, 10, 10, 1)
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_same(ours.get_weights(), weights)
    assert ours.output_shape == theirs.output_shape


def test_sequential_with_input_set_weights_before_first_call(data: DataFactory) -> None:
    ours, theirs = _seed_cnn(cnnkit), _seed_cnn(keras)
    weights = _random_weights(theirs)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = data(2, 8, 8, 1)
    assert_same(ours(x), theirs(x))


def test_copy_weights_layer_by_layer(data: DataFactory) -> None:
    """``for a, b in zip(src.layers, dst.layers): b.set_weights(a.get_weights())``."""
    ours, theirs = _seed_cnn(cnnkit), _seed_cnn(keras)
    for src, dst in zip(ours.layers, theirs.layers):
        dst.set_weights(src.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(ours(x), theirs(x))


def test_batchnorm_statistics_after_training_calls(data: DataFactory) -> None:
    ours = layers.BatchNormalization(momentum=0.9)
    theirs = keras.layers.BatchNormalization(momentum=0.9)
    for step in range(3):
        x = data(4, 3, 3, 2) * (step + 1) + step
        assert_same(ours(x, training=True), theirs(x, training=True))
    assert_same(ours.moving_mean.numpy(), to_numpy(theirs.moving_mean))
    assert_same(ours.moving_variance.numpy(), to_numpy(theirs.moving_variance))
    assert_same(ours.get_weights(), theirs.get_weights())
    x = data(2, 3, 3, 2)
    assert_same(ours(x, training=False), theirs(x, training=False))


def test_batchnorm_in_model_statistics_after_training_calls(data: DataFactory) -> None:
    def build(ns: Any) -> Any:
        return ns.Sequential(
            [
                ns.Input(shape=(4, 4, 2)),
                ns.layers.Conv2D(3, 3),
                ns.layers.BatchNormalization(),
            ]
        )

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    for _ in range(2):
        x = data(3, 4, 4, 2)
        assert_same(ours(x, training=True), theirs(x, training=True))
    assert_same(ours.get_weights(), theirs.get_weights())
    assert_same(
        [w.numpy() for w in ours.non_trainable_weights],
        [to_numpy(w) for w in theirs.non_trainable_weights],
    )


def test_batchnorm_training_false_does_not_update(data: DataFactory) -> None:
    ours = layers.BatchNormalization()
    x = data(4, 3)
    ours(x, training=False)
    before = ours.get_weights()
    ours(x * 5 + 1, training=False)
    assert_same(ours.get_weights(), before)


def test_weights_shared_between_models(data: DataFactory) -> None:
    """A layer reused in two models: set in one, seen in the other."""

    def build(ns: Any) -> tuple[Any, Any, Any]:
        dense = ns.layers.Dense(2)
        a = ns.Sequential([ns.Input(shape=(3,)), dense])
        b = ns.Sequential([ns.Input(shape=(3,)), dense, ns.layers.Activation("relu")])
        return a, b, dense

    a_ours, b_ours, d_ours = build(cnnkit)
    a_theirs, b_theirs, _ = build(keras)
    weights = [np.ones((3, 2), "float32"), np.array([0.5, -2.0], "float32")]
    a_ours.set_weights(weights)
    a_theirs.set_weights(weights)
    x = data(2, 3)
    assert_same(b_ours(x), b_theirs(x))
    assert [w.name for w in b_ours.weights] == [w.name for w in b_theirs.weights]
    assert d_ours.count_params() == 8
