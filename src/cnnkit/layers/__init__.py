"""Keras-compatible layers (``from cnnkit.layers import Conv2D``).

Every layer is a ``torch.nn.Module`` with the Keras contract of ``Layer``.
"""

from cnnkit.layers.activations import *  # noqa: F403
from cnnkit.layers.base import InputSpec, KerasTensor, Layer, Variable
from cnnkit.layers.convolutional import *  # noqa: F403
from cnnkit.layers.core import Activation, Dense, Flatten
from cnnkit.layers.input_layer import Input, InputLayer
from cnnkit.layers.merging import *  # noqa: F403
from cnnkit.layers.normalization import *  # noqa: F403
from cnnkit.layers.pooling import *  # noqa: F403
from cnnkit.layers.preprocessing import *  # noqa: F403
from cnnkit.layers.regularization import *  # noqa: F403
from cnnkit.layers.reshaping import *  # noqa: F403


def _layer_classes() -> dict[str, type[Layer]]:
    """Every public layer class by name (used to rebuild layers from configs)."""
    return {
        name: obj
        for name, obj in globals().items()
        if isinstance(obj, type) and issubclass(obj, Layer) and not name.startswith("_")
    }
