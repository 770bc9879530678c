"""MobileNetV2 (Sandler et al. 2018), as ``keras.applications.mobilenet_v2``.

Keras' layer names (``Conv1``, ``block_3_expand``, ``out_relu``) and width
multiplier ``alpha``; inputs are preprocessed to ``[-1, 1]`` ("tf" mode).

Example:
    >>> model = MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3),
    ...                     include_top=False, pooling="avg")
    >>> model.name, model.output_shape
    ('mobilenetv2_0.35_96', (None, 1280))
"""

from __future__ import annotations

import warnings
from typing import Any

from cnnkit import config as _config
from cnnkit import layers
from cnnkit.applications import _common, imagenet_utils
from cnnkit.errors import InvalidArgumentError
from cnnkit.models import Model

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
)
_SIZES = (96, 128, 160, 192, 224)  # the input sizes Keras publishes weights for
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of blocks 0..16.
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6)]
_BLOCKS += [(64, 2, 6)] + [(64, 1, 6)] * 3 + [(96, 1, 6)] * 3
_BLOCKS += [(160, 2, 6)] + [(160, 1, 6)] * 2 + [(320, 1, 6)]


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round channels to a multiple of ``divisor``, never down by more than 10%."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _bn(name: str) -> Any:
    axis = 1 if _config.image_data_format() == "channels_first" else -1
    return layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(
    inputs: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int
) -> Any:
    axis = 1 if _config.image_data_format() == "channels_first" else -1
    in_channels = inputs.shape[axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
            activation=None, name=f"{prefix}expand",
        )(x)  # fmt: skip
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x.shape, 3), name=f"{prefix}pad"
        )(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3, strides=stride, activation=None, use_bias=False,
        padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise",
    )(x)  # fmt: skip
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        pointwise_filters, kernel_size=1, padding="same", use_bias=False,
        activation=None, name=f"{prefix}project",
    )(x)  # fmt: skip
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _default_size(input_shape: Any, input_tensor: Any) -> int:
    """224, or the (square, published) size of the given shape or tensor."""
    first = _config.image_data_format() == "channels_first"
    if input_shape is not None:
        rows, cols = (input_shape[1], input_shape[2]) if first else input_shape[:2]
    elif input_tensor is not None and hasattr(input_tensor, "shape"):
        shape = input_tensor.shape
        rows, cols = (shape[2], shape[3]) if first else (shape[1], shape[2])
    else:
        return 224
    return rows if rows == cols and rows in _SIZES else 224


def MobileNetV2(
    input_shape: Any = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Model:
    """Instantiates the MobileNetV2 architecture (Keras' layers, names, weights).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32. ImageNet weights exist
            for square 96, 128, 160, 192 and 224 inputs (others get the 224 ones).
        alpha: Width multiplier: ``< 1`` fewer filters per layer, ``> 1`` more.
            ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
        include_top: Whether to include the classifier (``predictions``).
        weights: ``None`` (random), ``"imagenet"`` (Keras' published file, fetched
            once into ``$KERAS_HOME/models/``) or the path of a weights file.
        input_tensor: A symbolic tensor (``keras.Input(...)``) to build on.
        pooling: With ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
        classes: Number of classes of the top classifier.
        classifier_activation: Activation of ``predictions`` (``None``: logits).
        name: The model's name (default ``mobilenetv2_{alpha:.2f}_{rows}``).

    Returns:
        A functional ``Model``. Preprocess inputs with ``preprocess_input``
        (pixels in ``[0, 255]`` → ``[-1, 1]``).
    """
    _common.check_weights(weights, include_top, classes)
    if input_shape is not None and input_tensor is not None:
        if not hasattr(input_tensor, "shape"):
            raise InvalidArgumentError(
                "`input_tensor` must be a symbolic tensor from `keras.Input(...)`; "
                f"received {type(input_tensor).__name__}."
            )
        tensor_cols = input_tensor.shape[
            3 if _config.image_data_format() == "channels_first" else 2
        ]
        if tensor_cols != input_shape[1 if len(input_shape) == 3 else 2]:
            raise InvalidArgumentError(
                f"`input_shape`={tuple(input_shape)} does not match "
                f"`input_tensor` of shape {tuple(input_tensor.shape)}; pass one of "
                "them, or make them agree."
            )
    shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=_default_size(input_shape, input_tensor),
        min_size=32, data_format=_config.image_data_format(),
        require_flatten=include_top, weights=weights,
    )  # fmt: skip
    first = _config.image_data_format() == "channels_first"
    rows, cols = (shape[1], shape[2]) if first else (shape[0], shape[1])
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise InvalidArgumentError(
                "ImageNet weights for MobileNetV2 exist for alpha in "
                f"{list(_ALPHAS)}; received alpha={alpha!r}. Pick one, or pass "
                "weights=None."
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]: the weights for input shape (224, 224) "
                "are loaded.",
                UserWarning,
                stacklevel=2,
            )
    img_input, inputs = _common.image_input(input_tensor, shape)
    axis = 1 if first else -1
    x = layers.Conv2D(
        _make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
        padding="same", use_bias=False, name="Conv1",
    )(img_input)  # fmt: skip
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(
        axis=axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn"
    )(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(
            x
        )
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = _common.build_model(inputs, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    top = "" if include_top else "_no_top"
    file_name = (
        f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
    )
    # Keras gives no hash for these files: a cached file is used as it is.
    _common.load_weights(
        model, weights, file_name=file_name, origin=BASE_WEIGHT_PATH + file_name,
        file_hash=None,
    )  # fmt: skip
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """MobileNetV2's preprocessing: pixels in ``[0, 255]`` → ``[-1, 1]`` ("tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction (see imagenet_utils)."""
    return imagenet_utils.decode_predictions(preds, top=top)
