"""Save the best model during training with ModelCheckpoint, then load it back with
keras.models.load_model and check that it predicts exactly as before (MNIST).
"""

import os
import sys
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.callbacks import ModelCheckpoint
from tensorflow.keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from tensorflow.keras.models import Sequential, load_model

tf.random.set_seed(11)
np.random.seed(11)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:6000].reshape(-1, 28, 28, 1).astype("float32") / 255
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
y_train = keras.utils.to_categorical(y_train[:6000], 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = Sequential(
    [
        Conv2D(16, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPool2D((2, 2)),
        Conv2D(32, (3, 3), activation="relu"),
        MaxPool2D((2, 2)),
        Flatten(),
        Dropout(0.25),
        Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

out_dir = tempfile.mkdtemp(prefix="checkpoints-")
best_path = os.path.join(out_dir, "best_model.keras")
weights_path = os.path.join(out_dir, "epoch{epoch:02d}.weights.h5")
checkpoints = [
    ModelCheckpoint(
        best_path, monitor="val_accuracy", mode="max", save_best_only=True, verbose=1
    ),
    ModelCheckpoint(weights_path, save_weights_only=True),
]
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=2,
    validation_data=(x_test[:1000], y_test[:1000]),
    callbacks=checkpoints,
    verbose=2,
)
print("saved:", sorted(os.listdir(out_dir)))

# The best epoch's model, as ModelCheckpoint wrote it.
best = load_model(best_path)
best.summary()
_, best_acc = best.evaluate(x_test, y_test, verbose=0)
print("best val_accuracy during training:", max(history.history["val_accuracy"]))

# The final model, saved and loaded again: same predictions.
final_path = os.path.join(out_dir, "final_model.keras")
model.save(final_path)
reloaded = keras.models.load_model(final_path)
before = model.predict(x_test[:256], verbose=0)
after = reloaded.predict(x_test[:256], verbose=0)
if not np.allclose(before, after, atol=1e-6):
    sys.exit("reloaded model predicts differently!")
print("reloaded model predicts the same: OK")

# Weights only: a fresh model of the same architecture takes the last checkpoint.
fresh = keras.models.clone_model(model)
fresh.load_weights(os.path.join(out_dir, "epoch02.weights.h5"))
fresh.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
_, fresh_acc = fresh.evaluate(x_test, y_test, verbose=0)

_, test_acc = reloaded.evaluate(x_test, y_test, verbose=0)
print(f"Best checkpoint test accuracy: {best_acc:.4f}")
print(f"Weights checkpoint test accuracy: {fresh_acc:.4f}")
print(f"Test accuracy: {test_acc:.4f}")
