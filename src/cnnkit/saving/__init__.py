"""Saving and loading models in Keras' file formats, and exporting them.

* ``save_model``/``load_model``: the Keras v3 ``.keras`` zip (config, weights and
  optimizer state), or legacy ``.h5`` — files move both ways between cnnkit and
  Keras 3 (and tf.keras 2 ``.h5`` files load).
* ``save_weights``/``load_weights``: ``.weights.h5`` (also reads ``.keras`` and
  legacy ``.h5``).
* ``register_keras_serializable``: make a custom layer (or other object) nameable
  in a file; ``custom_objects=`` does the same for one load.
* ``cnnkit.saving.onnx_export.export_model``: ``model.export("m.onnx")``.

Nothing is ever pickled, loading never runs code stored in a file, and every write
is atomic (a temporary file renamed into place).

Example:
    >>> import os, tempfile
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((4,)), cnnkit.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> model.save(path)
    >>> cnnkit.saving.load_model(path).count_params()
    10
"""

from cnnkit.saving.api import (
    load_model,
    load_weights,
    model_from_json,
    model_to_json,
    save_model,
    save_weights,
)
from cnnkit.serialization import (
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "model_to_json",
    "register_keras_serializable",
    "save_model",
    "save_weights",
]
