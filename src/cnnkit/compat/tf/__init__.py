"""cnnkit's stand-in for TensorFlow's eager tensor API, on torch tensors.

``import tensorflow as tf`` under ``cnnkit run`` gives ``cnnkit.compat.tf_api``; its
submodules (``tf.math``, ``tf.nn``, ``tf.image``, ``tf.random``, ``tf.data``,
``tf.linalg``, ``tf.io``) live here. Tensors are plain ``torch.Tensor`` objects in
TensorFlow's layouts (images ``(batch, height, width, channels)``), so cnnkit's Keras
layers take them as they are.

Where TensorFlow and torch disagree, these functions follow TensorFlow; each module
says which traps it covers. A name TensorFlow has and cnnkit lacks fails with a
message naming it (``tf_unsupported_message``), never silently.
"""
