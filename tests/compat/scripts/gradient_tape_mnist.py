"""A training loop written from scratch with tf.GradientTape (after the keras.io guide
"Writing a training loop from scratch in TensorFlow").

The model is called with training=True inside the tape, the gradients of the loss
are applied with optimizer.apply_gradients, and metrics are updated by hand.
"""

import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(1)
keras.utils.set_random_seed(1)

inputs = keras.Input(shape=(784,), name="digits")
x1 = keras.layers.Dense(64, activation="relu")(inputs)
x2 = keras.layers.Dense(64, activation="relu")(x1)
outputs = keras.layers.Dense(10, name="predictions")(x2)
model = keras.Model(inputs=inputs, outputs=outputs)

optimizer = keras.optimizers.Adam(learning_rate=1e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

batch_size = 64
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = np.reshape(x_train, (-1, 784))[:12000].astype("float32") / 255.0
y_train = y_train[:12000]
x_test = np.reshape(x_test, (-1, 784))[:3000].astype("float32") / 255.0
y_test = y_test[:3000]

# Reserve 2,000 samples for validation.
x_val, y_val = x_train[-2000:], y_train[-2000:]
x_train, y_train = x_train[:-2000], y_train[:-2000]

train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(batch_size)
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size)
test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(256)

train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    return loss_value


@tf.function(reduce_retracing=True)
def test_step(x, y, metric):
    val_logits = model(x, training=False)
    metric.update_state(y, val_logits)


losses = []
epochs = 2
for epoch in range(epochs):
    print(f"\nStart of epoch {epoch}")
    start_time = time.time()
    for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
        loss_value = train_step(x_batch_train, y_batch_train)
        losses.append(float(loss_value))
        if step % 50 == 0:
            print(
                f"Training loss (for 1 batch) at step {step}: {float(loss_value):.4f}"
            )
    train_acc = train_acc_metric.result()
    print(f"Training acc over epoch: {float(train_acc):.4f}")
    train_acc_metric.reset_state()
    for x_batch_val, y_batch_val in val_dataset:
        test_step(x_batch_val, y_batch_val, val_acc_metric)
    val_acc = val_acc_metric.result()
    val_acc_metric.reset_state()
    print(f"Validation acc: {float(val_acc):.4f}")
    print(f"Time taken: {time.time() - start_time:.2f}s")

print("loss went down:", np.mean(losses[-20:]) < np.mean(losses[:20]))

test_metric = keras.metrics.SparseCategoricalAccuracy()
for x_batch, y_batch in test_dataset:
    test_step(x_batch, y_batch, test_metric)
print("Test accuracy:", float(test_metric.result()))
