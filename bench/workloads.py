"""The CNN workloads of issue 14, written once against the Keras 3 API.

Each ``build_*`` takes a Keras-like namespace (``cnnkit`` or ``keras``) and returns
an uncompiled model, so cnnkit and Keras/TF run the very same architecture. This
module imports neither: ``bench/anchors/keras_tf.py`` loads it in the anchors venv,
where cnnkit is not installed. The plain PyTorch twins live in ``torch_models.py``.

Data are random arrays of each workload's shape (throughput does not depend on the
pixel values); labels are random class ids, the autoencoder's target is its input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def build_seed(k: Any) -> Any:
    """The seed tutorial's CNN (same as ``cnnkit.zoo.seed_cnn``)."""
    layers = k.layers
    return k.Sequential([
        k.Input((28, 28, 1)),
        layers.Conv2D(32, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip


def build_vgg(k: Any) -> Any:
    """Three VGG blocks (conv-BN-conv-BN-pool) on 32×32×3."""
    layers = k.layers
    stack: list[Any] = [k.Input((32, 32, 3))]
    for filters in (32, 64, 128):
        for _ in range(2):
            stack.append(layers.Conv2D(filters, 3, padding="same", activation="relu"))
            stack.append(layers.BatchNormalization())
        stack.append(layers.MaxPooling2D(2))
    stack += [layers.Flatten(), layers.Dense(10, activation="softmax")]
    return k.Sequential(stack)


def build_signal(k: Any) -> Any:
    """A 1-D CNN over 1024-step, 3-channel signals (e.g. accelerometer windows)."""
    layers = k.layers
    return k.Sequential([
        k.Input((1024, 3)),
        layers.Conv1D(32, 7, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(64, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(128, 3, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(128, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(6, activation="softmax"),
    ])  # fmt: skip


def build_volume(k: Any) -> Any:
    """A 3-D CNN on 32³ single-channel volumes."""
    layers = k.layers
    return k.Sequential([
        k.Input((32, 32, 32, 1)),
        layers.Conv3D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(2),
        layers.Conv3D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(2),
        layers.Conv3D(64, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling3D(),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip


def build_autoencoder(k: Any) -> Any:
    """The keras.io convolutional denoiser: 'same' convs, pools and UpSampling2D."""
    layers = k.layers
    return k.Sequential([
        k.Input((28, 28, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2, padding="same"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2, padding="same"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ])  # fmt: skip


def build_resnet(k: Any) -> Any:
    """A stem and three residual blocks (conv-BN-ReLU-conv-BN + identity add)."""
    layers = k.layers
    inputs = k.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for _ in range(3):
        y = layers.Conv2D(32, 3, padding="same", use_bias=False)(x)
        y = layers.Activation("relu")(layers.BatchNormalization()(y))
        y = layers.Conv2D(32, 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        x = layers.Activation("relu")(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    return k.Model(inputs, layers.Dense(10, activation="softmax")(x))


def build_mobilenet(k: Any) -> Any:
    """A MobileNet-style stack: depthwise 3×3 + pointwise 1×1, BN and ReLU each."""
    layers = k.layers
    stack: list[Any] = [
        k.Input((32, 32, 3)),
        layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]
    for filters, stride in ((64, 1), (128, 2), (128, 1), (256, 2)):
        stack += [
            layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2D(filters, 1, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]
    stack += [layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]
    return k.Sequential(stack)


def build_unet(k: Any) -> Any:
    """The keras.io Oxford-pets segmentation U-Net (Xception-style), 160×160, 3 classes."""
    layers = k.layers
    inputs = k.Input((160, 160, 3))
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    previous = x
    for filters in (64, 128, 256):
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = previous = layers.Add()([x, residual])
    for filters in (256, 128, 64, 32):
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = previous = layers.Add()([x, residual])
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same")(x)
    return k.Model(inputs, outputs)


@dataclass(frozen=True)
class Workload:
    """One row of the table.

    ``kind``: ``"train"`` (``fit``, samples/s), ``"predict"`` (``predict`` of whole
    batches, ms per batch), ``"predict1"`` (``predict`` of one image, calls/s) or
    ``"evaluate"`` (samples/s). ``steps`` batches make one timed measurement.
    """

    name: str
    title: str
    build: Callable[[Any], Any]
    input_shape: tuple[int, ...]
    batch: int
    kind: str = "train"
    optimizer: str = "adam"
    loss: str = "sparse_categorical_crossentropy"
    classes: int = 10
    steps: int = 8
    full_steps: int = 30
    mixed: bool = False
    slow: bool = False  # only with --full

    def samples(self, full: bool) -> int:
        steps = self.full_steps if full else self.steps
        return self.batch * (1 if self.kind == "predict1" else steps)

    def data(self, full: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` in Keras layout (channels_last), float32 and int64 labels."""
        rng = np.random.default_rng(seed)
        n = self.samples(full)
        x = rng.random((n, *self.input_shape), dtype=np.float32)
        if self.loss == "binary_crossentropy":
            return x, x
        if self.name == "unet":
            return x, rng.integers(0, self.classes, (n, 160, 160), dtype=np.int64)
        return x, rng.integers(0, self.classes, n, dtype=np.int64)


WORKLOADS: tuple[Workload, ...] = (
    Workload("seed", "seed CNN (MNIST shape, SGD, batch 100)", build_seed,
             (28, 28, 1), 100, optimizer="sgd", steps=20, full_steps=120),
    Workload("vgg", "CIFAR-size VGG (3 conv blocks + BN, Adam, 128)", build_vgg,
             (32, 32, 3), 128, steps=4, full_steps=20),
    Workload("signal", "1D signal CNN (1024 steps, Adam, 64)", build_signal,
             (1024, 3), 64, classes=6, steps=6, full_steps=30),
    Workload("volume", "3D volume CNN (32³, Adam, 8)", build_volume,
             (32, 32, 32, 1), 8, classes=2, steps=6, full_steps=30),
    Workload("autoencoder", "conv autoencoder (denoiser, UpSampling2D, Adam, 128)",
             build_autoencoder, (28, 28, 1), 128, loss="binary_crossentropy",
             steps=6, full_steps=30),
    Workload("resnet", "ResNet-style blocks (residual adds, BN, Adam, 128)",
             build_resnet, (32, 32, 3), 128, steps=3, full_steps=15),
    Workload("mobilenet", "MobileNet-style depthwise/pointwise stack (Adam, 128)",
             build_mobilenet, (32, 32, 3), 128, steps=4, full_steps=20),
    Workload("unet", "U-Net segmentation predict (160², ms per batch of 32)",
             build_unet, (160, 160, 3), 32, kind="predict", classes=3, steps=1,
             full_steps=3, slow=True),
    Workload("predict1", "predict one image (seed CNN, calls/s)", build_seed,
             (28, 28, 1), 1, kind="predict1", steps=50, full_steps=200),
    Workload("evaluate", "evaluate 10k images, batch 1000 (seed CNN)", build_seed,
             (28, 28, 1), 1000, kind="evaluate", steps=3, full_steps=10),
    Workload("seed_bf16", "seed CNN, mixed_bfloat16", build_seed, (28, 28, 1), 100,
             optimizer="sgd", steps=20, full_steps=120, mixed=True),
    Workload("vgg_bf16", "CIFAR-size VGG, mixed_bfloat16", build_vgg, (32, 32, 3),
             128, steps=4, full_steps=20, mixed=True),
)  # fmt: skip

BY_NAME = {workload.name: workload for workload in WORKLOADS}


def compile_for(k: Any, model: Any, workload: Workload) -> None:
    """Compile as a Keras user would: SGD(0.01) or Adam(1e-3), the workload's loss."""
    optimizer = (
        k.optimizers.SGD(0.01) if workload.optimizer == "sgd" else k.optimizers.Adam()
    )
    model.compile(optimizer=optimizer, loss=workload.loss)


def calls(workload: Workload, full: bool) -> int:
    """What one measurement counts: samples, or ``predict`` calls for predict1."""
    if workload.kind == "predict1":
        return workload.full_steps if full else workload.steps
    return workload.samples(full)


def run_once(model: Any, workload: Workload, x: Any, y: Any, full: bool) -> None:
    """One measurement through the Keras API (the same call on both frameworks)."""
    if workload.kind == "train":
        model.fit(x, y, batch_size=workload.batch, epochs=1, verbose=0)
    elif workload.kind == "evaluate":
        model.evaluate(x, y, batch_size=workload.batch, verbose=0)
    elif workload.kind == "predict":
        model.predict(x, batch_size=workload.batch, verbose=0)
    else:  # predict1: `steps` calls on one image
        for _ in range(calls(workload, full)):
            model.predict(x[:1], verbose=0)
