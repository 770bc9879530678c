"""VGG19, as ``keras.applications.vgg19``.

Example:
    >>> VGG19(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
    (None, 1, 1, 512)
"""

from __future__ import annotations

from typing import Any

from cnnkit.applications import imagenet_utils
from cnnkit.applications._vgg import DOC, vgg
from cnnkit.models import Model

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]

# Keras' md5 of (the file with the top classifier, the "notop" file).
WEIGHTS_HASHES = (
    "cbe5617147190e668d6c5d5026f83318",
    "253f8cb515780f3b799900260a226db6",
)


def VGG19(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg19",
) -> Model:
    return vgg(
        (2, 2, 4, 4, 4), "vgg19", WEIGHTS_HASHES, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation, name,
    )  # fmt: skip


VGG19.__doc__ = DOC.format(name="VGG19")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """VGG's preprocessing: RGB → BGR, minus the ImageNet channel means ("caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction (see imagenet_utils)."""
    return imagenet_utils.decode_predictions(preds, top=top)
