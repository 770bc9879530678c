"""Training with callbacks: stop early, lower the learning rate on a plateau, log
every epoch to a CSV file, and follow the validation metrics (Fashion-MNIST).
"""

import csv
import os
import tempfile

import numpy as np
from keras import layers, models
from keras.callbacks import (
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
)
from keras.datasets import fashion_mnist
from keras.utils import set_random_seed

set_random_seed(5)

(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
x_train = x_train[:6000, ..., np.newaxis].astype("float32") / 255.0
y_train = y_train[:6000]
x_test = x_test[..., np.newaxis].astype("float32") / 255.0
# A separate validation set for the second run (validation_data=...)
x_val, y_val = x_test[:1000], y_test[:1000]
x_test, y_test = x_test[1000:], y_test[1000:]


def build_model():
    model = models.Sequential(
        [
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


log_dir = tempfile.mkdtemp()
log_file = os.path.join(log_dir, "training.csv")
epochs_seen = []

# 1) validation_split: the last 10% of the training data is held out.
model = build_model()
history = model.fit(
    x_train,
    y_train,
    epochs=2,
    batch_size=64,
    validation_split=0.1,
    verbose=2,
    callbacks=[
        EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True),
        ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        CSVLogger(log_file),
        LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch)),
    ],
)
print("history keys:", sorted(history.history))
print(
    "epochs run:", len(history.history["loss"]), "seen by LambdaCallback:", epochs_seen
)
with open(log_file, newline="") as f:
    rows = list(csv.DictReader(f))
print("CSV log columns:", sorted(rows[0]), "rows:", len(rows))


# 2) validation_data: an explicit validation set, and a learning-rate schedule.
def schedule(epoch, lr):
    return lr if epoch == 0 else lr * 0.5


history = model.fit(
    x_train,
    y_train,
    epochs=2,
    batch_size=64,
    validation_data=(x_val, y_val),
    verbose=2,
    callbacks=[
        EarlyStopping(monitor="val_accuracy", mode="max", patience=2),
        LearningRateScheduler(schedule, verbose=1),
    ],
)
print("val_accuracy per epoch:", [round(v, 4) for v in history.history["val_accuracy"]])

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {test_acc:.4f}")
