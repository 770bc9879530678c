"""The seed tutorial's CNN learns real MNIST (slow: 100 steps of a real CNN).

The model and data preparation are the tutorial's (``examples/seed_mnist.py``), on
the first 10,000 training images for one epoch. The tutorial's ``optimizer='sgd'``
(learning rate 0.01) needs its five full epochs; for one short epoch the test uses
SGD with momentum, which gets past 95 % test accuracy here.

MNIST comes from the test cache the dataset tests fill (``.pytest_data/``, ignored
by git), never from the user's own cache.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cnnkit
from cnnkit import layers, models
from cnnkit.datasets import mnist
from cnnkit.utils import set_random_seed, to_categorical

DATA_HOME = Path(__file__).resolve().parents[2] / ".pytest_data" / "cnnkit_home"


@pytest.mark.slow
def test_seed_cnn_learns_mnist_in_one_short_epoch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CNNKIT_HOME", str(DATA_HOME))
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    train_images = train_images[:10000].reshape((10000, 28, 28, 1))
    train_images = train_images.astype("float32") / 255
    test_images = test_images.reshape((10000, 28, 28, 1)).astype("float32") / 255

    set_random_seed(0)
    model = models.Sequential()
    model.add(layers.Conv2D(32, (5, 5), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (5, 5), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(
        loss="categorical_crossentropy",
        optimizer=cnnkit.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        metrics=["accuracy"],
    )
    history = model.fit(
        train_images,
        to_categorical(train_labels[:10000]),
        batch_size=100,
        epochs=1,
        verbose=0,
    )
    assert history.params["steps"] == 100
    test_loss, test_accuracy = model.evaluate(
        test_images, to_categorical(test_labels), batch_size=1000, verbose=0
    )
    assert test_accuracy > 0.90
    assert test_loss < 0.4
