"""A Dataset built with tf.data.Dataset.from_generator and an output_signature
(after the TensorFlow guide "tf.data: Build TensorFlow input pipelines").

A Python generator draws noisy images of horizontal or vertical bars; the pipeline
filters, zips, repeats and batches them, and the model trains with steps_per_epoch.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(11)
keras.utils.set_random_seed(11)


def bars(count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        label = int(rng.integers(0, 2))
        image = rng.normal(0.0, 0.3, size=(16, 16)).astype("float32")
        where = rng.integers(2, 14)
        if label == 0:
            image[where - 1 : where + 1, :] += 1.0  # a horizontal bar
        else:
            image[:, where - 1 : where + 1] += 1.0  # a vertical bar
        yield image[..., np.newaxis], label


signature = (
    tf.TensorSpec(shape=(16, 16, 1), dtype=tf.float32),
    tf.TensorSpec(shape=(), dtype=tf.int64),
)
train_ds = tf.data.Dataset.from_generator(
    bars, args=(2000, 1), output_signature=signature
)
test_ds = tf.data.Dataset.from_generator(
    lambda: bars(400, 2), output_signature=signature
)

print("cardinality (unknown for a generator):", int(train_ds.cardinality()))
first_image, first_label = next(iter(train_ds))
print("element:", tuple(first_image.shape), first_image.dtype, first_label.dtype)

# Keep only images whose bar is bright enough, then pair each with its index.
train_ds = train_ds.filter(lambda image, label: tf.reduce_max(image) > 0.5)
numbered = tf.data.Dataset.zip((tf.data.Dataset.range(5), train_ds.take(5)))
print("zip:", [int(i) for i, _ in numbered])
print("unbatch undoes batch:", len(list(train_ds.take(10).batch(4).unbatch())) == 10)

train_ds = train_ds.shuffle(256).repeat().batch(32).prefetch(tf.data.AUTOTUNE)
test_ds = test_ds.batch(64)

model = keras.Sequential(
    [
        keras.Input(shape=(16, 16, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(train_ds, epochs=3, steps_per_epoch=30, verbose=2)
loss, accuracy = model.evaluate(test_ds, verbose=0)
print("Test accuracy:", accuracy)
