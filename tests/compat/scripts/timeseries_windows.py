"""A 1D CNN on windows of a time series cut with tf.data (after the TensorFlow
tutorial "Time series forecasting" and its Dataset.window recipe).

A long signal switches between a smooth regime (a sine) and a jumpy one (a random
walk); each window of 64 steps is classified by the regime at its last step.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(21)
keras.utils.set_random_seed(21)
rng = np.random.default_rng(21)

WINDOW = 64


def make_series(length):
    series = np.zeros(length, dtype="float32")
    regime = np.zeros(length, dtype="int64")
    t, state = 0, 0
    while t < length:
        span = int(rng.integers(200, 400))
        end = min(t + span, length)
        steps = np.arange(end - t)
        if state == 0:
            series[t:end] = np.sin(steps / rng.uniform(3.0, 8.0)) + rng.normal(
                0, 0.1, end - t
            )
        else:
            series[t:end] = np.cumsum(rng.normal(0, 0.4, end - t))
        regime[t:end] = state
        t, state = end, 1 - state
    # Standardise, as the tutorial does with the training mean and deviation.
    return (series - series.mean()) / series.std(), regime


def windowed(series, regime, shift):
    ds = tf.data.Dataset.from_tensor_slices((series, regime))
    ds = ds.window(WINDOW, shift=shift, drop_remainder=True)
    ds = ds.flat_map(
        lambda s, r: tf.data.Dataset.zip((s.batch(WINDOW), r.batch(WINDOW)))
    )
    return ds.map(lambda s, r: (tf.expand_dims(s, axis=-1), r[-1]))


train_series, train_regime = make_series(6000)
test_series, test_regime = make_series(2000)
train_ds = windowed(train_series, train_regime, shift=4).cache().shuffle(2000).batch(32)
test_ds = windowed(test_series, test_regime, shift=8).batch(64)

for window, label in windowed(train_series, train_regime, shift=4).take(1):
    print("window:", tuple(window.shape), "label:", int(label))
print("train windows:", sum(1 for _ in windowed(train_series, train_regime, shift=4)))

model = keras.Sequential(
    [
        keras.Input(shape=(WINDOW, 1)),
        layers.Conv1D(32, 3, activation="relu"),
        layers.Conv1D(32, 3, activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(32, 3, activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(train_ds, epochs=8, validation_data=test_ds, verbose=2)
loss, accuracy = model.evaluate(test_ds, verbose=0)
print("Test accuracy:", accuracy)
