# The Conv2D reference's example (seed 004), with `tensorflow.keras` replaced by `cnnkit`.
# Run: python examples/seed_conv2d.py
from cnnkit.models import Sequential
from cnnkit.layers import Conv2D, Flatten, Dense
import numpy as np

# Données simulées : 100 images de 28x28 pixels avec 1 canal (niveaux de gris)
X = np.random.rand(100, 28, 28, 1)
y = np.random.randint(0, 2, size=(100,))

# Création d'un modèle avec une couche Conv2D
model = Sequential()
model.add(Conv2D(filters=16, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(Flatten())
model.add(Dense(1, activation='sigmoid'))

model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
model.summary()

# (Not in the original snippet: train briefly to show that it runs.)
model.fit(X, y, epochs=2, batch_size=32, verbose=2)
