"""An LSTM that tells a noisy sine from a noisy square wave (after the keras.io
"Timeseries classification" examples and keras.utils.timeseries_dataset_from_array).

A long signal alternates between stretches of a sine and of a square wave of the
same period, both noisy; each window of 40 steps is labelled by the wave at its end.
"""

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)
WINDOW = 40


def make_signal(length):
    signal = np.zeros(length, dtype="float32")
    labels = np.zeros(length, dtype="int64")
    t, kind = 0, 0
    while t < length:
        end = min(t + int(rng.integers(120, 240)), length)
        phase = np.arange(end - t) * 2 * np.pi / 16 + rng.uniform(0, 2 * np.pi)
        wave = np.sin(phase) if kind == 0 else np.sign(np.sin(phase))
        signal[t:end] = wave + rng.normal(0, 0.3, end - t)
        labels[t:end] = kind
        t, kind = end, 1 - kind
    return signal[:, None], labels


def windows(signal, labels, stride, shuffle):
    # targets[i] belongs to the window that starts at i: the label of its last step
    return keras.utils.timeseries_dataset_from_array(
        signal,
        labels[WINDOW - 1 :],
        sequence_length=WINDOW,
        sequence_stride=stride,
        batch_size=32,
        shuffle=shuffle,
        seed=7,
    )


train_ds = windows(*make_signal(4000), stride=3, shuffle=True)
test_ds = windows(*make_signal(1500), stride=5, shuffle=False)
for batch, target in train_ds.take(1):
    print("batch:", tuple(batch.shape), "targets:", tuple(target.shape))

inputs = keras.Input(shape=(WINDOW, 1))
x = layers.LSTM(24, return_sequences=True)(inputs)
x = layers.LSTM(16)(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(
    optimizer=keras.optimizers.Adam(5e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary()
model.fit(train_ds, epochs=4, verbose=2)
loss, accuracy = model.evaluate(test_ds, verbose=0)
print(f"Test accuracy: {accuracy:.3f}")
