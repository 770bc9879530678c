"""An image pipeline with tf.io, tf.image and tf.data (after the TensorFlow tutorials
"Load and preprocess images" and "Data augmentation").

Small coloured pictures of three shapes are written to PNG files; a Dataset of file
paths is read with tf.io.read_file, decoded, scaled, augmented with random flips,
crops and brightness, and fed to a CNN.
"""

import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(5)
keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

IMG_SIZE = 32
CLASS_NAMES = ["disc", "square", "cross"]


def draw(kind):
    """A 36x36 RGB picture: one shape of a random colour and place on noise."""
    yy, xx = np.mgrid[:36, :36]
    cy, cx = rng.integers(12, 24, size=2)
    r = rng.integers(6, 10)
    if kind == 0:
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    elif kind == 1:
        mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
    else:
        mask = ((abs(yy - cy) <= 2) & (abs(xx - cx) <= r)) | (
            (abs(xx - cx) <= 2) & (abs(yy - cy) <= r)
        )
    image = rng.integers(0, 60, size=(36, 36, 3))
    image[mask] = rng.integers(140, 256, size=3)
    return image.astype("uint8")


folder = tempfile.mkdtemp()
paths, labels = [], []
for i in range(450):
    kind = i % 3
    path = os.path.join(folder, f"{CLASS_NAMES[kind]}_{i}.png")
    keras.utils.save_img(path, draw(kind))
    paths.append(path)
    labels.append(kind)
print("images written:", len(paths))


def load_image(path, label):
    image = tf.io.read_file(path)
    image = tf.image.decode_png(image, channels=3)
    image = tf.image.convert_image_dtype(image, tf.float32)  # uint8 -> [0, 1]
    return image, label


def augment(image, label):
    image = tf.image.resize_with_crop_or_pad(image, IMG_SIZE + 6, IMG_SIZE + 6)
    image = tf.image.random_crop(image, size=[IMG_SIZE, IMG_SIZE, 3])
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_brightness(image, max_delta=0.1)
    image = tf.clip_by_value(image, 0.0, 1.0)
    return image, label


def center(image, label):
    return tf.image.resize(image, [IMG_SIZE, IMG_SIZE]), label


AUTOTUNE = tf.data.AUTOTUNE
ds = tf.data.Dataset.from_tensor_slices((paths, labels))
ds = ds.shuffle(len(paths), seed=5, reshuffle_each_iteration=False)
val_ds = ds.take(90)
train_ds = ds.skip(90)

train_ds = (
    train_ds.map(load_image, num_parallel_calls=AUTOTUNE)
    .cache()
    .shuffle(200)
    .map(augment, num_parallel_calls=AUTOTUNE)
    .batch(32)
    .prefetch(AUTOTUNE)
)
val_ds = val_ds.map(load_image).map(center).batch(32).cache()

for images, _ in train_ds.take(1):
    print("augmented batch:", tuple(images.shape), images.dtype)
    print(
        "pixel range:",
        float(tf.reduce_min(images)) >= 0.0,
        float(tf.reduce_max(images)) <= 1.0,
    )

gray = tf.image.rgb_to_grayscale(images)
print("grayscale batch:", tuple(gray.shape))
flipped = tf.image.flip_up_down(images)
print(
    "flip twice is identity:",
    bool(tf.reduce_all(tf.image.flip_up_down(flipped) == images)),
)

model = keras.Sequential(
    [
        keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.GlobalMaxPooling2D(),
        layers.Dense(3, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(train_ds, validation_data=val_ds, epochs=8, verbose=2)
loss, accuracy = model.evaluate(val_ds, verbose=0)
print("Test accuracy:", accuracy)
