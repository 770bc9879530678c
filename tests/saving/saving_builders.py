"""Model builders shared by the saving tests.

Each builder takes a namespace (``cnnkit`` or ``keras``) and builds the *same*
architecture with it, with explicit layer names, so the two frameworks' files can be
compared key by key and their predictions one to one.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def seed_cnn(ns: Any) -> Any:
    """The seed tutorial's CNN (smaller): Conv2D, MaxPooling2D, Flatten, Dense."""
    layers = ns.layers
    return ns.Sequential(
        [
            ns.Input((12, 12, 1), name="image"),
            layers.Conv2D(4, (3, 3), activation="relu", name="conv"),
            layers.MaxPooling2D((2, 2), name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(3, activation="softmax", name="probs"),
        ],
        name="seed",
    )


def conv1d_seq(ns: Any) -> Any:
    layers = ns.layers
    return ns.Sequential(
        [
            ns.Input((16, 2), name="signal"),
            layers.Conv1D(4, 3, activation="relu", name="conv1d"),
            layers.BatchNormalization(name="bn"),
            layers.MaxPooling1D(2, name="pool"),
            layers.SeparableConv1D(3, 3, padding="same", name="sep1d"),
            layers.Flatten(name="flatten"),
            layers.Dense(3, activation="softmax", name="probs"),
        ],
        name="conv1d_net",
    )


def conv3d_seq(ns: Any) -> Any:
    layers = ns.layers
    return ns.Sequential(
        [
            ns.Input((6, 6, 6, 2), name="volume"),
            layers.Conv3D(3, 3, padding="same", name="conv3d"),
            layers.BatchNormalization(name="bn"),
            layers.Conv3DTranspose(2, 2, strides=2, name="up3d"),
            layers.GlobalAveragePooling3D(name="gap"),
            layers.Dense(3, activation="softmax", name="probs"),
        ],
        name="conv3d_net",
    )


def branchy_2d(ns: Any) -> Any:
    """Two branches (conv+BN, depthwise+separable), a transposed conv, Add, Concatenate."""
    layers = ns.layers
    inputs = ns.Input((8, 8, 3), name="img")
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inputs)
    a = layers.BatchNormalization(name="bn")(a)
    b = layers.DepthwiseConv2D(3, padding="same", name="dw")(inputs)
    b = layers.SeparableConv2D(4, 3, padding="same", name="sep")(b)
    x = layers.Add(name="add")([a, b])
    t = layers.Conv2DTranspose(2, 3, strides=2, padding="same", name="tr")(x)
    t = layers.MaxPooling2D(name="mp")(t)
    x = layers.Concatenate(name="cat")([x, t])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(3, activation="softmax", name="probs")(x)
    return ns.Model(inputs, outputs, name="branchy")


def nested(ns: Any) -> Any:
    """A Sequential block used as a layer of a functional model."""
    layers = ns.layers
    block = ns.Sequential(
        [
            ns.Input((8, 8, 3), name="block_in"),
            layers.Conv2D(3, 3, padding="same", name="inner_conv"),
            layers.BatchNormalization(name="inner_bn"),
        ],
        name="block",
    )
    inputs = ns.Input((8, 8, 3), name="img")
    x = layers.Add(name="add")([block(inputs), inputs])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(2, activation="softmax", name="out")(x)
    return ns.Model(inputs, outputs, name="outer")


BUILDERS = {
    "seed_cnn": seed_cnn,
    "conv1d": conv1d_seq,
    "conv3d": conv3d_seq,
    "branchy_2d": branchy_2d,
    "nested": nested,
}


def sample_data(model: Any, n: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs for ``model`` and integer labels for its output size."""
    rng = np.random.RandomState(seed)
    shape = tuple(model.inputs[0].shape[1:])
    x = rng.rand(n, *shape).astype("float32")
    classes = int(model.outputs[0].shape[-1])
    return x, rng.randint(0, classes, n)


def strip_shared_ids(value: Any) -> Any:
    """A config without Keras' ``shared_object_id`` bookkeeping keys."""
    if isinstance(value, dict):
        return {
            k: strip_shared_ids(v) for k, v in value.items() if k != "shared_object_id"
        }
    if isinstance(value, list):
        return [strip_shared_ids(v) for v in value]
    return value
