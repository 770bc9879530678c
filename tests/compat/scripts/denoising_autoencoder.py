"""A convolutional autoencoder that removes noise from digits (after the keras.io
example "Convolutional autoencoder for image denoising"): Conv2D + MaxPooling2D
down, Conv2DTranspose up, binary crossentropy against the clean images, on a subset
of MNIST.
"""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.models import Model

keras.utils.set_random_seed(3)


def preprocess(array):
    """Normalizes the supplied array and reshapes it into the appropriate format."""
    array = array.astype("float32") / 255.0
    return np.reshape(array, (len(array), 28, 28, 1))


def noise(array):
    """Adds random noise to each image in the supplied array."""
    noise_factor = 0.4
    noisy_array = array + noise_factor * np.random.normal(
        loc=0.0, scale=1.0, size=array.shape
    )
    return np.clip(noisy_array, 0.0, 1.0).astype("float32")


# Since we only need images from the dataset to encode and decode, we
# won't use the labels.
(train_data, _), (test_data, _) = keras.datasets.mnist.load_data()
train_data = preprocess(train_data[:3000])
test_data = preprocess(test_data[:500])

# Create a copy of the data with added noise
noisy_train_data = noise(train_data)
noisy_test_data = noise(test_data)

input = layers.Input(shape=(28, 28, 1))

# Encoder
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)

# Decoder
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

# Autoencoder
autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.summary()

autoencoder.fit(
    x=noisy_train_data,
    y=train_data,
    epochs=6,
    batch_size=128,
    shuffle=True,
    validation_data=(noisy_test_data, test_data),
    verbose=2,
)

predictions = autoencoder.predict(noisy_test_data, verbose=0)
print("reconstruction shape:", predictions.shape)
noise_error = float(np.mean((noisy_test_data - test_data) ** 2))
denoised_error = float(np.mean((predictions - test_data) ** 2))
print(f"mean squared error: noisy {noise_error:.4f} denoised {denoised_error:.4f}")
print("reconstruction error below noise level:", denoised_error < noise_error / 2)
# Share of pixels on the right side of 0.5 (ink or background) after denoising.
pixel_accuracy = float(np.mean((predictions > 0.5) == (test_data > 0.5)))
print("Test accuracy:", pixel_accuracy)
