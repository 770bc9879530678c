"""Preprocessing and image-augmentation layers (Keras' ``keras.layers`` names).

``Rescaling``, ``Resizing`` and ``CenterCrop`` run the same way in training and
inference. The ``Random*`` augmentation layers augment only when called with
``training=True``, which is the default of a direct call and of ``model(x)``;
``predict``, ``evaluate`` and the validation pass of ``fit`` call them with
``training=False`` and get the images unchanged (``RandomCrop`` centre-crops).
"""

from cnnkit.layers.preprocessing.center_crop import CenterCrop
from cnnkit.layers.preprocessing.normalization import Normalization
from cnnkit.layers.preprocessing.random_brightness import RandomBrightness
from cnnkit.layers.preprocessing.random_contrast import RandomContrast
from cnnkit.layers.preprocessing.random_crop import RandomCrop
from cnnkit.layers.preprocessing.random_flip import RandomFlip
from cnnkit.layers.preprocessing.random_rotation import RandomRotation
from cnnkit.layers.preprocessing.random_translation import RandomTranslation
from cnnkit.layers.preprocessing.random_zoom import RandomZoom
from cnnkit.layers.preprocessing.rescaling import Rescaling
from cnnkit.layers.preprocessing.resizing import Resizing

__all__ = [
    "CenterCrop",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
]
