"""MNIST convnet fed by an interleaved tf.data pipeline with stateless augmentation
(after the TensorFlow tutorials "Data augmentation" and "Better performance with
the tf.data API"), then checked with tape.batch_jacobian and tf.image.ssim.

The training set is cut into four "shards" that Dataset.interleave reads in turn;
each image gets a random 26x26 crop (tf.image.stateless_random_crop, seeded by a
tf.random.Generator) and a random brightness, and padded_batch pads it back to
28x28, which shifts the digit by up to two pixels.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(7)
keras.utils.set_random_seed(7)

AUTOTUNE = tf.data.AUTOTUNE
SHARDS = 4

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train = x_train[:10000], y_train[:10000]
x_test, y_test = x_test[:1000], y_test[:1000]
x_train = (x_train[..., np.newaxis] / 255.0).astype("float32")
x_test = (x_test[..., np.newaxis] / 255.0).astype("float32")

shards = tf.data.Dataset.from_tensor_slices(
    (
        x_train.reshape(SHARDS, -1, 28, 28, 1),
        y_train.reshape(SHARDS, -1),
    )
)
ds_train = shards.interleave(
    lambda images, labels: tf.data.Dataset.from_tensor_slices((images, labels)),
    cycle_length=SHARDS,
    block_length=16,
    num_parallel_calls=AUTOTUNE,
    deterministic=False,
)

rng = tf.random.Generator.from_seed(123, alg="philox")


def augment(image, label):
    seed = rng.make_seeds(1)[:, 0]
    new_seed = tf.random.split(seed, num=1)[0, :]
    image = tf.image.stateless_random_crop(image, size=[26, 26, 1], seed=seed)
    image = tf.image.stateless_random_brightness(image, max_delta=0.1, seed=new_seed)
    return tf.clip_by_value(image, 0.0, 1.0), label


ds_train = ds_train.shuffle(1000, seed=7).map(augment, num_parallel_calls=AUTOTUNE)
ds_train = ds_train.padded_batch(
    128, padded_shapes=([28, 28, 1], []), padding_values=(0.0, np.int64(0))
)
ds_train = ds_train.prefetch(AUTOTUNE)

for images, labels in ds_train.take(1):
    print("padded batch:", tuple(images.shape), tuple(labels.shape))
    print("padded rows are zero:", float(tf.reduce_max(images[:, 26:])) == 0.0)

ds_test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(256)

model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(ds_train, epochs=3, verbose=2)

# Per-example input jacobians of the logits and of the class probabilities.
x = tf.constant(x_test[:4])
labels = y_test[:4]
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    logits = model(x)
    probs = tf.nn.softmax(logits)
    picked = tf.reduce_sum(logits * tf.one_hot(labels, 10))
batch_jac = tape.batch_jacobian(logits, x)
full_jac = tape.jacobian(logits, x)
print("batch jacobian:", tuple(batch_jac.shape))
same = all(
    np.allclose(batch_jac[i].numpy(), full_jac[i, :, i].numpy(), atol=1e-6)
    for i in range(4)
)
print("batch_jacobian matches jacobian:", same)
saliency = tape.gradient(picked, x)
rows = np.stack([batch_jac[i, labels[i]].numpy() for i in range(4)])
print(
    "gradient matches the jacobian rows:",
    np.allclose(saliency.numpy(), rows, atol=1e-6),
)
# The probabilities sum to 1, so their jacobian sums to 0 over the classes.
prob_jac = tape.batch_jacobian(probs, x).numpy()
print(
    "probability jacobian sums to 0:",
    bool(np.abs(prob_jac.sum(axis=1)).max() < 1e-5 * np.abs(prob_jac).max()),
)
unused = tf.Variable(1.0)
zero = tape.gradient(logits, unused, unconnected_gradients=tf.UnconnectedGradients.ZERO)
print("unconnected gradient:", float(zero))

# A loss against a NumPy target still reaches the weights.
target = keras.utils.to_categorical(y_test[:4], 10)
with tf.GradientTape() as tape:
    probs = tf.nn.softmax(model(x))
    loss = tf.reduce_mean(tf.square(probs - target))
grads = tape.gradient(loss, model.trainable_variables)
print("gradient through a numpy target:", all(g is not None for g in grads))

# SSIM: an image with itself is 1; the augmentation keeps the digits similar.
original = x_test[:8]
shifted = tf.pad(original[:, 1:, 1:], [[0, 0], [0, 1], [0, 1], [0, 0]])
print(
    "ssim with itself:",
    round(float(tf.reduce_mean(tf.image.ssim(original, original, 1.0))), 4),
)
score = float(tf.reduce_mean(tf.image.ssim(original, shifted, max_val=1.0)))
print("ssim of shifted digits below 1:", 0.0 < score < 1.0)

test_loss, test_accuracy = model.evaluate(ds_test, verbose=0)
print(f"Test accuracy: {test_accuracy:.4f}")
