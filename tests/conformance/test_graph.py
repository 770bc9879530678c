"""Graph introspection the way tutorials write it, on cnnkit and on Keras 3.

Feature extractors (``Model(inputs=m.inputs, outputs=m.get_layer(name).output)``), the
"visualise intermediate activations" model (``[l.output for l in m.layers]``),
``layer.input``/``layer.output``, ``model.input_shape``/``output_shape``, nested models
(a Sequential block inside a functional model; a frozen base model inside a classifier,
as in transfer learning), ``model.layers`` names and ``get_layer``.

Keras 3 notes (the oracle decides): ``Sequential.input``/``.output`` raise on Keras 3
(the Sequential is never "called" symbolically), so the Keras-3 idiom is
``model.inputs``/``model.outputs``; a model built with ``inputs=m.inputs`` (a list)
and called with one array makes Keras warn, hence ``quiet_keras()`` on its side only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cnnkit

from .harness import DataFactory, assert_same, copy_weights, keras, quiet_keras, shapes

pytestmark = pytest.mark.oracle


def _cnn(ns: Any) -> Any:
    """A small MNIST-style CNN with named layers, as tutorials write it."""
    return ns.Sequential(
        [
            ns.Input(shape=(10, 10, 1)),
            ns.layers.Conv2D(4, (3, 3), activation="relu", name="conv_1"),
            ns.layers.MaxPooling2D((2, 2), name="pool_1"),
            ns.layers.Conv2D(
                6, (3, 3), activation="relu", padding="same", name="conv_2"
            ),
            ns.layers.BatchNormalization(name="bn"),
            ns.layers.Flatten(name="flatten"),
            ns.layers.Dense(8, activation="relu", name="dense_1"),
            ns.layers.Dropout(0.5),
            ns.layers.Dense(3, activation="softmax", name="predictions"),
        ]
    )


def _functional_cnn(ns: Any) -> Any:
    inputs = ns.Input(shape=(10, 10, 1), name="image")
    x = ns.layers.Conv2D(4, 3, activation="relu", name="conv_1")(inputs)
    x = ns.layers.MaxPooling2D(name="pool_1")(x)
    x = ns.layers.Conv2D(6, 3, padding="same", name="conv_2")(x)
    x = ns.layers.BatchNormalization(name="bn")(x)
    x = ns.layers.Activation("relu", name="relu")(x)
    x = ns.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = ns.layers.Dense(3, activation="softmax", name="predictions")(x)
    return ns.Model(inputs=inputs, outputs=outputs, name="functional_cnn")


BUILDERS = {"sequential": _cnn, "functional": _functional_cnn}


@pytest.fixture(params=sorted(BUILDERS))
def pair(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    build = BUILDERS[request.param]
    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    return ours, theirs


def test_layer_names(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert [layer.name for layer in ours.layers] == [
        layer.name for layer in theirs.layers
    ]
    assert ours.name == theirs.name


def test_layer_classes(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert [type(layer).__name__ for layer in ours.layers] == [
        type(layer).__name__ for layer in theirs.layers
    ]


def test_model_input_and_output_shape(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert ours.input_shape == theirs.input_shape
    assert ours.output_shape == theirs.output_shape


def test_model_inputs_and_outputs(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert [tuple(t.shape) for t in ours.inputs] == [
        tuple(t.shape) for t in theirs.inputs
    ]
    assert [tuple(t.shape) for t in ours.outputs] == [
        tuple(t.shape) for t in theirs.outputs
    ]
    assert [str(t.dtype) for t in ours.outputs] == [
        str(t.dtype) for t in theirs.outputs
    ]


def test_layer_output_shapes(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert [tuple(layer.output.shape) for layer in ours.layers] == [
        tuple(layer.output.shape) for layer in theirs.layers
    ]


def test_layer_input_shapes(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    # a functional model's InputLayer has an output, not an input
    ours_layers = [la for la in ours.layers if type(la).__name__ != "InputLayer"]
    theirs_layers = [la for la in theirs.layers if type(la).__name__ != "InputLayer"]
    assert [tuple(la.input.shape) for la in ours_layers] == [
        tuple(la.input.shape) for la in theirs_layers
    ]


def test_get_layer_by_name_and_index(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert ours.get_layer("conv_2").name == theirs.get_layer("conv_2").name
    assert (
        ours.get_layer(name="bn").get_config()["axis"]
        == theirs.get_layer(name="bn").get_config()["axis"]
    )
    for index in range(len(theirs.layers)):
        assert ours.get_layer(index=index).name == theirs.get_layer(index=index).name


def test_get_layer_unknown_name_raises_value_error(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    with pytest.raises(ValueError, match="no_such_layer") as theirs_error:
        theirs.get_layer("no_such_layer")
    with pytest.raises(type(theirs_error.value), match="no_such_layer"):
        ours.get_layer("no_such_layer")


def test_feature_extractor_from_get_layer(
    pair: tuple[Any, Any], data: DataFactory
) -> None:
    """keras.io "Feature extraction with a Sequential model"."""
    ours, theirs = pair
    fe_ours = cnnkit.Model(
        inputs=ours.inputs, outputs=ours.get_layer(name="conv_2").output
    )
    fe_theirs = keras.Model(
        inputs=theirs.inputs, outputs=theirs.get_layer(name="conv_2").output
    )
    x = data(2, 10, 10, 1)
    features = fe_ours(x)
    with quiet_keras():
        expected = fe_theirs(x)
    assert_same(features, expected)
    assert [la.name for la in fe_ours.layers] == [la.name for la in fe_theirs.layers]


def test_feature_extractor_predict(pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = pair
    fe_ours = cnnkit.Model(ours.inputs, ours.get_layer("pool_1").output)
    fe_theirs = keras.Model(theirs.inputs, theirs.get_layer("pool_1").output)
    x = data(3, 10, 10, 1)
    with quiet_keras():
        expected = fe_theirs.predict(x, verbose=0)
    assert_same(fe_ours.predict(x, verbose=0), expected)


def test_all_layer_activation_model(pair: tuple[Any, Any], data: DataFactory) -> None:
    """The classic "visualise intermediate activations" tutorial."""
    ours, theirs = pair
    act_ours = cnnkit.Model(
        inputs=ours.inputs, outputs=[layer.output for layer in ours.layers]
    )
    act_theirs = keras.Model(
        inputs=theirs.inputs, outputs=[layer.output for layer in theirs.layers]
    )
    img = data(1, 10, 10, 1)
    activations = act_ours.predict(img, verbose=0)
    with quiet_keras():
        expected = act_theirs.predict(img, verbose=0)
    assert isinstance(activations, list)
    assert len(activations) == len(expected)
    assert_same(activations, expected)
    first_layer_activation = (
        activations[0] if ours.layers[0].name != "image" else activations[1]
    )
    assert first_layer_activation.shape == (1, 8, 8, 4)


def test_activation_model_first_four_layers_with_input(
    pair: tuple[Any, Any], data: DataFactory
) -> None:
    """``Model(inputs=model.inputs[0], outputs=[l.output for l in model.layers[:4]])``."""
    ours, theirs = pair
    act_ours = cnnkit.Model(ours.inputs[0], [la.output for la in ours.layers[:4]])
    act_theirs = keras.Model(theirs.inputs[0], [la.output for la in theirs.layers[:4]])
    img = data(2, 10, 10, 1)
    assert_same(act_ours.predict(img, verbose=0), act_theirs.predict(img, verbose=0))
    assert act_ours.output_shape == act_theirs.output_shape


def test_intermediate_output_dict_by_layer_name(
    pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, theirs = pair
    names = ["conv_1", "conv_2", "bn"]
    act_ours = cnnkit.Model(
        ours.inputs[0], {n: ours.get_layer(n).output for n in names}
    )
    act_theirs = keras.Model(
        theirs.inputs[0], {n: theirs.get_layer(n).output for n in names}
    )
    x = data(2, 10, 10, 1)
    assert_same(act_ours(x), act_theirs(x))
    assert_same(act_ours.predict(x, verbose=0), act_theirs.predict(x, verbose=0))


def test_functional_model_input_and_output(data: DataFactory) -> None:
    ours, theirs = _functional_cnn(cnnkit), _functional_cnn(keras)
    copy_weights(ours, theirs)
    assert tuple(ours.input.shape) == tuple(theirs.input.shape)
    assert tuple(ours.output.shape) == tuple(theirs.output.shape)
    head_ours = cnnkit.Model(ours.input, ours.get_layer("gap").output)
    head_theirs = keras.Model(theirs.input, theirs.get_layer("gap").output)
    x = data(2, 10, 10, 1)
    assert_same(head_ours(x), head_theirs(x))


def test_sequential_input_is_first_of_inputs() -> None:
    """tf.keras 2 tutorials write ``Model(model.input, ...)`` on a Sequential."""
    ours = _cnn(cnnkit)
    assert ours.input is ours.inputs[0]
    assert ours.output is ours.outputs[0]


def test_input_keras_tensor_attributes() -> None:
    ours = cnnkit.Input(shape=(28, 28, 1))
    theirs = keras.Input(shape=(28, 28, 1))
    assert tuple(ours.shape) == tuple(theirs.shape) == (None, 28, 28, 1)
    assert str(ours.dtype) == str(theirs.dtype)
    assert ours.ndim == theirs.ndim
    y_ours = cnnkit.layers.Conv2D(8, 3, strides=2)(ours)
    y_theirs = keras.layers.Conv2D(8, 3, strides=2)(theirs)
    assert tuple(y_ours.shape) == tuple(y_theirs.shape)


@pytest.mark.parametrize("batch_size", [None, 4])
def test_input_batch_size(batch_size: int | None) -> None:
    ours = cnnkit.Input(shape=(5,), batch_size=batch_size)
    theirs = keras.Input(shape=(5,), batch_size=batch_size)
    assert tuple(ours.shape) == tuple(theirs.shape)


def _block(ns: Any) -> Any:
    return ns.Sequential(
        [
            ns.layers.Conv2D(4, 3, padding="same", activation="relu"),
            ns.layers.MaxPooling2D(),
        ],
        name="block",
    )


def _with_nested_sequential(ns: Any) -> Any:
    inputs = ns.Input(shape=(8, 8, 2))
    x = _block(ns)(inputs)
    x = ns.layers.Flatten()(x)
    outputs = ns.layers.Dense(2)(x)
    return ns.Model(inputs, outputs)


def test_sequential_inside_functional(data: DataFactory) -> None:
    ours, theirs = _with_nested_sequential(cnnkit), _with_nested_sequential(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert [type(la).__name__ for la in ours.layers] == [
        type(la).__name__ for la in theirs.layers
    ]
    copy_weights(ours, theirs)
    x = data(2, 8, 8, 2)
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert [la.name for la in ours.get_layer("block").layers] == [
        la.name for la in theirs.get_layer("block").layers
    ]
    assert tuple(ours.get_layer("block").output.shape) == tuple(
        theirs.get_layer("block").output.shape
    )


def _base(ns: Any) -> Any:
    """A small functional base model (a stand-in for MobileNet/VGG)."""
    inputs = ns.Input(shape=(8, 8, 3))
    x = ns.layers.Conv2D(4, 3, padding="same", name="block1_conv")(inputs)
    x = ns.layers.BatchNormalization(name="block1_bn")(x)
    x = ns.layers.Activation("relu", name="block1_relu")(x)
    x = ns.layers.MaxPooling2D(name="block1_pool")(x)
    x = ns.layers.Conv2D(6, 3, padding="same", activation="relu", name="block2_conv")(x)
    return ns.Model(inputs, x, name="base")


def _transfer(ns: Any, base: Any) -> Any:
    """keras.io "Transfer learning & fine-tuning": frozen base, new head."""
    base.trainable = False
    inputs = ns.Input(shape=(8, 8, 3))
    x = ns.layers.Rescaling(1.0 / 255)(inputs)
    x = base(x, training=False)
    x = ns.layers.GlobalAveragePooling2D()(x)
    x = ns.layers.Dropout(0.2)(x)
    outputs = ns.layers.Dense(1)(x)
    return ns.Model(inputs, outputs)


@pytest.fixture
def transfer_pair() -> tuple[Any, Any, Any, Any]:
    base_ours, base_theirs = _base(cnnkit), _base(keras)
    copy_weights(base_ours, base_theirs)
    ours, theirs = _transfer(cnnkit, base_ours), _transfer(keras, base_theirs)
    copy_weights(ours, theirs)
    return ours, theirs, base_ours, base_theirs


def test_transfer_learning_layers(transfer_pair: tuple[Any, ...]) -> None:
    ours, theirs, _, _ = transfer_pair
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert ours.get_layer("base").name == "base"


def test_transfer_learning_trainable_counts(transfer_pair: tuple[Any, ...]) -> None:
    ours, theirs, base_ours, base_theirs = transfer_pair
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)
    assert len(base_ours.trainable_weights) == len(base_theirs.trainable_weights) == 0
    assert [w.path for w in ours.trainable_weights] == [
        w.path for w in theirs.trainable_weights
    ]


def test_transfer_learning_predictions(
    transfer_pair: tuple[Any, ...], data: DataFactory
) -> None:
    ours, theirs, _, _ = transfer_pair
    x = data(3, 8, 8, 3, low=0.0, high=255.0)
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_same(ours(x, training=True).shape, theirs(x, training=True).shape)


def test_frozen_base_keeps_batchnorm_statistics(
    transfer_pair: tuple[Any, ...], data: DataFactory
) -> None:
    """A frozen BN runs in inference mode and never updates (even training=True)."""
    ours, theirs, base_ours, base_theirs = transfer_pair
    x = data(4, 8, 8, 3, low=0.0, high=255.0)
    before = base_ours.get_layer("block1_bn").get_weights()
    head_ours = cnnkit.Model(ours.inputs, ours.layers[-3].output)
    head_theirs = keras.Model(theirs.inputs, theirs.layers[-3].output)
    y_ours = head_ours(x, training=True)
    with quiet_keras():
        y_theirs = head_theirs(x, training=True)
    assert_same(y_ours, y_theirs)
    assert_same(base_ours.get_layer("block1_bn").get_weights(), before)
    assert_same(
        base_ours.get_layer("block1_bn").get_weights(),
        base_theirs.get_layer("block1_bn").get_weights(),
    )


def test_unfreeze_for_fine_tuning(transfer_pair: tuple[Any, ...]) -> None:
    ours, theirs, base_ours, base_theirs = transfer_pair
    base_ours.trainable = True
    base_theirs.trainable = True
    for layer in base_ours.layers[:-1]:
        layer.trainable = False
    for layer in base_theirs.layers[:-1]:
        layer.trainable = False
    assert [w.path for w in ours.trainable_weights] == [
        w.path for w in theirs.trainable_weights
    ]
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)


def test_feature_extractor_from_nested_base(
    transfer_pair: tuple[Any, ...], data: DataFactory
) -> None:
    _, _, base_ours, base_theirs = transfer_pair
    fe_ours = cnnkit.Model(base_ours.input, base_ours.get_layer("block1_pool").output)
    fe_theirs = keras.Model(
        base_theirs.input, base_theirs.get_layer("block1_pool").output
    )
    x = data(2, 8, 8, 3)
    assert_same(fe_ours.predict(x, verbose=0), fe_theirs.predict(x, verbose=0))
    assert fe_ours.output_shape == fe_theirs.output_shape


def test_base_model_outputs_in_classifier(transfer_pair: tuple[Any, ...]) -> None:
    ours, theirs, _, _ = transfer_pair
    assert tuple(ours.get_layer("base").output.shape) == tuple(
        theirs.get_layer("base").output.shape
    )
    assert ours.get_layer("base").output_shape == theirs.get_layer("base").output_shape


def _residual(ns: Any) -> Any:
    inputs = ns.Input(shape=(6, 6, 4))
    x = ns.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = ns.layers.Conv2D(4, 3, padding="same")(x)
    x = ns.layers.add([x, inputs])
    x = ns.layers.Activation("relu")(x)
    outputs = ns.layers.Dense(2)(ns.layers.Flatten()(x))
    return ns.Model(inputs, outputs)


def test_residual_connection(data: DataFactory) -> None:
    ours, theirs = _residual(cnnkit), _residual(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    copy_weights(ours, theirs)
    x = data(2, 6, 6, 4)
    assert_same(ours(x), theirs(x))


def _shared(ns: Any) -> Any:
    a = ns.Input(shape=(4,))
    b = ns.Input(shape=(4,))
    shared = ns.layers.Dense(3, name="shared")
    merged = ns.layers.concatenate([shared(a), shared(b)])
    return ns.Model([a, b], ns.layers.Dense(1)(merged))


def test_shared_layer_counted_once(data: DataFactory) -> None:
    ours, theirs = _shared(cnnkit), _shared(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert len(ours.weights) == len(theirs.weights)
    assert ours.count_params() == theirs.count_params()
    copy_weights(ours, theirs)
    x = [data(2, 4), data(2, 4)]
    assert_same(ours(x), theirs(x))


def _multi_output(ns: Any) -> Any:
    inputs = ns.Input(shape=(6, 6, 1))
    x = ns.layers.Flatten()(ns.layers.Conv2D(2, 3)(inputs))
    digit = ns.layers.Dense(10, activation="softmax", name="digit")(x)
    box = ns.layers.Dense(4, name="box")(x)
    return ns.Model(inputs=inputs, outputs=[digit, box])


def test_multi_output_model(data: DataFactory) -> None:
    ours, theirs = _multi_output(cnnkit), _multi_output(keras)
    copy_weights(ours, theirs)
    assert ours.output_names == theirs.output_names
    assert ours.output_shape == theirs.output_shape
    x = data(2, 6, 6, 1)
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_model_called_on_keras_tensor_to_nest(data: DataFactory) -> None:
    def build(ns: Any) -> Any:
        inner = _functional_cnn(ns)
        inputs = ns.Input(shape=(10, 10, 1))
        return ns.Model(inputs, inner(inputs)), inner

    (ours, inner_ours), (theirs, _inner_theirs) = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    x = data(2, 10, 10, 1)
    assert_same(ours(x), theirs(x))
    assert_same(ours(x), inner_ours(x))


def test_sequential_add_and_pop(data: DataFactory) -> None:
    def build(ns: Any) -> Any:
        model = ns.Sequential()
        model.add(ns.Input(shape=(6, 6, 1)))
        model.add(ns.layers.Conv2D(2, 3, activation="relu"))
        model.add(ns.layers.Flatten())
        model.add(ns.layers.Dense(4))
        model.add(ns.layers.Dense(2))
        model.pop()
        return model

    ours, theirs = build(cnnkit), build(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert ours.output_shape == theirs.output_shape
    copy_weights(ours, theirs)
    x = data(2, 6, 6, 1)
    assert_same(ours(x), theirs(x))


def test_sequential_built_by_first_call(data: DataFactory) -> None:
    """No ``Input``: the first call builds the model (the ``input_shape`` is learned)."""

    def build(ns: Any) -> Any:
        return ns.Sequential(
            [ns.layers.Dense(4, activation="relu"), ns.layers.Dense(2)]
        )

    ours, theirs = build(cnnkit), build(keras)
    x = data(3, 5)
    ours(x), theirs(x)
    copy_weights(ours, theirs)
    assert_same(ours(x), theirs(x))
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert len(ours.weights) == len(theirs.weights)


def test_predict_output_is_numpy_for_every_output(data: DataFactory) -> None:
    ours = _multi_output(cnnkit)
    outputs = ours.predict(data(2, 6, 6, 1), verbose=0)
    assert all(isinstance(o, np.ndarray) for o in outputs)
    assert shapes(outputs) == [(2, 10), (2, 4)]
