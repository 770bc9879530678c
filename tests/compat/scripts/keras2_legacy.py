"""An old-style (Keras 2) MNIST script: Convolution2D, lr=, fit_generator,
evaluate_generator, predict_generator and predict_classes, as tutorials written
before Keras 3 show them.
"""

import numpy as np
from keras import backend as K
from keras.datasets import mnist
from keras.layers import Activation, Convolution2D, Dense, Dropout, Flatten, MaxPool2D
from keras.models import Sequential
from keras.optimizers import Adadelta
from keras.utils import np_utils

np.random.seed(1337)  # for reproducibility

batch_size = 128
nb_classes = 10
nb_epoch = 2
img_rows, img_cols = 28, 28

(X_train, y_train), (X_test, y_test) = mnist.load_data()
X_train, y_train = X_train[:6000], y_train[:6000]

if K.image_data_format() == "channels_first":
    X_train = X_train.reshape(X_train.shape[0], 1, img_rows, img_cols)
    X_test = X_test.reshape(X_test.shape[0], 1, img_rows, img_cols)
    input_shape = (1, img_rows, img_cols)
else:
    X_train = X_train.reshape(X_train.shape[0], img_rows, img_cols, 1)
    X_test = X_test.reshape(X_test.shape[0], img_rows, img_cols, 1)
    input_shape = (img_rows, img_cols, 1)

X_train = X_train.astype("float32") / 255
X_test = X_test.astype("float32") / 255
print("X_train shape:", X_train.shape)

Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)

model = Sequential()
model.add(Convolution2D(32, (3, 3), padding="valid", input_shape=input_shape))
model.add(Activation("relu"))
model.add(Convolution2D(32, (3, 3)))
model.add(Activation("relu"))
model.add(MaxPool2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128))
model.add(Activation("relu"))
model.add(Dropout(0.5))
model.add(Dense(nb_classes))
model.add(Activation("softmax"))

# Keras 2 tutorials ran Adadelta with its old default learning rate, lr=1.0.
model.compile(
    loss="categorical_crossentropy", optimizer=Adadelta(lr=1.0), metrics=["accuracy"]
)


def batches(x, y, batch_size):
    """Loop forever over shuffled batches, as Keras 2 generators did."""
    while True:
        order = np.random.permutation(len(x))
        for start in range(0, len(x) - batch_size + 1, batch_size):
            index = order[start : start + batch_size]
            yield x[index], y[index]


steps = len(X_train) // batch_size
model.fit_generator(
    batches(X_train, Y_train, batch_size),
    steps_per_epoch=steps,
    epochs=nb_epoch,
    verbose=2,
)

score = model.evaluate_generator(batches(X_test, Y_test, 500), steps=20)
print("Test score:", score[0])

probabilities = model.predict_generator(
    (X_test[i : i + 500] for i in range(0, 1000, 500)), steps=2
)
classes = model.predict_classes(X_test[:1000])
print(
    "predict_classes agrees with predict_generator:",
    bool((classes == probabilities.argmax(axis=-1)).all()),
)
print("Test accuracy:", score[1])
