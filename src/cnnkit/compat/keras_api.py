"""What ``import keras`` gives under ``cnnkit run``: cnnkit's Keras-shaped namespace."""

from __future__ import annotations

from cnnkit import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
)
from cnnkit._version import __version__ as _cnnkit_version
from cnnkit.compat import keras_utils as utils
from cnnkit.compat import preprocessing
from cnnkit.layers import Input, InputLayer, Layer
from cnnkit.layers.base.free_variable import Variable
from cnnkit.models import Model, Sequential

__all__ = [
    "Input",
    "InputLayer",
    "Layer",
    "Model",
    "Sequential",
    "Variable",
    "__version__",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "utils",
    "version",
]

# The Keras API version cnnkit follows, tagged so that logs show what really ran.
__version__ = f"3.0.0+cnnkit.{_cnnkit_version}"


def version() -> str:
    """``keras.version()``: the same string as ``keras.__version__``."""
    return __version__
