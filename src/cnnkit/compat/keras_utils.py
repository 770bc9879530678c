"""``keras.utils`` under ``cnnkit run``: cnnkit's utils, with the dataset makers
returning ``tf.data.Dataset`` objects, as Keras' do with TensorFlow installed.

Tutorials go on with ``train_ds.map(...).prefetch(tf.data.AUTOTUNE)`` on what
``image_dataset_from_directory`` returns; cnnkit's own ``ImageDirectoryDataset`` is
kept inside (its batches, ``class_names`` and ``file_paths``).
"""

from __future__ import annotations

from typing import Any

from cnnkit import utils as _utils
from cnnkit.compat.tf.data import Dataset, from_batches
from cnnkit.utils import dataset_utils as _dataset_utils

__all__ = list(_utils.__all__)


def image_dataset_from_directory(*args: Any, **kwargs: Any) -> Any:
    """``keras.utils.image_dataset_from_directory`` as a ``tf.data.Dataset`` (or a
    list of two, for ``subset="both"``); the arguments are cnnkit's."""
    made = _dataset_utils.image_dataset_from_directory(*args, **kwargs)
    if isinstance(made, list):
        return [_as_dataset(part) for part in made]
    return _as_dataset(made)


image_dataset_from_directory.__doc__ = (
    (image_dataset_from_directory.__doc__ or "")
    + "\n\n"
    + (_dataset_utils.image_dataset_from_directory.__doc__ or "")
)


def _as_dataset(source: Any) -> Dataset:
    dataset = from_batches(source, len(source))
    dataset.class_names = source.class_names  # type: ignore[attr-defined]
    dataset.file_paths = source.file_paths  # type: ignore[attr-defined]
    return dataset


def __getattr__(name: str) -> Any:
    return getattr(_utils, name)
