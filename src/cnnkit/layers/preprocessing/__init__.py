"""Preprocessing and image-augmentation layers (Keras' ``keras.layers`` names).

``Rescaling``, ``Resizing`` and ``CenterCrop`` run the same way in training and
inference. The ``Random*`` augmentation layers augment only when called with
``training=True``, which is the default of a direct call and of ``model(x)``;
``predict``, ``evaluate`` and the validation pass of ``fit`` call them with
``training=False`` and get the images unchanged (``RandomCrop`` centre-crops).
``StringLookup`` and ``IntegerLookup`` map tokens to indices on the host.
"""

from cnnkit.layers.preprocessing.center_crop import CenterCrop
from cnnkit.layers.preprocessing.integer_lookup import IntegerLookup
from cnnkit.layers.preprocessing.normalization import Normalization
from cnnkit.layers.preprocessing.random_brightness import RandomBrightness
from cnnkit.layers.preprocessing.random_contrast import RandomContrast
from cnnkit.layers.preprocessing.random_crop import RandomCrop
from cnnkit.layers.preprocessing.random_flip import RandomFlip
from cnnkit.layers.preprocessing.random_height import RandomHeight
from cnnkit.layers.preprocessing.random_rotation import RandomRotation
from cnnkit.layers.preprocessing.random_translation import RandomTranslation
from cnnkit.layers.preprocessing.random_width import RandomWidth
from cnnkit.layers.preprocessing.random_zoom import RandomZoom
from cnnkit.layers.preprocessing.rescaling import Rescaling
from cnnkit.layers.preprocessing.resizing import Resizing
from cnnkit.layers.preprocessing.string_lookup import StringLookup

__all__ = [
    "CenterCrop",
    "IntegerLookup",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomHeight",
    "RandomRotation",
    "RandomTranslation",
    "RandomWidth",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "StringLookup",
]
