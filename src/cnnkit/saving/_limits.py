"""Bounds on what a file may make cnnkit allocate before it has been checked.

A model or weights file is untrusted input: its headers declare sizes that cost
nothing to write and, believed, cost gigabytes to honour. Every reader checks
what a file *declares* against these bounds before it reads or allocates, so a
hostile file fails fast, with a small memory footprint, as a FileFormatError.

The numbers are generous for real models (the largest Keras application,
ConvNeXtXLarge, has 350 M parameters; its biggest tensor ~38 M elements) and far
below what would exhaust a laptop.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_CONFIG_ARG",
    "MAX_DATASET_BYTES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_KERNEL_ARG",
    "MAX_LAYER_BYTES",
    "MAX_RATIO",
    "MAX_TENSOR_ELEMENTS",
    "RATIO_FLOOR_BYTES",
    "WEIGHTS_FLOOR_BYTES",
    "weights_budget",
]

# config.json / metadata.json: real ones are kilobytes to a few megabytes.
MAX_JSON_BYTES: Final = 64 << 20
# Nesting of a JSON document: a deep functional model nests ~10 levels; Python's
# own recursion limit (1000) would turn anything deeper into a bare RecursionError.
MAX_JSON_DEPTH: Final = 200
# An HDF5 dataset with no variable to compare against (optimizer slots, custom
# keys, legacy files) may declare at most this many bytes.
MAX_DATASET_BYTES: Final = 1 << 30
# Compression: above RATIO_FLOOR_BYTES, a member or dataset may not declare more
# than MAX_RATIO times the bytes it stores. Keras writes weights uncompressed
# (1:1) and float weights deflate at best ~1.2:1; zeros and fill values are what
# compress 1000:1.
RATIO_FLOOR_BYTES: Final = 16 << 20
MAX_RATIO: Final = 20
# The weights member of a `.keras` file holds each variable once plus the
# optimizer's slots (Adam: 2 per weight, maybe float64); this floor covers the
# HDF5 overhead of small models.
WEIGHTS_FLOOR_BYTES: Final = 64 << 20
# Layer arguments read from a file: a unit/filter count, and a kernel/pool/
# stride size, past which no real model goes.
MAX_CONFIG_ARG: Final = 1 << 20
MAX_KERNEL_ARG: Final = 1 << 12
# One weight tensor, and one layer's weights (float32 bytes), built from a file.
MAX_TENSOR_ELEMENTS: Final = 1 << 31
MAX_LAYER_BYTES: Final = 8 << 30


def weights_budget(parameters: int) -> int:
    """The most bytes a weights file may hold for a model of ``parameters`` scalars:
    the weights and up to five optimizer slots of them, each up to 8 bytes wide."""
    return WEIGHTS_FLOOR_BYTES + 6 * 8 * parameters
