"""A 3D CNN that classifies small volumes: along which axis does the rod lie?

The volumes are generated here (think of tiny 3D scans): each holds one bright rod,
of random length and position, lying along the depth, height or width axis, in noise.
"""

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

SIZE = 16
CLASS_NAMES = ["depth", "height", "width"]


def make_volumes(n):
    """n volumes of shape (SIZE, SIZE, SIZE, 1) and the rod's axis (0, 1 or 2)."""
    volumes = rng.normal(0.0, 0.5, size=(n, SIZE, SIZE, SIZE)).astype("float32")
    labels = rng.integers(0, 3, size=n)
    for i, axis in enumerate(labels):
        length = rng.integers(6, 12)
        start = rng.integers(0, SIZE - length + 1)
        a, b = rng.integers(0, SIZE - 2, size=2)
        rod = [slice(a, a + 2), slice(b, b + 2)]
        rod.insert(axis, slice(start, start + length))
        volumes[i][tuple(rod)] += 1.5
    return volumes[..., np.newaxis], labels


x_train, y_train = make_volumes(900)
x_test, y_test = make_volumes(300)
print("x_train:", x_train.shape, "x_test:", x_test.shape)

inputs = keras.Input(shape=(SIZE, SIZE, SIZE, 1))
x = layers.Conv3D(8, kernel_size=3, activation="relu", padding="same")(inputs)
x = layers.MaxPool3D(pool_size=2)(x)
x = layers.Conv3D(16, kernel_size=3, activation="relu", padding="same")(x)
x = layers.GlobalMaxPooling3D()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(len(CLASS_NAMES), activation="softmax")(x)
model = keras.Model(inputs, outputs, name="volume_classifier")
model.summary()

model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(x_train, y_train, epochs=2, batch_size=16, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {accuracy:.4f}")
