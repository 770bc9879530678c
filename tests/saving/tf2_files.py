"""Hand-written legacy ``.h5`` files in the exact shape tf.keras 2 (TF 2.x) wrote.

TensorFlow is not installed here, so these files are built byte-for-byte from the
tf.keras 2 conventions: ``:0`` weight-name suffixes, ``batch_input_shape``,
``depthwise_kernel``, ``axis`` as a list, Keras-2 initializer dicts without
``module``, functional nodes as nested lists, tf 2 optimizer configs and weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

GLOROT = {"class_name": "GlorotUniform", "config": {"seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}
ONES = {"class_name": "Ones", "config": {}}


def _conv(name: str, filters: int, kernel: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": name, "trainable": True, "dtype": "float32", "filters": filters,
        "kernel_size": [kernel, kernel], "strides": [1, 1], "padding": "valid",
        "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
        "activation": "relu", "use_bias": True, "kernel_initializer": GLOROT,
        "bias_initializer": ZEROS, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None, **extra,
    }  # fmt: skip


def _dense(name: str, units: int, activation: str) -> dict[str, Any]:
    return {
        "name": name, "trainable": True, "dtype": "float32", "units": units,
        "activation": activation, "use_bias": True, "kernel_initializer": GLOROT,
        "bias_initializer": ZEROS, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }  # fmt: skip


SEQUENTIAL_CONFIG: dict[str, Any] = {
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "layers": [
            {"class_name": "InputLayer", "config": {
                "batch_input_shape": [None, 8, 8, 1], "dtype": "float32",
                "sparse": False, "ragged": False, "name": "conv2d_input"}},
            {"class_name": "Conv2D", "config": _conv(
                "conv2d", 3, 3, batch_input_shape=[None, 8, 8, 1])},
            {"class_name": "DepthwiseConv2D", "config": {
                "name": "depthwise_conv2d", "trainable": True, "dtype": "float32",
                "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
                "activation": "linear", "use_bias": True, "bias_initializer": ZEROS,
                "bias_regularizer": None, "activity_regularizer": None,
                "bias_constraint": None, "depth_multiplier": 2,
                "depthwise_initializer": GLOROT, "depthwise_regularizer": None,
                "depthwise_constraint": None}},
            {"class_name": "BatchNormalization", "config": {
                "name": "batch_normalization", "trainable": True, "dtype": "float32",
                "axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": True,
                "scale": True, "beta_initializer": ZEROS, "gamma_initializer": ONES,
                "moving_mean_initializer": ZEROS, "moving_variance_initializer": ONES,
                "beta_regularizer": None, "gamma_regularizer": None,
                "beta_constraint": None, "gamma_constraint": None}},
            {"class_name": "MaxPooling2D", "config": {
                "name": "max_pooling2d", "trainable": True, "dtype": "float32",
                "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
                "data_format": "channels_last"}},
            {"class_name": "Flatten", "config": {
                "name": "flatten", "trainable": True, "dtype": "float32",
                "data_format": "channels_last"}},
            {"class_name": "Dense", "config": _dense("dense", 3, "softmax")},
        ],
    },
}  # fmt: skip

# Layer name → [(weight name, shape)], in tf.keras 2 order.
SEQUENTIAL_WEIGHTS = {
    "conv2d": [("conv2d/kernel:0", (3, 3, 1, 3)), ("conv2d/bias:0", (3,))],
    "depthwise_conv2d": [
        ("depthwise_conv2d/depthwise_kernel:0", (3, 3, 3, 2)),
        ("depthwise_conv2d/bias:0", (6,)),
    ],
    "batch_normalization": [
        (f"batch_normalization/{n}:0", (6,))
        for n in ("gamma", "beta", "moving_mean", "moving_variance")
    ],
    "max_pooling2d": [],
    "flatten": [],
    "dense": [("dense/kernel:0", (54, 3)), ("dense/bias:0", (3,))],
}

FUNCTIONAL_CONFIG: dict[str, Any] = {
    "class_name": "Functional",
    "config": {
        "name": "model",
        "layers": [
            {"class_name": "InputLayer", "config": {
                "batch_input_shape": [None, 6, 6, 2], "dtype": "float32",
                "sparse": False, "ragged": False, "name": "input_1"},
             "name": "input_1", "inbound_nodes": []},
            {"class_name": "Conv2D", "config": _conv("conv2d", 2, 1),
             "name": "conv2d", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"class_name": "Add", "config": {
                "name": "add", "trainable": True, "dtype": "float32"},
             "name": "add",
             "inbound_nodes": [[["conv2d", 0, 0, {}], ["input_1", 0, 0, {}]]]},
            {"class_name": "GlobalAveragePooling2D", "config": {
                "name": "global_average_pooling2d", "trainable": True,
                "dtype": "float32", "data_format": "channels_last",
                "keepdims": False},
             "name": "global_average_pooling2d",
             "inbound_nodes": [[["add", 0, 0, {}]]]},
            {"class_name": "Dense", "config": _dense("dense", 2, "linear"),
             "name": "dense",
             "inbound_nodes": [[["global_average_pooling2d", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["dense", 0, 0]],
    },
}  # fmt: skip

FUNCTIONAL_WEIGHTS = {
    "input_1": [],
    "conv2d": [("conv2d/kernel:0", (1, 1, 2, 2)), ("conv2d/bias:0", (2,))],
    "add": [],
    "global_average_pooling2d": [],
    "dense": [("dense/kernel:0", (2, 2)), ("dense/bias:0", (2,))],
}

TRAINING_CONFIG = {
    "loss": "sparse_categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
        "name": "accuracy", "dtype": "float32",
        "fn": "sparse_categorical_accuracy"}}]],
    "weighted_metrics": None,
    "loss_weights": None,
    "optimizer_config": {"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9,
        "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}},
}  # fmt: skip


def write_tf2_h5(
    path: Path,
    config: dict[str, Any],
    weights: dict[str, list[tuple[str, tuple[int, ...]]]],
    training_config: dict[str, Any] | None = None,
    seed: int = 0,
) -> list[np.ndarray]:
    """Write a tf.keras 2 style ``.h5`` model; returns the weights in layer order."""
    rng = np.random.RandomState(seed)
    values: list[np.ndarray] = []
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = b"2.13.1"
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["model_config"] = json.dumps(config).encode()
        if training_config is not None:
            h5.attrs["training_config"] = json.dumps(training_config).encode()
        group = h5.create_group("model_weights")
        group.attrs["layer_names"] = [name.encode() for name in weights]
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = b"2.13.1"
        for layer, entries in weights.items():
            layer_group = group.create_group(layer)
            layer_group.attrs["weight_names"] = [n.encode() for n, _ in entries]
            for name, shape in entries:
                value = rng.uniform(0.1, 1.0, size=shape).astype("float32")
                layer_group.create_dataset(name, data=value)
                values.append(value)
        if training_config is not None:
            # tf.keras 2 Adam state: iter, then all m's, then all v's (no lr).
            names = ["Adam/iter:0"]
            for kind in ("m", "v"):
                for entries in weights.values():
                    names += [f"Adam/{n[:-2]}/{kind}:0" for n, _ in entries]
            optimizer = h5.create_group("optimizer_weights")
            optimizer.attrs["weight_names"] = [n.encode() for n in names]
            for name in names:
                optimizer.create_dataset(name, data=np.zeros(1, "float32"))
    return values
