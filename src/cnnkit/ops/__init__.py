"""``keras.ops`` for cnnkit: the numeric functions Keras 3 code uses, on torch tensors.

Inputs may be numpy arrays, Python numbers or lists, or tensors; results are torch
tensors with Keras' dtypes (``argmax`` gives ``int32``, ``mean`` of integers
``float32``, ``one_hot`` ``float32``). ``ops.image.resize`` works in the Keras layout.

Example:
    >>> import numpy as np
    >>> from cnnkit import ops
    >>> predictions = np.array([[0.1, 0.9], [0.7, 0.3]], dtype="float32")
    >>> ops.convert_to_numpy(ops.argmax(predictions, axis=-1))
    array([1, 0], dtype=int32)
"""

from cnnkit.ops import image, nn
from cnnkit.ops import numpy as _numpy
from cnnkit.ops.core import (
    cast,
    convert_to_numpy,
    convert_to_tensor,
    is_tensor,
    ndim,
    shape,
    size,
    stop_gradient,
)
from cnnkit.ops.nn import *  # noqa: F403
from cnnkit.ops.numpy import *  # noqa: F403

__all__ = [
    "cast", "convert_to_numpy", "convert_to_tensor", "image", "is_tensor", "ndim", "nn",
    "shape", "size", "stop_gradient",
    *nn.__all__,
    *_numpy.__all__,
]  # fmt: skip
