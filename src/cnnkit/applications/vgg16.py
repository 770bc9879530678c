"""VGG16, as ``keras.applications.vgg16``.

Example:
    >>> VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
    (None, 1, 1, 512)
"""

from __future__ import annotations

from typing import Any

from cnnkit.applications import imagenet_utils
from cnnkit.applications._vgg import DOC, vgg
from cnnkit.models import Model

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

# Keras' md5 of (the file with the top classifier, the "notop" file).
WEIGHTS_HASHES = (
    "64373286793e3c8b2b4e3219cbf3544b",
    "6d6bbae143d832006294945121d1f1fc",
)


def VGG16(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Model:
    return vgg(
        (2, 2, 3, 3, 3), "vgg16", WEIGHTS_HASHES, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation, name,
    )  # fmt: skip


VGG16.__doc__ = DOC.format(name="VGG16")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """VGG's preprocessing: RGB → BGR, minus the ImageNet channel means ("caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction (see imagenet_utils)."""
    return imagenet_utils.decode_predictions(preds, top=top)
