"""Pretrained-architecture builders, as ``keras.applications``.

Keras' constructors, layer names and order, so Keras' published ImageNet weights
load (``weights="imagenet"``, cached in ``$KERAS_HOME/models/`` by
:func:`cnnkit.utils.get_file`) and models move both ways between cnnkit and Keras.
Each family module has its ``preprocess_input`` and ``decode_predictions``.

Example:
    >>> from cnnkit import applications
    >>> base = applications.MobileNetV2(weights=None, include_top=False,
    ...                                 input_shape=(96, 96, 3))
    >>> base.output_shape
    (None, 3, 3, 1280)
"""

from cnnkit.applications import (
    efficientnet,
    imagenet_utils,
    mobilenet_v2,
    resnet,
    resnet50,
    vgg16,
    vgg19,
    xception,
)
from cnnkit.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from cnnkit.applications.mobilenet_v2 import MobileNetV2
from cnnkit.applications.resnet import ResNet50, ResNet101, ResNet152
from cnnkit.applications.vgg16 import VGG16
from cnnkit.applications.vgg19 import VGG19
from cnnkit.applications.xception import Xception

__all__ = [
    "VGG16",
    "VGG19",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "MobileNetV2",
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "Xception",
    "efficientnet",
    "imagenet_utils",
    "mobilenet_v2",
    "resnet",
    "resnet50",
    "vgg16",
    "vgg19",
    "xception",
]
