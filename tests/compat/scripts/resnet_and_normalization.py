"""A keras.applications classifier trained from scratch, and a small CNN whose
inputs are standardised by a Normalization layer adapted on the training images.

ResNet50(include_top=True, weights=None, classes=10) builds the full network with a
new 10-class top; one short epoch on tiny 32x32 images shows it trains end to end.
The small CNN is what learns here: four kinds of coloured stripes.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)


def stripes(kind, size=32):
    """Noise with stripes: horizontal, vertical, diagonal or none, in a random colour."""
    yy, xx = np.mgrid[:size, :size]
    masks = [yy % 8 < 3, xx % 8 < 3, (xx + yy) % 8 < 3, np.zeros((size, size), bool)]
    image = rng.uniform(0, 80, size=(size, size, 3))
    image[masks[kind]] += rng.uniform(120, 170, size=3)
    return image.astype("float32")


labels = rng.integers(0, 4, size=600)
images = np.stack([stripes(k) for k in labels])
x_train, y_train = images[:500], labels[:500]
x_test, y_test = images[500:], labels[500:]

resnet = keras.applications.ResNet50(
    include_top=True, weights=None, input_shape=(32, 32, 3), classes=10
)
print("ResNet50 parameters:", resnet.count_params(), "top:", resnet.layers[-1].name)
resnet.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])  # fmt: skip
history = resnet.fit(
    keras.applications.resnet50.preprocess_input(x_train[:128].copy()),
    y_train[:128],
    epochs=1,
    batch_size=32,
    verbose=2,
)
print("ResNet50 trained one epoch:", sorted(history.history))

normalizer = layers.Normalization()
dataset = tf.data.Dataset.from_tensor_slices(x_train).batch(100)
normalizer.adapt(dataset)  # streamed over the batches
print("adapted mean shape:", tuple(normalizer.mean.shape),
      "weights:", [w.name for w in normalizer.weights])  # fmt: skip

model = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3)),
        normalizer,
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(4, activation="softmax"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(3e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
model.fit(x_train, y_train, epochs=4, batch_size=32, verbose=2)
standardized = normalizer(x_train[:100])
print("standardized mean ~ 0:", bool(abs(float(tf.reduce_mean(standardized))) < 0.2))
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {accuracy:.4f}")
