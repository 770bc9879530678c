"""Grad-CAM class activation heatmaps, written with tf.GradientTape (after the keras.io
example "Grad-CAM class activation visualization"), on a small MNIST convnet.

A sub-model maps the input to the last conv layer's activations and the
predictions; the gradient of the top class score with respect to those activations,
averaged per channel, weighs the channels into a heatmap.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(3)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = (x_train[:8000].astype("float32") / 255.0)[..., None]
y_train = y_train[:8000]
x_test = (x_test[:1000].astype("float32") / 255.0)[..., None]
y_test = y_test[:1000]

last_conv_layer_name = "last_conv"
model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(
            32, 3, activation="relu", padding="same", name=last_conv_layer_name
        ),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=2)


def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
    # First, we create a model that maps the input image to the activations
    # of the last conv layer as well as the output predictions
    grad_model = keras.models.Model(
        model.inputs, [model.get_layer(last_conv_layer_name).output, model.output]
    )

    # Then, we compute the gradient of the top predicted class for our input image
    # with respect to the activations of the last conv layer
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]

    # This is the gradient of the output neuron (top predicted or chosen)
    # with regard to the output feature map of the last conv layer
    grads = tape.gradient(class_channel, last_conv_layer_output)

    # This is a vector where each entry is the mean intensity of the gradient
    # over a specific feature map channel
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))

    # We multiply each channel in the feature map array
    # by "how important this channel is" with regard to the top predicted class
    # then sum all the channels to obtain the heatmap class activation
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)

    # For visualization purpose, we will also normalize the heatmap between 0 & 1
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


img_array = x_test[:1]
preds = model.predict(img_array, verbose=0)
print("Predicted:", int(np.argmax(preds[0])), "label:", int(y_test[0]))
heatmap = make_gradcam_heatmap(img_array, model, last_conv_layer_name)
print("heatmap shape:", heatmap.shape)
print("heatmap in [0, 1]:", bool(np.all(heatmap >= 0) and np.all(heatmap <= 1 + 1e-6)))

# Where the heatmap is hot, the digit's strokes should be: compare the mean pixel
# under the hottest quarter of the heatmap with the image mean.
upsampled = tf.image.resize(heatmap[..., np.newaxis], (28, 28)).numpy()[..., 0]
hot = upsampled >= np.quantile(upsampled, 0.75)
print(
    "ink under the hot area / mean ink:",
    round(float(img_array[0, ..., 0][hot].mean() / img_array.mean()), 2),
)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy:", accuracy)
