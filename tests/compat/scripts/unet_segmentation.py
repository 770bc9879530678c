"""Image segmentation with a small U-Net (after the keras.io example "Image
segmentation with a U-Net-like architecture", on synthetic pictures).

Each 32x32 picture holds a square and a disc on noise; the mask labels every pixel
as background (0), square (1) or disc (2). A U-Net with skip connections learns the
masks; the model scales its input with a Lambda layer and is scored with MeanIoU;
an inverted StringLookup turns class ids back into names.
"""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

IMG_SIZE = 32
NUM_CLASSES = 3
CLASS_NAMES = ["background", "square", "disc"]


def draw():
    """One noisy grayscale picture and its mask: a square and a disc."""
    yy, xx = np.mgrid[:IMG_SIZE, :IMG_SIZE]
    image = rng.integers(0, 80, size=(IMG_SIZE, IMG_SIZE)).astype("float32")
    mask = np.zeros((IMG_SIZE, IMG_SIZE), dtype="int64")
    cy, cx = rng.integers(6, 26, size=2)
    half = rng.integers(3, 6)
    square = (abs(yy - cy) <= half) & (abs(xx - cx) <= half)
    image[square] = rng.integers(150, 256)
    mask[square] = 1
    cy, cx = rng.integers(6, 26, size=2)
    radius = rng.integers(3, 7)
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius
    image[disc] = rng.integers(150, 256)
    mask[disc] = 2  # a disc drawn over the square hides it there
    return image[..., None], mask


def make_dataset(n):
    pairs = [draw() for _ in range(n)]
    images = np.stack([p[0] for p in pairs]).astype("uint8")
    masks = np.stack([p[1] for p in pairs])
    return images, masks


x_train, y_train = make_dataset(640)
x_test, y_test = make_dataset(160)
print("images:", x_train.shape, "masks:", y_train.shape, "classes:", CLASS_NAMES)

# Augmentation layers that stretch one axis; shown on a batch (masks would need the
# same stretch, so the segmentation model itself does not use them).
stretch = keras.Sequential(
    [layers.RandomWidth(factor=(0.25, 0.25)), layers.RandomHeight(factor=(0.5, 0.5))]
)
print("stretched batch:", tuple(stretch(x_train[:4], training=True).shape))


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=(*img_size, 1))
    # Scale the 0..255 pixels to [-1, 1] inside the model.
    x = layers.Lambda(lambda t: t / 127.5 - 1.0, name="scale")(inputs)

    # Entry block (momentum=0.9: the moving statistics settle within this short run)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x  # Set aside residual

    # Downsampling: blocks are identical apart from the feature depth.
    for filters in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x

    # Upsampling
    for filters in [64, 32, 16]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x

    # Add a per-pixel classification layer
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs)


model = get_model((IMG_SIZE, IMG_SIZE), NUM_CLASSES)
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss="sparse_categorical_crossentropy",
    metrics=[
        "accuracy",
        keras.metrics.MeanIoU(num_classes=NUM_CLASSES, sparse_y_pred=False),
    ],
)
model.fit(x_train, y_train, batch_size=32, epochs=12, validation_split=0.1, verbose=2)

loss, accuracy, mean_iou = model.evaluate(x_test, y_test, verbose=0)
print("metrics:", model.metrics_names)
print("Test mean IoU:", round(float(mean_iou), 4))
print("mean IoU above 0.6:", bool(mean_iou > 0.6))
print("Test accuracy:", round(float(accuracy), 4))

predicted = np.argmax(model.predict(x_test[:1], verbose=0), axis=-1)[0]
found = sorted(int(c) for c in np.unique(predicted))
print("predicted mask:", predicted.shape, "classes found:", found)

# Class ids back to names with an inverted StringLookup (no OOV index: ids 0..2).
id_to_name = layers.StringLookup(vocabulary=CLASS_NAMES, num_oov_indices=0, invert=True)
print("class names found:", [str(name) for name in id_to_name(np.array(found))])
