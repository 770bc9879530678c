"""Calling layers and models the way tutorials do, on cnnkit and on Keras 3.

``layer(x, training=True)`` / ``layer(x, training=False)`` for every public layer class
(generated from ``cnnkit.layers._layer_classes()``, see ``layer_table.py``), the same
layer inside a ``Sequential`` and a functional model called with ``training=``,
``predict``/``predict_on_batch``, numpy and torch inputs. Random layers are compared
where they are deterministic (``training=False``, rate 0) and by shape otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers

from .harness import DataFactory, assert_same, copy_weights, keras, shapes
from .layer_table import (
    KERAS_INFERENCE_STANDIN,
    NOT_CALLED,
    NOT_IN_KERAS3,
    RANDOM,
    TABLE,
    Case,
    called_names,
    canonical_names,
    registry,
)

pytestmark = pytest.mark.oracle

TRAINING = [
    pytest.param(False, id="training=False"),
    pytest.param(True, id="training=True"),
]


def _inputs(case: Case, data: DataFactory) -> Any:
    arrays = [data(*s, low=case.low, high=case.high) for s in case.shapes]
    return arrays if case.multi_input else arrays[0]


def _keras_twin(name: str, training: bool) -> tuple[str, dict[str, Any]]:
    """The Keras class name and arguments to compare with (``KERAS_INFERENCE_STANDIN``)."""
    case = TABLE[registry()[name].__name__]
    if not training and registry()[name].__name__ in KERAS_INFERENCE_STANDIN:
        standin, extra = KERAS_INFERENCE_STANDIN[registry()[name].__name__]
        return standin, {**case.kwargs, **extra}
    return name, case.kwargs


def _pair(name: str, training: bool = False) -> tuple[Any, Any, Case]:
    case = TABLE[registry()[name].__name__]
    keras_name, keras_kwargs = _keras_twin(name, training)
    theirs = getattr(keras.layers, keras_name)(**keras_kwargs)
    return getattr(layers, name)(**case.kwargs), theirs, case


def test_every_layer_class_has_a_table_entry() -> None:
    missing = sorted(
        name
        for name, cls in registry().items()
        if cls.__name__ not in TABLE and name not in NOT_CALLED
    )
    assert not missing, (
        f"add these classes to tests/conformance/layer_table.py: {missing}"
    )


def test_every_layer_class_exists_in_keras() -> None:
    missing = [n for n in registry() if not hasattr(keras.layers, n)]
    assert sorted(set(missing) - NOT_IN_KERAS3) == []


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("name", called_names())
def test_layer_call_with_training(name: str, training: bool, data: DataFactory) -> None:
    ours, theirs, case = _pair(name, training)
    x = _inputs(case, data)
    first_ours = ours(x, training=training)
    first_theirs = theirs(x, training=training)
    if _keras_twin(name, training)[0] == name:
        assert ours.name == theirs.name
    assert shapes(first_ours) == shapes(first_theirs)
    copy_weights(ours, theirs)
    y_ours = ours(x, training=training)
    y_theirs = theirs(x, training=training)
    assert y_ours.dtype == torch.float32
    if training and name in RANDOM:
        assert shapes(y_ours) == shapes(y_theirs)
    else:
        assert_same(y_ours, y_theirs)


@pytest.mark.parametrize("name", canonical_names())
def test_layer_call_without_training(name: str, data: DataFactory) -> None:
    """``layer(x)``: Dropout defaults to inference, augmentation to training."""
    ours, theirs, case = _pair(name)
    x = _inputs(case, data)
    ours(x), theirs(x)
    copy_weights(ours, theirs)
    y_ours, y_theirs = ours(x), theirs(x)
    if name in RANDOM:
        assert shapes(y_ours) == shapes(y_theirs)
    else:
        assert_same(y_ours, y_theirs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("Dropout", {"rate": 0.0}),
        ("SpatialDropout2D", {"rate": 0.0}),
        ("GaussianNoise", {"stddev": 0.0}),
        ("GaussianDropout", {"rate": 0.0}),
        ("RandomRotation", {"factor": 0.0}),
        ("RandomTranslation", {"height_factor": 0.0, "width_factor": 0.0}),
        ("RandomZoom", {"height_factor": 0.0, "width_factor": 0.0}),
        ("RandomBrightness", {"factor": 0.0, "value_range": (0, 1)}),
        ("RandomContrast", {"factor": 0.0, "value_range": (0, 1)}),
        ("RandomCrop", {"height": 6, "width": 6}),
    ],
)
def test_random_layer_is_identity_at_rate_zero(
    name: str, kwargs: dict[str, Any], data: DataFactory
) -> None:
    x = data(2, 6, 6, 3, low=0.0, high=1.0)
    if name == "Dropout" or name == "GaussianDropout" or name == "GaussianNoise":
        x = x.reshape(2, -1)
    y_ours = getattr(layers, name)(**kwargs)(x, training=True)
    y_theirs = getattr(keras.layers, name)(**kwargs)(x, training=True)
    assert_same(y_ours, y_theirs)
    assert_same(y_ours, x)


def test_dropout_training_true_scales_kept_values(data: DataFactory) -> None:
    x = data(4, 50, low=1.0, high=2.0)
    y = layers.Dropout(0.5)(x, training=True).numpy()
    kept = y != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(y[kept], 2 * x[kept], rtol=1e-6)


def _sequential(ns: Any, case: Case, name: str, kwargs: dict[str, Any]) -> Any:
    return ns.Sequential(
        [ns.Input(shape=case.shapes[0][1:]), getattr(ns.layers, name)(**kwargs)]
    )


def _functional(ns: Any, case: Case, name: str, kwargs: dict[str, Any]) -> Any:
    inputs = [ns.Input(shape=s[1:]) for s in case.shapes]
    layer = getattr(ns.layers, name)(**kwargs)
    outputs = layer(inputs if case.multi_input else inputs[0])
    return ns.Model(inputs=inputs if case.multi_input else inputs[0], outputs=outputs)


SINGLE_INPUT = [n for n in canonical_names() if not TABLE[n].multi_input]


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("name", SINGLE_INPUT)
def test_layer_in_sequential_called_with_training(
    name: str, training: bool, data: DataFactory
) -> None:
    case = TABLE[name]
    ours = _sequential(cnnkit, case, name, case.kwargs)
    theirs = _sequential(keras, case, *_keras_twin(name, training))
    copy_weights(ours, theirs)
    x = _inputs(case, data)
    y_ours, y_theirs = ours(x, training=training), theirs(x, training=training)
    if training and name in RANDOM:
        assert shapes(y_ours) == shapes(y_theirs)
    else:
        assert_same(y_ours, y_theirs)


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("name", canonical_names())
def test_layer_in_functional_model_called_with_training(
    name: str, training: bool, data: DataFactory
) -> None:
    case = TABLE[name]
    ours = _functional(cnnkit, case, name, case.kwargs)
    theirs = _functional(keras, case, *_keras_twin(name, training))
    copy_weights(ours, theirs)
    x = _inputs(case, data)
    y_ours, y_theirs = ours(x, training=training), theirs(x, training=training)
    if training and name in RANDOM:
        assert shapes(y_ours) == shapes(y_theirs)
    else:
        assert_same(y_ours, y_theirs)


def _cnn(ns: Any) -> Any:
    """The seed tutorial's MNIST CNN, on 8x8 images."""
    return ns.Sequential(
        [
            ns.Input(shape=(8, 8, 1)),
            ns.layers.Conv2D(4, kernel_size=(3, 3), activation="relu"),
            ns.layers.MaxPooling2D(pool_size=(2, 2)),
            ns.layers.BatchNormalization(),
            ns.layers.Flatten(),
            ns.layers.Dropout(0.5),
            ns.layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.fixture
def cnn_pair() -> tuple[Any, Any]:
    ours, theirs = _cnn(cnnkit), _cnn(keras)
    copy_weights(ours, theirs)
    return ours, theirs


def test_model_predict(cnn_pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = cnn_pair
    x = data(5, 8, 8, 1)
    p_ours = ours.predict(x, verbose=0)
    p_theirs = theirs.predict(x, verbose=0)
    assert isinstance(p_ours, np.ndarray)
    assert p_ours.dtype == np.float32
    assert_same(p_ours, p_theirs)


def test_model_predict_with_batch_size(
    cnn_pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, theirs = cnn_pair
    x = data(5, 8, 8, 1)
    assert_same(
        ours.predict(x, batch_size=2, verbose=0),
        theirs.predict(x, batch_size=2, verbose=0),
    )


def test_model_predict_on_batch(cnn_pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = cnn_pair
    x = data(3, 8, 8, 1)
    p_ours = ours.predict_on_batch(x)
    assert isinstance(p_ours, np.ndarray)
    assert_same(p_ours, theirs.predict_on_batch(x))


def test_model_call_default_is_inference(
    cnn_pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, theirs = cnn_pair
    x = data(3, 8, 8, 1)
    assert_same(ours(x), theirs(x))
    assert_same(ours(x), ours.predict(x, verbose=0))


def test_model_call_training_true_uses_batch_statistics(
    cnn_pair: tuple[Any, Any], data: DataFactory
) -> None:
    """Dropout is random, so the comparison goes through the layers before it."""
    ours, theirs = cnn_pair
    x = data(4, 8, 8, 1)
    head_ours = cnnkit.Model(ours.inputs[0], ours.layers[2].output)
    head_theirs = keras.Model(theirs.inputs[0], theirs.layers[2].output)
    assert_same(head_ours(x, training=True), head_theirs(x, training=True))
    assert_same(
        [w.numpy() for w in ours.layers[2].non_trainable_weights],
        [w.numpy() for w in theirs.layers[2].non_trainable_weights],
    )
    assert shapes(ours(x, training=True)) == shapes(theirs(x, training=True))


def test_model_call_with_torch_tensor(
    cnn_pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, theirs = cnn_pair
    x = data(3, 8, 8, 1)
    y = ours(torch.from_numpy(x))
    assert isinstance(y, torch.Tensor)
    assert_same(y, ours(x))
    assert_same(y, theirs(torch.from_numpy(x)))


def test_predict_with_torch_tensor(
    cnn_pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, theirs = cnn_pair
    x = data(3, 8, 8, 1)
    assert_same(
        ours.predict(torch.from_numpy(x), verbose=0), theirs.predict(x, verbose=0)
    )


def test_model_call_with_float64_numpy(
    cnn_pair: tuple[Any, Any], data: DataFactory
) -> None:
    """Tutorials often pass ``x / 255.0`` (float64): the output is still float32."""
    ours, theirs = cnn_pair
    x = data(2, 8, 8, 1).astype("float64")
    y_ours, y_theirs = ours(x), theirs(x)
    assert str(y_ours.dtype) == str(y_theirs.dtype)
    assert_same(y_ours, y_theirs)


def test_predict_with_uint8_images(cnn_pair: tuple[Any, Any]) -> None:
    ours, theirs = cnn_pair
    x = np.random.default_rng(1).integers(0, 256, size=(2, 8, 8, 1), dtype=np.uint8)
    assert_same(
        ours.predict(x / 255.0, verbose=0), theirs.predict(x / 255.0, verbose=0)
    )


@pytest.mark.parametrize(
    "name", ["Conv2D", "Dense", "BatchNormalization", "MaxPooling2D"]
)
def test_layer_call_with_torch_tensor(name: str, data: DataFactory) -> None:
    ours, theirs, case = _pair(name)
    x = data(*case.shapes[0])
    y_np = ours(x)
    theirs(x)
    copy_weights(ours, theirs)
    y_torch = ours(torch.from_numpy(x), training=False)
    assert isinstance(y_torch, torch.Tensor)
    assert_same(y_torch, y_np)
    assert_same(y_torch, theirs(torch.from_numpy(x), training=False))


def test_functional_model_two_inputs_called_with_list(data: DataFactory) -> None:
    def build(ns: Any) -> Any:
        a = ns.Input(shape=(4,), name="a")
        b = ns.Input(shape=(3,), name="b")
        h = ns.layers.Concatenate()([ns.layers.Dense(2)(a), b])
        return ns.Model(inputs=[a, b], outputs=ns.layers.Dense(1)(h))

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    x = [data(2, 4), data(2, 3)]
    assert_same(ours(x, training=False), theirs(x, training=False))
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_functional_model_dict_inputs_and_outputs(data: DataFactory) -> None:
    def build(ns: Any) -> Any:
        image = ns.Input(shape=(6, 6, 1), name="image")
        meta = ns.Input(shape=(2,), name="meta")
        h = ns.layers.Flatten()(ns.layers.Conv2D(2, 3)(image))
        h = ns.layers.concatenate([h, meta])
        return ns.Model(
            inputs={"image": image, "meta": meta},
            outputs={
                "label": ns.layers.Dense(3, activation="softmax", name="label")(h),
                "score": ns.layers.Dense(1, name="score")(h),
            },
        )

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    x = {"image": data(2, 6, 6, 1), "meta": data(2, 2)}
    assert_same(ours(x, training=False), theirs(x, training=False))
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_nested_sequential_called_with_training(data: DataFactory) -> None:
    def build(ns: Any) -> Any:
        block = ns.Sequential(
            [ns.layers.Conv2D(3, 3, padding="same"), ns.layers.BatchNormalization()],
            name="block",
        )
        inputs = ns.Input(shape=(6, 6, 2))
        x = block(inputs)
        x = ns.layers.GlobalAveragePooling2D()(x)
        return ns.Model(inputs, ns.layers.Dense(2)(x))

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    x = data(3, 6, 6, 2)
    assert_same(ours(x, training=True), theirs(x, training=True))
    assert_same(ours.get_weights(), theirs.get_weights())
    assert_same(ours(x, training=False), theirs(x, training=False))
