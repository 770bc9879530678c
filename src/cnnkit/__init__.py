"""cnnkit: convolutional neural networks with the Keras 3 API, running on PyTorch.

Example:
    >>> import cnnkit
    >>> from cnnkit import layers, models
    >>> model = models.Sequential([layers.Input((28, 28, 1)), layers.Flatten(),
    ...                            layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    7850
"""

from __future__ import annotations

from cnnkit import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    errors,
    explain,
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
    utils,
)
from cnnkit._version import __version__
from cnnkit.layers import Input, InputLayer, Layer
from cnnkit.layers.base.free_variable import Variable
from cnnkit.models import Model, Sequential

version = __version__

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
    "errors",
    "explain",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "utils",
    "version",
]
