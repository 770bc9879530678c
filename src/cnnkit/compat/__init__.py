"""Run Keras / tf.keras scripts unchanged on cnnkit (``cnnkit run script.py``).

``install()`` puts an import hook in front of ``sys.meta_path`` so that ``import keras``,
``from keras.layers import Conv2D``, ``import tensorflow as tf`` (+ ``tf.keras.*``),
``from tensorflow import keras`` and ``from tensorflow.keras.X import Y`` resolve to
cnnkit's modules. TensorFlow itself is not needed and never imported.
"""

from cnnkit.compat.hook import install, is_installed, resolve_api, uninstall

__all__ = ["install", "is_installed", "resolve_api", "uninstall"]
