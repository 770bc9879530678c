"""A small residual network built with the Keras functional API, on MNIST.

Each residual block adds its input back to its output (layers.Add), as in ResNet.
"""

from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:8000].astype("float32")[..., None] / 255.0
y_train = y_train[:8000]
x_test = x_test.astype("float32")[..., None] / 255.0


def residual_block(x, filters):
    shortcut = x
    y = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    y = layers.Add()([shortcut, y])
    return layers.Activation("relu")(y)


inputs = keras.Input(shape=(28, 28, 1), name="digits")
x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = residual_block(x, 16)
x = layers.MaxPooling2D()(x)
x = residual_block(x, 16)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

model = keras.Model(inputs=inputs, outputs=outputs, name="tiny_resnet")
model.summary()
print("layers:", [layer.name for layer in model.layers if "add" in layer.name])

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=2e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=2)

test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
print("Test accuracy:", round(float(test_acc), 4))
