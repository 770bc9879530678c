"""The VGG builder shared by VGG16 and VGG19 (Simonyan & Zisserman 2014)."""

from __future__ import annotations

from typing import Any

from cnnkit import config as _config
from cnnkit import layers
from cnnkit.applications import _common, imagenet_utils
from cnnkit.models import Model

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


def vgg(
    convs_per_block: tuple[int, ...],
    weights_name: str,
    file_hashes: tuple[str, str],
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
    x = img_input
    for block, (filters, convs) in enumerate(
        zip((64, 128, 256, 512, 512), convs_per_block)
    ):
        for conv in range(convs):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same",
                name=f"block{block + 1}_conv{conv + 1}",
            )(x)  # fmt: skip
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block + 1}_pool")(
            x
        )
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
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
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{top}.h5"
    _common.load_weights(
        model, weights, file_name=file_name,
        origin=f"{_BASE}{weights_name}/{file_name}",
        file_hash=file_hashes[0 if include_top else 1],
    )  # fmt: skip
    return model


DOC = """Instantiates the {name} architecture (Keras' layers, names and weights).

    Args:
        include_top: Whether to include the 3 fully-connected layers (``fc1``,
            ``fc2``, ``predictions``) at the top.
        weights: ``None`` (random), ``"imagenet"`` (Keras' published file, fetched
            once into ``$KERAS_HOME/models/``) or the path of a weights file.
        input_tensor: A symbolic tensor (``keras.Input(...)``) to build on.
        input_shape: ``(height, width, 3)`` (at least 32x32); only ``(224, 224, 3)``
            with ``include_top=True`` and ImageNet weights.
        pooling: With ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
        classes: Number of classes of the top classifier.
        classifier_activation: Activation of ``predictions`` (``None``: logits).
        name: The model's name.

    Returns:
        A functional ``Model``. Preprocess inputs with ``preprocess_input``
        ("caffe": BGR, ImageNet means).
    """
