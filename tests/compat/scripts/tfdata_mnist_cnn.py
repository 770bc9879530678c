"""MNIST convnet fed by a tf.data pipeline (after the TensorFlow tutorial
"Training a neural network on MNIST with Keras").

The images go through from_tensor_slices -> shuffle -> batch -> map(normalise) ->
prefetch; fit, evaluate and predict all take the datasets as they are.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(42)
keras.utils.set_random_seed(42)

AUTOTUNE = tf.data.AUTOTUNE
BATCH_SIZE = 128

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
# A part of the data, so that the example runs in a few seconds.
x_train, y_train = x_train[:10000], y_train[:10000]
x_test, y_test = x_test[:2000], y_test[:2000]
x_train = x_train[..., np.newaxis]
x_test = x_test[..., np.newaxis]


def normalize_img(image, label):
    """Normalizes images: `uint8` -> `float32` in [0, 1]."""
    return tf.cast(image, tf.float32) / 255.0, label


ds_train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
ds_train = ds_train.shuffle(len(x_train), seed=42)
ds_train = ds_train.batch(BATCH_SIZE)
ds_train = ds_train.map(normalize_img, num_parallel_calls=AUTOTUNE)
ds_train = ds_train.prefetch(AUTOTUNE)

ds_val = tf.data.Dataset.from_tensor_slices((x_test[:500], y_test[:500]))
ds_val = ds_val.batch(BATCH_SIZE).map(normalize_img).cache().prefetch(AUTOTUNE)

ds_test = (
    tf.data.Dataset.from_tensor_slices((x_test, y_test))
    .batch(BATCH_SIZE)
    .map(normalize_img, num_parallel_calls=tf.data.experimental.AUTOTUNE)
)

for images, labels in ds_train.take(1):
    print("batch:", tuple(images.shape), images.dtype, tuple(labels.shape))
print("batches per epoch:", len(ds_train))

model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(0.001),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
)
model.fit(ds_train, epochs=2, validation_data=ds_val, verbose=2)

loss, accuracy = model.evaluate(ds_test, verbose=0)
logits = model.predict(ds_test, verbose=0)
predicted = tf.argmax(logits, axis=-1)
agree = tf.reduce_mean(tf.cast(tf.equal(predicted, y_test), tf.float32))
print("predict agrees with evaluate:", abs(float(agree) - accuracy) < 1e-6)
print("Test loss:", loss)
print("Test accuracy:", accuracy)
