"""ResNet50, ResNet101 and ResNet152 (He et al. 2015), as ``keras.applications``.

Keras' layer names and order (``conv1_pad``, ``conv2_block1_0_conv``, ...,
``predictions``), so Keras' ImageNet weights load and files move both ways. Inputs
are preprocessed with :func:`preprocess_input` ("caffe": BGR, ImageNet means).

Example:
    >>> model = ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 2048)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnnkit import config as _config
from cnnkit import layers
from cnnkit.applications import _common, imagenet_utils
from cnnkit.models import Model

__all__ = [
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
)
# Keras' md5 of (the file with the top classifier, the "notop" file).
WEIGHTS_HASHES = {
    "resnet50": (
        "2cb95161c43110f7111970584f804107",
        "4d473c1dd8becc155b73f8504c6f6626",
    ),
    "resnet101": (
        "f1aeb4b969a6efcfb50fad2f0c20cfc5",
        "88cf7a10940856eca736dc7b7e228a21",
    ),
    "resnet152": (
        "100835be76be38e30d865e96f2aaae62",
        "ee4c566cf9a93f14d82f913c2dc6dd0c",
    ),
}
_EPSILON = 1.001e-5


def _bn_axis() -> int:
    return 3 if _config.image_data_format() == "channels_last" else 1


def _block(x: Any, filters: int, stride: int, conv_shortcut: bool, name: str) -> Any:
    axis = _bn_axis()
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(
            x
        )
        shortcut = layers.BatchNormalization(
            axis=axis, epsilon=_EPSILON, name=f"{name}_0_bn"
        )(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _stack(x: Any, filters: int, blocks: int, stride1: int, name: str) -> Any:
    x = _block(x, filters, stride1, True, f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, 1, False, f"{name}_block{i}")
    return x


def _resnet(
    depths: tuple[int, int, int, int],
    weights_name: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Model:
    _common.check_weights(weights, include_top, classes)
    shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32,
        data_format=_config.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input, inputs = _common.image_input(input_tensor, shape)
    axis = _bn_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths)):
        x = _stack(x, filters, blocks, 1 if stage == 0 else 2, f"conv{stage + 2}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(
            x
        )
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = _common.build_model(inputs, x, name)
    top = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{top}.h5"
    _common.load_weights(
        model, weights, file_name=file_name, origin=BASE_WEIGHTS_PATH + file_name,
        file_hash=WEIGHTS_HASHES[weights_name][0 if include_top else 1],
    )  # fmt: skip
    return model


def _application(
    depths: tuple[int, int, int, int], weights_name: str
) -> Callable[..., Model]:
    def build(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = weights_name,
    ) -> Model:
        return _resnet(
            depths, weights_name, include_top, weights, input_tensor, input_shape,
            pooling, classes, classifier_activation, name,
        )  # fmt: skip

    build.__name__ = build.__qualname__ = weights_name.replace("resnet", "ResNet")
    build.__doc__ = _DOC.format(name=build.__name__)
    return build


_DOC = """Instantiates the {name} architecture (Keras' layers, names and weights).

    Args:
        include_top: Whether to include the classifier (global average pooling and
            a ``Dense(classes)`` named ``predictions``).
        weights: ``None`` (random), ``"imagenet"`` (Keras' published file, fetched
            once into ``$KERAS_HOME/models/``) or the path of a weights file.
        input_tensor: A symbolic tensor (``keras.Input(...)``) to build on.
        input_shape: ``(height, width, 3)`` (at least 32x32); only ``(224, 224, 3)``
            with ``include_top=True`` and ImageNet weights.
        pooling: With ``include_top=False``: ``None`` (4-D features), ``"avg"`` or
            ``"max"`` (global pooling to 2-D).
        classes: Number of classes of the top classifier.
        classifier_activation: Activation of ``predictions`` (``None``: logits).
        name: The model's name.

    Returns:
        A functional ``Model``.
    """

ResNet50 = _application((3, 4, 6, 3), "resnet50")
ResNet101 = _application((3, 4, 23, 3), "resnet101")
ResNet152 = _application((3, 8, 36, 3), "resnet152")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """ResNet's preprocessing: RGB → BGR, minus the ImageNet channel means
    ("caffe" mode of :func:`imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction (see imagenet_utils)."""
    return imagenet_utils.decode_predictions(preds, top=top)
