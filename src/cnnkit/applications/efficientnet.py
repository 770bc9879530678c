"""EfficientNetB0 to B7 (Tan & Le 2019), as ``keras.applications.efficientnet``.

The preprocessing is inside the model (``Rescaling(1/255)`` then a
``Normalization`` whose statistics come with the weights, and with ImageNet weights
a per-channel ``Rescaling``), so :func:`preprocess_input` passes the input through:
feed pixels in ``[0, 255]``.

Example:
    >>> model = EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 1280)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from cnnkit import config as _config
from cnnkit import layers
from cnnkit.applications import _common, imagenet_utils
from cnnkit.models import Model

__all__ = [
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
# Keras' md5 of (the file with the top classifier, the "notop" file).
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) per stage;
# every block has id_skip and a squeeze-excite ratio of 0.25.
_STAGES = [
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
]
_SE_RATIO = 0.25
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def _bn_axis() -> int:
    return 3 if _config.image_data_format() == "channels_last" else 1


def _conv(filters: int, kernel: int, name: str, **kwargs: Any) -> Any:
    return layers.Conv2D(
        filters, kernel, padding="same", kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=name, **kwargs,
    )  # fmt: skip


def _block(
    inputs: Any, activation: str, drop_rate: float, name: str, filters_in: int,
    filters_out: int, kernel_size: int, strides: int, expand_ratio: int,
) -> Any:  # fmt: skip
    axis = _bn_axis()
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = _conv(filters, 1, f"{name}expand_conv", use_bias=False)(inputs)
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    else:
        x = inputs
    if strides == 2:
        pad = imagenet_utils.correct_pad(x.shape, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding="valid" if strides == 2 else "same",
        use_bias=False, depthwise_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}dwconv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    # Squeeze and excite: a per-channel gate from the globally pooled features.
    filters_se = max(1, int(filters_in * _SE_RATIO))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if axis == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = _conv(filters_se, 1, f"{name}se_reduce", activation=activation)(se)
    se = _conv(filters, 1, f"{name}se_expand", activation="sigmoid")(se)
    x = layers.multiply([x, se], name=f"{name}se_excite")
    x = _conv(filters_out, 1, f"{name}project_conv", use_bias=False)(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(
                drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop"
            )(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _efficientnet(
    width: float,
    depth: float,
    default_size: int,
    dropout_rate: float,
    weights_name: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
    drop_connect_rate: float = 0.2,
    activation: str = "swish",
) -> Model:
    _common.check_weights(weights, include_top, classes)
    shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=_config.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input, inputs = _common.image_input(input_tensor, shape)
    axis = _bn_axis()

    def round_filters(filters: int, divisor: int = 8) -> int:
        scaled = filters * width
        new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
        return int(new + divisor if new < 0.9 * scaled else new)

    def round_repeats(repeats: int) -> int:
        return math.ceil(depth * repeats)

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":
        # Keras' published weights hold variance (not stddev) in the Normalization
        # layer; this undoes the extra square root.
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(
        padding=imagenet_utils.correct_pad(x.shape, 3), name="stem_conv_pad"
    )(x)
    x = layers.Conv2D(
        round_filters(32), 3, strides=2, padding="valid", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    stages = copy.deepcopy(_STAGES)
    total = float(sum(round_repeats(stage[1]) for stage in stages))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, strides) in enumerate(stages):
        f_in, f_out = round_filters(f_in), round_filters(f_out)
        for j in range(round_repeats(repeats)):
            x = _block(
                x, activation, drop_connect_rate * b / total,
                f"block{i + 1}{chr(j + 97)}_",
                filters_in=f_in if j == 0 else f_out, filters_out=f_out,
                kernel_size=kernel, strides=strides if j == 0 else 1,
                expand_ratio=expand,
            )  # fmt: skip
            b += 1
    x = _conv(round_filters(1280), 1, "top_conv", use_bias=False)(x)
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes, activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions",
        )(x)  # fmt: skip
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = _common.build_model(inputs, x, name)
    # Keras names the file after the model's name (efficientnetb0.h5).
    file_name = name + (".h5" if include_top else "_notop.h5")
    _common.load_weights(
        model, weights, file_name=file_name, origin=BASE_WEIGHTS_PATH + file_name,
        file_hash=WEIGHTS_HASHES[weights_name][0 if include_top else 1],
    )  # fmt: skip
    return model


def _application(
    width: float, depth: float, size: int, dropout: float, variant: str
) -> Callable[..., Model]:
    def build(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"efficientnet{variant}",
    ) -> Model:
        return _efficientnet(
            width, depth, size, dropout, variant, include_top, weights, input_tensor,
            input_shape, pooling, classes, classifier_activation, name,
        )  # fmt: skip

    build.__name__ = build.__qualname__ = f"EfficientNet{variant.upper()}"
    build.__doc__ = _DOC.format(name=build.__name__, size=size)
    return build


_DOC = """Instantiates the {name} architecture (Keras' layers, names and weights).

    Args:
        include_top: Whether to include the classifier (``avg_pool``,
            ``top_dropout``, ``predictions``).
        weights: ``None`` (random), ``"imagenet"`` (Keras' published file, fetched
            once into ``$KERAS_HOME/models/``) or the path of a weights file.
        input_tensor: A symbolic tensor (``keras.Input(...)``) to build on.
        input_shape: ``(height, width, 3)`` (at least 32x32); only
            ``({size}, {size}, 3)`` with ``include_top=True`` and ImageNet weights.
        pooling: With ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
        classes: Number of classes of the top classifier.
        classifier_activation: Activation of ``predictions`` (``None``: logits).
        name: The model's name.

    Returns:
        A functional ``Model`` taking pixels in ``[0, 255]``.
    """

EfficientNetB0 = _application(1.0, 1.0, 224, 0.2, "b0")
EfficientNetB1 = _application(1.0, 1.1, 240, 0.2, "b1")
EfficientNetB2 = _application(1.1, 1.2, 260, 0.3, "b2")
EfficientNetB3 = _application(1.2, 1.4, 300, 0.3, "b3")
EfficientNetB4 = _application(1.4, 1.8, 380, 0.4, "b4")
EfficientNetB5 = _application(1.6, 2.2, 456, 0.4, "b5")
EfficientNetB6 = _application(1.8, 2.6, 528, 0.5, "b6")
EfficientNetB7 = _application(2.0, 3.1, 600, 0.5, "b7")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """EfficientNet preprocesses inside the model: ``x`` is returned unchanged
    (``data_format`` is accepted for Keras' signature)."""
    del data_format
    return x


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction (see imagenet_utils)."""
    return imagenet_utils.decode_predictions(preds, top=top)
