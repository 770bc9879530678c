"""What ``import keras`` gives under ``cnnkit run``: cnnkit's Keras-shaped namespace."""

from __future__ import annotations

from cnnkit import __version__ as _cnnkit_version
from cnnkit import (  # noqa: F401 - re-exported as keras.*
    activations,
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
    optimizers,
    regularizers,
    saving,
    utils,
)
from cnnkit.compat import preprocessing  # noqa: F401
from cnnkit.layers import Input, InputLayer, Layer  # noqa: F401
from cnnkit.models import Model, Sequential  # noqa: F401

__version__ = f"3.0.0+cnnkit.{_cnnkit_version}"
