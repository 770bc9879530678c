"""``tf.data.experimental``: the constants tutorials still import from there."""

from __future__ import annotations

from typing import Any

from cnnkit.compat.tf._common import module_getattr

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]

# TF's sentinel values: -1 lets TF tune a pipeline (accepted and unused here).
AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def cardinality(dataset: Any) -> Any:
    """The number of elements of ``dataset`` (-1 infinite, -2 unknown), a tensor."""
    return dataset.cardinality()


__getattr__ = module_getattr("tensorflow.data.experimental")
