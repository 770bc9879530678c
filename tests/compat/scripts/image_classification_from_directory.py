"""Image classification from a folder of images (after the keras.io example "Image
classification from scratch"), on small generated pictures of two kinds.

keras.utils.image_dataset_from_directory gives tf.data datasets; augmentation layers
run inside Dataset.map with num_parallel_calls, and the pipeline is prefetched.
"""

import os
import tempfile

import keras
import numpy as np
import tensorflow as tf
from keras import layers

keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)

image_size = (40, 40)
batch_size = 32

# Two classes of pictures: bright rings and bright blocks on a dark background.
root = tempfile.mkdtemp()
for kind in ("rings", "blocks"):
    os.makedirs(os.path.join(root, kind))
    for i in range(160):
        yy, xx = np.mgrid[:48, :48]
        cy, cx = rng.integers(16, 32, size=2)
        if kind == "rings":
            d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
            mask = (d > 7) & (d < 11)
        else:
            mask = (abs(yy - cy) < 9) & (abs(xx - cx) < 9)
        picture = rng.integers(0, 80, size=(48, 48, 3))
        picture[mask] = rng.integers(150, 256, size=3)
        keras.utils.save_img(
            os.path.join(root, kind, f"{i}.png"), picture.astype("uint8")
        )

train_ds, val_ds = keras.utils.image_dataset_from_directory(
    root,
    validation_split=0.2,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=batch_size,
)
print("class names:", train_ds.class_names)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


# Apply `data_augmentation` to the training images.
train_ds = train_ds.map(
    lambda img, label: (data_augmentation(img), label),
    num_parallel_calls=tf.data.AUTOTUNE,
)
# Prefetching samples in GPU memory helps maximize GPU utilization.
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
val_ds = val_ds.prefetch(tf.data.AUTOTUNE)

for images, labels in train_ds.take(1):
    print("batch:", tuple(images.shape), "labels:", tuple(labels.shape))


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    # (The keras.io example adds BatchNormalization after each convolution; with a
    # few short epochs its moving statistics would not settle, so it is left out.)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(1 if num_classes == 2 else num_classes)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=(*image_size, 3), num_classes=2)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
model.fit(train_ds, epochs=10, validation_data=val_ds, verbose=2)

loss, accuracy = model.evaluate(val_ds, verbose=0)

# Run inference on a new picture.
img = keras.utils.load_img(os.path.join(root, "rings", "0.png"), target_size=image_size)
img_array = np.expand_dims(keras.utils.img_to_array(img), 0)  # Create batch axis
predictions = model.predict(img_array, verbose=0)
score = float(tf.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% rings and {100 * score:.2f}% blocks.")
print("Test accuracy:", accuracy)
