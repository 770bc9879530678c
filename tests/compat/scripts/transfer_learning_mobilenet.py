"""Transfer learning and fine-tuning (after the keras.io guide "Transfer learning &
fine-tuning"): a MobileNetV2 base, frozen, a new classification head trained on top,
then the whole network unfrozen and fine-tuned with a low learning rate.

The base is built with weights=None (no download here); with weights="imagenet" the
same code uses Keras' pretrained weights. A random base has BatchNormalization
statistics of 0 and 1, under which its activations shrink to ~1e-11 after 17 blocks,
so its statistics are first estimated from our own images in one forward pass: the
part that pretrained weights bring for free. The data are small pictures of two
textures, coarse blobs and fine grain: random convolutions tell them apart, which is
what a frozen base has to offer its new head here.
"""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

n = 160
y = rng.integers(0, 2, size=n)
# Two textures with the same range of values: coarse blobs (noise drawn on an
# 8x8 grid, each cell 12x12 pixels) and fine grain (noise per pixel).
coarse = np.kron(rng.uniform(0, 255, size=(n, 8, 8, 3)), np.ones((1, 12, 12, 1)))
fine = rng.uniform(0, 255, size=(n, 96, 96, 3))
x = np.where(y[:, None, None, None] == 1, fine, coarse).astype("float32")
x_train, y_train, x_test, y_test = x[:128], y[:128], x[128:], y[128:]

base_model = keras.applications.MobileNetV2(
    weights=None, input_shape=(96, 96, 3), include_top=False
)
preprocess_input = keras.applications.mobilenet_v2.preprocess_input

# Estimate the BatchNormalization statistics (momentum 0: take this batch's).
batch_norms = [
    layer for layer in base_model.layers if isinstance(layer, layers.BatchNormalization)
]
for layer in batch_norms:
    layer.momentum = 0.0
base_model(preprocess_input(x_train[:64].copy()), training=True)
for layer in batch_norms:
    layer.momentum = 0.999

base_model.trainable = False  # freeze the base

inputs = keras.Input(shape=(96, 96, 3))
x = preprocess_input(inputs)  # a Rescaling layer: [0, 255] -> [-1, 1]
# training=False, as in the guide (Keras 3: a frozen layer runs in inference mode).
x = base_model(x, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
print("trainable weights with the base frozen:", len(model.trainable_weights))

model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
)
model.fit(x_train, y_train, epochs=10, batch_size=16, verbose=2)
_, head_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"head only accuracy: {head_accuracy:.3f}")

# Unfreeze the base, but keep its BatchNormalization layers frozen: in Keras 3 a
# trainable BatchNormalization runs in training mode whenever the model trains.
base_model.trainable = True
for layer in batch_norms:
    layer.trainable = False
print("trainable weights after unfreezing:", len(model.trainable_weights))
model.compile(  # recompile for the change to count
    optimizer=keras.optimizers.Adam(1e-5),  # a low learning rate
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
)
model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print("base layers:", len(base_model.layers), "first:", base_model.layers[1].name)
print(f"Test accuracy: {accuracy:.4f}")
