"""Ready-made models: the seed tutorial's CNN and small friends for other datasets.

Example:
    >>> model = seed_cnn()
    >>> model.count_params()
    62346
"""

from __future__ import annotations

from cnnkit import layers, models

__all__ = [
    "ARCHITECTURES",
    "seed_cnn",
    "small_cifar_cnn",
]


def seed_cnn(
    input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10
) -> models.Sequential:
    """The CNN of the seed tutorial (two 5×5 conv + max-pool blocks, softmax)."""
    model = models.Sequential(name="seed_cnn")
    model.add(layers.Input(input_shape))
    model.add(layers.Conv2D(32, (5, 5), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (5, 5), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


def small_cifar_cnn(
    input_shape: tuple[int, ...] = (32, 32, 3), num_classes: int = 10
) -> models.Sequential:
    """A compact VGG-style CNN for 32×32 colour images (CIFAR)."""
    model = models.Sequential(name="small_cifar_cnn")
    model.add(layers.Input(input_shape))
    for filters in (32, 64):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.BatchNormalization())
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.MaxPooling2D(2))
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


ARCHITECTURES = {"seed_cnn": seed_cnn, "small_cifar_cnn": small_cifar_cnn}
