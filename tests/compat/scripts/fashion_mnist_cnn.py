"""Classify Fashion-MNIST clothes with a CNN (after the TensorFlow "Basic
classification" tutorial, with convolutions instead of only dense layers).

Trains on a part of the data for two epochs and prints the test accuracy.
"""

import numpy as np
import tensorflow as tf

print("TensorFlow version:", tf.__version__)
tf.random.set_seed(1234)

fashion_mnist = tf.keras.datasets.fashion_mnist
(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()

class_names = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# A smaller training set keeps this example quick.
train_images, train_labels = train_images[:10000], train_labels[:10000]

train_images = (train_images / 255.0).reshape(-1, 28, 28, 1)
test_images = (test_images / 255.0).reshape(-1, 28, 28, 1)

model = tf.keras.Sequential(
    [
        tf.keras.layers.Input(shape=(28, 28, 1)),
        tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.3),
        tf.keras.layers.Dense(10),
    ]
)

model.compile(
    optimizer="adam",
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)

model.fit(train_images, train_labels, epochs=2, batch_size=64, verbose=2)

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print("\nTest accuracy:", test_acc)

probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
predictions = probability_model.predict(test_images[:5], verbose=0)
for i, p in enumerate(predictions):
    print(
        f"image {i}: predicted {class_names[np.argmax(p)]}, "
        f"true {class_names[test_labels[i]]}"
    )
