"""A DCGAN trained step by step (after the TensorFlow tutorial "Deep Convolutional
Generative Adversarial Network"): a generator of Dense + Conv2DTranspose layers and
a convolutional discriminator, two Adam optimizers, two tf.GradientTapes in one
@tf.function step, on a small subset of MNIST digits.
"""

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

tf.keras.utils.set_random_seed(5)

(train_images, _), (test_images, _) = tf.keras.datasets.mnist.load_data()
train_images = train_images[:1024].reshape(-1, 28, 28, 1).astype("float32")
train_images = (train_images - 127.5) / 127.5  # Normalize the images to [-1, 1]
test_images = test_images[:256].reshape(-1, 28, 28, 1).astype("float32")
test_images = (test_images - 127.5) / 127.5

BUFFER_SIZE = 1024
BATCH_SIZE = 64
noise_dim = 32

# Batch and shuffle the data
train_dataset = (
    tf.data.Dataset.from_tensor_slices(train_images)
    .shuffle(BUFFER_SIZE)
    .batch(BATCH_SIZE)
)


def make_generator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input((noise_dim,)))
    model.add(layers.Dense(7 * 7 * 32, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Reshape((7, 7, 32)))
    assert model.output_shape == (None, 7, 7, 32)  # Note: None is the batch size

    model.add(
        layers.Conv2DTranspose(
            16, (5, 5), strides=(1, 1), padding="same", use_bias=False
        )
    )
    assert model.output_shape == (None, 7, 7, 16)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(
        layers.Conv2DTranspose(
            8, (5, 5), strides=(2, 2), padding="same", use_bias=False
        )
    )
    assert model.output_shape == (None, 14, 14, 8)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(
        layers.Conv2DTranspose(
            1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"
        )
    )
    assert model.output_shape == (None, 28, 28, 1)

    return model


def make_discriminator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input((28, 28, 1)))
    model.add(layers.Conv2D(16, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Conv2D(32, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Flatten())
    model.add(layers.Dense(1))

    return model


generator = make_generator_model()
discriminator = make_discriminator_model()

noise = tf.random.normal([1, noise_dim])
generated_image = generator(noise, training=False)
print("generated image:", tuple(generated_image.shape))

# This method returns a helper function to compute cross entropy loss
cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    return real_loss + fake_loss


def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)


generator_optimizer = tf.keras.optimizers.Adam(1e-3)
discriminator_optimizer = tf.keras.optimizers.Adam(1e-3)


# Notice the use of `tf.function`
# This annotation causes the function to be "compiled".
@tf.function
def train_step(images):
    noise = tf.random.normal([BATCH_SIZE, noise_dim])

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)

        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)

        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)

    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(
        disc_loss, discriminator.trainable_variables
    )

    generator_optimizer.apply_gradients(
        zip(gradients_of_generator, generator.trainable_variables)
    )
    discriminator_optimizer.apply_gradients(
        zip(gradients_of_discriminator, discriminator.trainable_variables)
    )
    return gen_loss, disc_loss


EPOCHS = 3
gen_losses, disc_losses = [], []
for epoch in range(EPOCHS):
    for image_batch in train_dataset:
        gen_loss, disc_loss = train_step(image_batch)
        gen_losses.append(float(gen_loss))
        disc_losses.append(float(disc_loss))
    print(
        f"epoch {epoch + 1}: gen_loss {gen_losses[-1]:.3f} disc_loss {disc_losses[-1]:.3f}"
    )

print("steps:", len(gen_losses))
print("losses finite:", bool(np.all(np.isfinite(gen_losses + disc_losses))))
samples = generator(tf.random.normal([16, noise_dim]), training=False)
print(
    "samples:",
    tuple(samples.shape),
    "in [-1, 1]:",
    bool(tf.reduce_max(tf.abs(samples)) <= 1.0),
)

# How well the discriminator tells held-out real digits from generated ones.
real_scores = discriminator(tf.constant(test_images), training=False)
fake_scores = discriminator(
    generator(tf.random.normal([256, noise_dim]), training=False), training=False
)
correct = tf.concat(
    [tf.cast(real_scores > 0, tf.float32), tf.cast(fake_scores <= 0, tf.float32)],
    axis=0,
)
print("Test accuracy:", float(tf.reduce_mean(correct)))
