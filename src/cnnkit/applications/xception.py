"""Xception (Chollet 2017), as ``keras.applications.xception``.

Keras' layer names and order, the auto-named shortcut convolutions included (they
load from Keras' weight files in order). Default input 299x299, at least 71x71;
inputs are preprocessed to ``[-1, 1]`` ("tf" mode).

Example:
    >>> Xception(weights=None, include_top=False, input_shape=(71, 71, 3)).output_shape
    (None, 3, 3, 2048)
"""

from __future__ import annotations

from typing import Any

from cnnkit import config as _config
from cnnkit import layers
from cnnkit.applications import _common, imagenet_utils
from cnnkit.models import Model

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
# Keras' md5 of (the file with the top classifier, the "notop" file).
WEIGHTS_HASHES = (
    "0a58e3b7378bc2990ea3b43d5981f1f6",
    "b0042744bf5b25fce3cb969f33bebb97",
)


def _axis() -> int:
    return 1 if _config.image_data_format() == "channels_first" else -1


def _sep_bn(x: Any, filters: int, name: str) -> Any:
    x = layers.SeparableConv2D(
        filters, (3, 3), padding="same", use_bias=False, name=name
    )(x)
    return layers.BatchNormalization(axis=_axis(), name=f"{name}_bn")(x)


def _shortcut(x: Any, filters: int) -> Any:
    residual = layers.Conv2D(
        filters, (1, 1), strides=(2, 2), padding="same", use_bias=False
    )(x)
    return layers.BatchNormalization(axis=_axis())(residual)


def _entry_block(x: Any, filters: tuple[int, int], block: int, relu_first: bool) -> Any:
    residual = _shortcut(x, filters[1])
    if relu_first:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sep_bn(x, filters[0], f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sep_bn(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D(
        (3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool"
    )(x)
    return layers.add([x, residual])


def Xception(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "xception",
) -> Model:
    """Instantiates the Xception architecture (Keras' layers, names and weights).

    Args:
        include_top: Whether to include the classifier (``avg_pool``,
            ``predictions``).
        weights: ``None`` (random), ``"imagenet"`` (Keras' published file, fetched
            once into ``$KERAS_HOME/models/``) or the path of a weights file.
        input_tensor: A symbolic tensor (``keras.Input(...)``) to build on.
        input_shape: ``(height, width, 3)`` (at least 71x71); only
            ``(299, 299, 3)`` with ``include_top=True`` and ImageNet weights.
        pooling: With ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
        classes: Number of classes of the top classifier.
        classifier_activation: Activation of ``predictions`` (``None``: logits).
        name: The model's name.

    Returns:
        A functional ``Model``. Preprocess inputs with ``preprocess_input``.
    """
    _common.check_weights(weights, include_top, classes)
    shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71,
        data_format=_config.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input, inputs = _common.image_input(input_tensor, shape)
    axis = _axis()
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(
        img_input
    )
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, (128, 128), 2, relu_first=False)
    x = _entry_block(x, (256, 256), 3, relu_first=True)
    x = _entry_block(x, (728, 728), 4, relu_first=True)
    for i in range(8):  # the middle flow
        residual = x
        prefix = f"block{i + 5}"
        for conv in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{conv}_act")(x)
            x = _sep_bn(x, 728, f"{prefix}_sepconv{conv}")
        x = layers.add([x, residual])
    x = _entry_block(x, (728, 1024), 13, relu_first=True)
    x = _sep_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(
            x
        )
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = _common.build_model(inputs, x, name)
    top = "" if include_top else "_notop"
    file_name = f"xception_weights_tf_dim_ordering_tf_kernels{top}.h5"
    _common.load_weights(
        model, weights, file_name=file_name, origin=_BASE + file_name,
        file_hash=WEIGHTS_HASHES[0 if include_top else 1],
    )  # fmt: skip
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Xception's preprocessing: pixels in ``[0, 255]`` → ``[-1, 1]`` ("tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction (see imagenet_utils)."""
    return imagenet_utils.decode_predictions(preds, top=top)
