"""``tf.data.experimental``: the constants tutorials still import from there."""

from __future__ import annotations

from typing import Any

from cnnkit.compat.tf._common import module_getattr
from cnnkit.compat.tf.data_options import AutoShardPolicy

__all__ = [
    "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "AutoShardPolicy",
    "bucket_by_sequence_length", "cardinality", "group_by_window",
]  # fmt: skip

# TF's sentinel values: -1 lets TF tune a pipeline (accepted and unused here).
AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def cardinality(dataset: Any) -> Any:
    """The number of elements of ``dataset`` (-1 infinite, -2 unknown), a tensor."""
    return dataset.cardinality()


def group_by_window(*args: Any, **kwargs: Any) -> Any:
    """TF 1's ``ds.apply(tf.data.experimental.group_by_window(...))``: the method."""
    return lambda dataset: dataset.group_by_window(*args, **kwargs)


def bucket_by_sequence_length(*args: Any, **kwargs: Any) -> Any:
    """``ds.apply(tf.data.experimental.bucket_by_sequence_length(...))``."""
    return lambda dataset: dataset.bucket_by_sequence_length(*args, **kwargs)


__getattr__ = module_getattr("tensorflow.data.experimental")
