"""Keras-compatible layers (``from cnnkit.layers import Conv2D``).

Every layer is a ``torch.nn.Module`` with the Keras contract of ``Layer``.
"""

from cnnkit.layers import (
    activations,
    attention,
    convolutional,
    merging,
    normalization,
    pooling,
    preprocessing,
    recurrent,
    regularization,
    reshaping,
)
from cnnkit.layers.activations import *  # noqa: F403
from cnnkit.layers.attention import *  # noqa: F403

# `X as X`: these names are re-exported on purpose (the wildcard modules list theirs
# in __all__).
from cnnkit.layers.base import InputSpec as InputSpec
from cnnkit.layers.base import KerasTensor as KerasTensor
from cnnkit.layers.base import Layer as Layer
from cnnkit.layers.base import Variable as Variable
from cnnkit.layers.convolutional import *  # noqa: F403
from cnnkit.layers.core import Activation as Activation
from cnnkit.layers.core import Dense as Dense
from cnnkit.layers.core import EinsumDense as EinsumDense
from cnnkit.layers.core import Embedding as Embedding
from cnnkit.layers.core import Flatten as Flatten
from cnnkit.layers.core import Lambda as Lambda
from cnnkit.layers.input_layer import Input as Input
from cnnkit.layers.input_layer import InputLayer as InputLayer
from cnnkit.layers.merging import *  # noqa: F403
from cnnkit.layers.normalization import *  # noqa: F403
from cnnkit.layers.pooling import *  # noqa: F403
from cnnkit.layers.preprocessing import *  # noqa: F403
from cnnkit.layers.recurrent import *  # noqa: F403
from cnnkit.layers.regularization import *  # noqa: F403
from cnnkit.layers.reshaping import *  # noqa: F403

__all__ = sorted(
    [
        "Activation",
        "Dense",
        "EinsumDense",
        "Embedding",
        "Flatten",
        "Input",
        "InputLayer",
        "InputSpec",
        "KerasTensor",
        "Lambda",
        "Layer",
        "Variable",
        *activations.__all__,
        *attention.__all__,
        *convolutional.__all__,
        *merging.__all__,
        *normalization.__all__,
        *pooling.__all__,
        *preprocessing.__all__,
        *recurrent.__all__,
        *regularization.__all__,
        *reshaping.__all__,
    ]
)


def _layer_classes() -> dict[str, type[Layer]]:
    """Every public layer class by name (used to rebuild layers from configs)."""
    return {
        name: obj
        for name, obj in globals().items()
        if isinstance(obj, type) and issubclass(obj, Layer) and not name.startswith("_")
    }
