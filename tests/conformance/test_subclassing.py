"""Subclassing as in Keras' guides, on cnnkit and Keras 3: custom layers and models.

"Making new layers and models via subclassing": a ``Linear`` layer with ``build`` +
``add_weight`` + ``call`` + ``get_config``, nested blocks, non-trainable weights,
``add_loss`` and regularisers. Subclassed models are in ``test_subclassed_models.py``.
``ops`` is ``cnnkit.ops`` on cnnkit and ``keras.ops`` on Keras (``lib.ops``).
The overridden ``train_step``/``test_step`` of the torch-backend guide live in
``test_custom_steps.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cnnkit

from ._fit_twins import (
    LABELS,
    TARGET,
    X,
    both,
    history_dict,
    same,
    weights,
)
from .harness import copy_weights, keras, to_numpy

pytestmark = pytest.mark.oracle


def linear_class(lib: Any) -> type:
    """The guide's ``Linear`` layer, written against ``lib``."""

    class Linear(lib.layers.Layer):
        def __init__(self, units: int = 32, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(
                shape=(self.units,), initializer="zeros", trainable=True
            )

        def call(self, inputs: Any) -> Any:
            return lib.ops.matmul(inputs, self.w) + self.b

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config.update({"units": self.units})
            return config

    return Linear


def scale_class(lib: Any) -> type:
    """A layer written with Python operators only (no ``ops``): ``x * w + b``."""

    class Scale(lib.layers.Layer):
        def build(self, input_shape: Any) -> None:
            self.scale = self.add_weight(
                shape=(input_shape[-1],), initializer="ones", name="scale"
            )
            self.offset = self.add_weight(
                shape=(input_shape[-1],), initializer="zeros", name="offset"
            )

        def call(self, inputs: Any) -> Any:
            return inputs * self.scale + self.offset

    return Scale


def layer_twins(make: Any, x: np.ndarray) -> tuple[Any, Any]:
    ours, theirs = make(cnnkit), make(keras)
    ours(x), theirs(x)  # build both
    copy_weights(ours, theirs)
    return ours, theirs


def test_custom_layer_weights_and_output() -> None:
    ours, theirs = layer_twins(lambda lib: linear_class(lib)(4), X)
    same(
        {
            "paths": [w.path for w in ours.weights],
            "trainable": len(ours.trainable_weights),
            "shapes": [tuple(w.shape) for w in ours.weights],
            "out": to_numpy(ours(X)),
        },
        {
            "paths": [w.path for w in theirs.weights],
            "trainable": len(theirs.trainable_weights),
            "shapes": [tuple(w.shape) for w in theirs.weights],
            "out": to_numpy(theirs(X)),
        },
    )


def test_custom_layer_with_python_operators() -> None:
    ours, theirs = layer_twins(lambda lib: scale_class(lib)(), X)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    same(to_numpy(ours(X)), to_numpy(theirs(X)))


def test_custom_layer_get_config_and_from_config() -> None:
    def idiom(lib: Any) -> dict[str, Any]:
        linear = linear_class(lib)
        layer = linear(units=7, name="my_linear")
        config = layer.get_config()
        clone = linear.from_config(config)
        return {
            "keys": sorted(config),
            "units": config["units"],
            "name": config["name"],
            "clone": (type(clone).__name__, clone.units, clone.name),
        }

    same(idiom(cnnkit), idiom(keras))


def linear_mlp(lib: Any) -> Any:
    linear = linear_class(lib)
    return lib.Sequential(
        [
            lib.Input((4,)),
            linear(5),
            lib.layers.Activation("relu"),
            scale_class(lib)(),
            linear(3),
            lib.layers.Softmax(),
        ]
    )


def test_custom_layer_in_sequential_fit() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(X, LABELS, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "layer_names": [layer.name for layer in model.layers],
        }

    same(*both(linear_mlp, idiom))


def test_custom_layer_in_functional_model() -> None:
    def build(lib: Any) -> Any:
        inputs = lib.Input((4,))
        hidden = linear_class(lib)(6)(inputs)
        outputs = lib.layers.Dense(1)(lib.layers.ReLU()(hidden))
        return lib.Model(inputs, outputs)

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.05), "mse")
        history = model.fit(X, TARGET, batch_size=16, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "output_shape": tuple(model.output_shape),
            "history": history_dict(history),
            "weights": weights(model),
        }

    same(*both(build, idiom))


def mlp_block_class(lib: Any) -> type:
    """The guide's ``MLPBlock``: layers tracked as attributes of a layer."""
    linear = linear_class(lib)

    class MLPBlock(lib.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.linear_1 = linear(8)
            self.linear_2 = linear(6)
            self.linear_3 = linear(1)

        def call(self, inputs: Any) -> Any:
            x = lib.ops.relu(self.linear_1(inputs))
            x = lib.ops.relu(self.linear_2(x))
            return self.linear_3(x)

    return MLPBlock


def test_nested_layers_are_tracked() -> None:
    ours, theirs = layer_twins(lambda lib: mlp_block_class(lib)(), X)

    def describe(block: Any) -> dict[str, Any]:
        return {
            "weights": len(block.weights),
            "trainable_weights": len(block.trainable_weights),
            "shapes": [tuple(w.shape) for w in block.weights],
            "out": to_numpy(block(X)),
        }

    same(describe(ours), describe(theirs))


def test_non_trainable_weight_updated_in_call() -> None:
    """The guide's ``ComputeSum``: a non-trainable ``total`` with ``assign_add``."""

    def idiom(lib: Any) -> dict[str, Any]:
        class ComputeSum(lib.layers.Layer):
            def __init__(self, input_dim: int, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.total = self.add_weight(
                    initializer="zeros", shape=(input_dim,), trainable=False
                )

            def call(self, inputs: Any) -> Any:
                self.total.assign_add(lib.ops.sum(inputs, axis=0))
                return self.total

        layer = ComputeSum(4)
        layer(X)
        out = layer(X)
        return {
            "out": to_numpy(out),
            "weights": len(layer.weights),
            "trainable": len(layer.trainable_weights),
            "non_trainable": len(layer.non_trainable_weights),
        }

    same(idiom(cnnkit), idiom(keras))


def activity_regularization_class(lib: Any) -> type:
    """The guide's ``ActivityRegularizationLayer``: ``self.add_loss`` in ``call``."""

    class ActivityRegularizationLayer(lib.layers.Layer):
        def __init__(self, rate: float = 1e-2, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs: Any) -> Any:
            self.add_loss(self.rate * lib.ops.mean(inputs))
            return inputs

    return ActivityRegularizationLayer


def test_add_loss_is_reset_at_each_call() -> None:
    def idiom(lib: Any) -> dict[str, Any]:
        layer = activity_regularization_class(lib)(rate=0.5)
        layer(X)
        first = [to_numpy(loss) for loss in layer.losses]
        layer(X[:4])
        return {"first": first, "second": [to_numpy(loss) for loss in layer.losses]}

    same(idiom(cnnkit), idiom(keras))


def add_loss_model(lib: Any) -> Any:
    return lib.Sequential(
        [
            lib.Input((4,)),
            lib.layers.Dense(5, activation="relu"),
            activity_regularization_class(lib)(rate=0.3),
            lib.layers.Dense(3, activation="softmax"),
        ]
    )


def test_add_loss_included_in_training() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(X, LABELS, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "evaluate": model.evaluate(X, LABELS, verbose=0, return_dict=True),
            "model_losses": [to_numpy(loss) for loss in model.losses],
        }

    same(*both(add_loss_model, idiom))


REGULARIZER_CASES = {
    "kernel_l2": lambda lib: {"kernel_regularizer": lib.regularizers.l2(0.01)},
    "kernel_l1_bias_l2": lambda lib: {
        "kernel_regularizer": lib.regularizers.l1(0.01),
        "bias_regularizer": lib.regularizers.l2(0.1),
    },
    "kernel_L1L2": lambda lib: {
        "kernel_regularizer": lib.regularizers.L1L2(l1=0.01, l2=0.02)
    },
    "activity_l1": lambda lib: {"activity_regularizer": lib.regularizers.l1(0.01)},
    "kernel_string_l2": lambda lib: {"kernel_regularizer": "l2"},
}


@pytest.mark.parametrize(
    "regularizers", list(REGULARIZER_CASES.values()), ids=list(REGULARIZER_CASES)
)
def test_regularizers_in_the_loss(regularizers: Any) -> None:
    def build(lib: Any) -> Any:
        return lib.Sequential(
            [
                lib.Input((4,)),
                lib.layers.Dense(5, activation="relu", **regularizers(lib)),
                lib.layers.Dense(1),
            ]
        )

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model(X[:8])
        losses_after_call = [to_numpy(loss) for loss in model.losses]
        model.compile(lib.optimizers.SGD(0.05), "mse")
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "losses_after_call": losses_after_call,
            "history": history_dict(history),
            "evaluate": model.evaluate(X, TARGET, verbose=0),
            "weights": weights(model),
        }

    same(*both(build, idiom))
