"""A 1D CNN that tells sine, square and sawtooth waves apart.

The signals are generated here: each has a random frequency and phase, plus noise.
"""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)

SIGNAL_LENGTH = 128
CLASS_NAMES = ["sine", "square", "sawtooth"]


def make_signals(n):
    """n noisy signals of length SIGNAL_LENGTH and their class (0, 1 or 2)."""
    t = np.linspace(0.0, 1.0, SIGNAL_LENGTH)
    labels = rng.integers(0, 3, size=n)
    freq = rng.uniform(2.0, 8.0, size=(n, 1))
    phase = rng.uniform(0.0, 1.0, size=(n, 1))
    cycles = freq * t + phase
    sine = np.sin(2 * np.pi * cycles)
    square = np.sign(sine)
    sawtooth = 2 * (cycles - np.floor(cycles + 0.5))
    waves = np.stack([sine, square, sawtooth])[labels, np.arange(n)]
    waves += rng.normal(0.0, 0.6, size=waves.shape)
    return waves[..., np.newaxis].astype("float32"), labels


x_train, y_train = make_signals(3000)
x_test, y_test = make_signals(600)
print("x_train:", x_train.shape, "x_test:", x_test.shape)

model = keras.Sequential(
    [
        keras.Input(shape=(SIGNAL_LENGTH, 1)),
        layers.Conv1D(16, kernel_size=7, activation="relu"),
        layers.MaxPooling1D(pool_size=2),
        layers.Conv1D(32, kernel_size=5, activation="relu"),
        layers.MaxPooling1D(pool_size=2),
        layers.Conv1D(32, kernel_size=3, activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ]
)
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.1, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {accuracy:.4f}")
