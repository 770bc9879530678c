# The seed tutorial ("Qu'est-ce qu'un réseau de neurones convolutifs ?"), with only its
# `keras` imports replaced by `cnnkit`. Run: python examples/seed_mnist.py
from cnnkit import layers
from cnnkit import models
from cnnkit.datasets import mnist
from cnnkit.utils import to_categorical

# Définir le modèle CNN
model = models.Sequential()

model.add(layers.Conv2D(32, (5,5), activation='relu', input_shape=(28, 28,1)))
model.add(layers.MaxPooling2D((2, 2)))

model.add(layers.Conv2D(64, (5, 5), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))

model.add(layers.Flatten())
model.add(layers.Dense(10, activation='softmax'))

model.summary()

# Diviser les données en ensembles d'entraînement et de test
(train_images, train_labels), (test_images, test_labels) = mnist.load_data()

train_images = train_images.reshape((60000, 28, 28, 1))
train_images = train_images.astype('float32') / 255

test_images = test_images.reshape((10000, 28, 28, 1))
test_images = test_images.astype('float32') / 255

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

# Utiliser les données d'entraînement pour entraîner le modèle
model.compile(loss='categorical_crossentropy',
              optimizer='sgd',
              metrics=['accuracy'])

model.fit(train_images, train_labels,
          batch_size=100,
          epochs=5,
          verbose=1)

# Tester la précision du modèle avec les données de test
test_loss, test_acc = model.evaluate(test_images, test_labels)

print('Précision du test:', test_acc)
