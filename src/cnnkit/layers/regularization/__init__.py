"""Regularization layers: Dropout and its spatial variants, Gaussian noise, activity
penalties. All are identities at inference (``training=False``, the call default)."""

from cnnkit.layers.regularization.activity_regularization import ActivityRegularization
from cnnkit.layers.regularization.dropout import Dropout
from cnnkit.layers.regularization.gaussian_dropout import GaussianDropout
from cnnkit.layers.regularization.gaussian_noise import GaussianNoise
from cnnkit.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

__all__ = [
    "ActivityRegularization",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]
