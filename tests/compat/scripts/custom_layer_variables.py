"""Custom layers whose weights are `tf.Variable`s and `keras.Variable`s assigned as
attributes (after the TensorFlow guide "Custom layers" and keras.io "Making new
layers and models via subclassing"), written with keras.ops, trained with
model.fit on MNIST digits, saved and loaded again, then fine-tuned with
tf.GradientTape.
"""

import os
import tempfile

import keras
import numpy as np
import tensorflow as tf
from keras import ops

keras.utils.set_random_seed(11)


@keras.saving.register_keras_serializable(package="tutorial")
class MyDense(keras.layers.Layer):
    def __init__(self, num_outputs, **kwargs):
        super().__init__(**kwargs)
        self.num_outputs = num_outputs
        # A non-trainable variable made in __init__: a scale the model keeps fixed.
        self.scale = tf.Variable(1.0, trainable=False, name="scale")

    def build(self, input_shape):
        self.kernel = tf.Variable(
            tf.random.normal([int(input_shape[-1]), self.num_outputs], stddev=0.05),
            name="kernel",
        )
        self.bias = keras.Variable(
            np.zeros((self.num_outputs,), dtype="float32"), name="bias"
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) * self.scale + self.bias

    def get_config(self):
        return {**super().get_config(), "num_outputs": self.num_outputs}


layer = MyDense(10)
layer(tf.zeros([10, 5]))
print("trainable:", [v.name for v in layer.trainable_variables])
print("non-trainable:", [v.name for v in layer.non_trainable_variables])

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:6000].reshape(-1, 784).astype("float32") / 255.0
y_train = y_train[:6000]
x_test = x_test[:2000].reshape(-1, 784).astype("float32") / 255.0
y_test = y_test[:2000]

inputs = keras.Input(shape=(784,))
x = MyDense(64)(inputs)
x = keras.layers.Activation("relu")(x)
outputs = MyDense(10)(x)
model = keras.Model(inputs, outputs)
print("model trainable weights:", len(model.trainable_weights))
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=2)

path = os.path.join(tempfile.mkdtemp(), "my_dense.keras")
model.save(path)
reloaded = keras.models.load_model(path)
same = np.allclose(
    reloaded.predict(x_test[:100], verbose=0), model.predict(x_test[:100], verbose=0)
)
print("reloaded model predicts the same:", same)

# A few steps of fine-tuning with tf.GradientTape on the reloaded model.
optimizer = keras.optimizers.SGD(learning_rate=0.01)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
losses = []
for start in range(0, 1280, 128):
    xb = tf.constant(x_train[start : start + 128])
    yb = tf.constant(y_train[start : start + 128])
    with tf.GradientTape() as tape:
        loss = loss_fn(yb, reloaded(xb, training=True))
    grads = tape.gradient(loss, reloaded.trainable_weights)
    optimizer.apply_gradients(zip(grads, reloaded.trainable_weights))
    losses.append(float(loss))
print("gradients for every variable:", all(g is not None for g in grads))
print("scale left alone:", float(reloaded.layers[1].scale.numpy()) == 1.0)

results = reloaded.evaluate(x_test, y_test, verbose=0, return_dict=True)
print("Test accuracy:", results["accuracy"])
