"""Reshaping layers: Reshape, Permute, RepeatVector, zero padding, cropping and
up-sampling (Flatten lives in ``layers.core``)."""

from cnnkit.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from cnnkit.layers.reshaping.permute import Permute
from cnnkit.layers.reshaping.repeat_vector import RepeatVector
from cnnkit.layers.reshaping.reshape import Reshape
from cnnkit.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D, UpSampling3D
from cnnkit.layers.reshaping.zero_padding import (
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Permute",
    "RepeatVector",
    "Reshape",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]
