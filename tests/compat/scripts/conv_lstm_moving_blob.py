"""ConvLSTM2D on tiny synthetic movies (after the keras.io "Next-frame prediction
with ConvLSTM" example, shrunk to a classification): a bright blob crosses a 12x12
frame over 6 frames, either left-to-right or right-to-left, and the model says which.
A Bidirectional LSTM reads the per-frame features the ConvLSTM produces.
"""

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)
FRAMES, SIZE = 6, 12


def make_movies(count):
    movies = rng.normal(0, 0.2, (count, FRAMES, SIZE, SIZE, 1)).astype("float32")
    direction = rng.integers(0, 2, count)
    for i in range(count):
        row = rng.integers(2, SIZE - 2)
        for t in range(FRAMES):
            col = 1 + 2 * t if direction[i] == 0 else SIZE - 2 - 2 * t
            movies[i, t, row - 1 : row + 2, col - 1 : col + 2, 0] += 1.0
    return movies, direction


x_train, y_train = make_movies(320)
x_test, y_test = make_movies(128)
print("movies:", x_train.shape, "labels:", np.bincount(y_train).tolist())

inputs = keras.Input(shape=(FRAMES, SIZE, SIZE, 1))
x = layers.ConvLSTM2D(8, 3, padding="same", return_sequences=True)(inputs)
x = layers.MaxPooling3D(pool_size=(1, 4, 4))(x)  # (batch, 6, 3, 3, 8)
x = layers.Reshape((FRAMES, -1))(x)  # one feature vector per frame
x = layers.Bidirectional(layers.LSTM(8))(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=32, epochs=5, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {accuracy:.3f}")
