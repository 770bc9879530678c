"""``keras.utils`` under ``cnnkit run``: cnnkit's utils, with the dataset makers
returning ``tf.data.Dataset`` objects, as Keras' do with TensorFlow installed, and
``timeseries_dataset_from_array``.

Tutorials go on with ``train_ds.map(...).prefetch(tf.data.AUTOTUNE)`` on what
``image_dataset_from_directory`` returns; cnnkit's own ``ImageDirectoryDataset`` is
kept inside (its batches, ``class_names`` and ``file_paths``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from cnnkit import utils as _utils
from cnnkit.compat.tf._common import to_tensor
from cnnkit.compat.tf.data import Dataset, from_batches
from cnnkit.errors import InvalidArgumentError
from cnnkit.utils import dataset_utils as _dataset_utils

__all__ = sorted([*_utils.__all__, "timeseries_dataset_from_array"])


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


def _positive(value: Any, name: str, length: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise InvalidArgumentError(
            f"timeseries_dataset_from_array: `{name}` must be a positive int; received "
            f"{name}={value!r}."
        )
    if length is not None and value >= length:
        raise InvalidArgumentError(
            f"timeseries_dataset_from_array: `{name}` must be smaller than the data's "
            f"length {length}; received {name}={value!r}."
        )
    return int(value)


class _Windows:
    """Batches of windows, gathered from the series one batch at a time (all the
    windows at once could be far larger than the series)."""

    def __init__(
        self, data: torch.Tensor, targets: torch.Tensor | None, starts: torch.Tensor,
        offsets: torch.Tensor, batch_size: int | None,
    ) -> None:  # fmt: skip
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets, self.batch_size = offsets, batch_size

    def __len__(self) -> int:
        n = int(self.starts.shape[0])
        return n if self.batch_size is None else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        step = self.batch_size or 1
        for first in range(0, int(self.starts.shape[0]), step):
            starts = self.starts[first : first + step]
            windows = self.data[starts[:, None] + self.offsets]  # (B, length, ...)
            labels = None if self.targets is None else self.targets[starts]
            if self.batch_size is None:
                windows = windows[0]
                labels = None if labels is None else labels[0]
            yield windows if labels is None else (windows, labels)


def timeseries_dataset_from_array(
    data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
    sampling_rate: int = 1, batch_size: int | None = 128, shuffle: bool = False,
    seed: int | None = None, start_index: int | None = None,
    end_index: int | None = None,
) -> Dataset:  # fmt: skip
    """``keras.utils.timeseries_dataset_from_array``: sliding windows over ``data``.

    Window ``i`` starts at step ``p = i * sequence_stride`` of
    ``data[start_index:end_index]`` and takes ``sequence_length`` steps
    ``sampling_rate`` apart; its target is ``targets[start_index:end_index][p]``
    (shift ``targets`` to predict the future, as in Keras). With ``shuffle`` the
    windows come in a random order (from ``seed``), the same for every epoch.

    Raises:
        InvalidArgumentError: A length, stride or rate is not a positive int smaller
            than the data, or ``start_index``/``end_index`` fall outside it.
    """
    series = to_tensor(data, name="data")
    total = int(series.shape[0])
    _positive(sequence_length, "sequence_length")
    rate = _positive(sampling_rate, "sampling_rate", total)
    stride = _positive(sequence_stride, "sequence_stride", total)
    start = 0 if start_index is None else int(start_index)
    end = total if end_index is None else int(end_index)
    if not 0 <= start < end <= total:
        raise InvalidArgumentError(
            "timeseries_dataset_from_array: need 0 <= start_index < end_index <= "
            f"len(data) ({total}); received start_index={start_index!r}, "
            f"end_index={end_index!r}."
        )
    series = series[start:end]
    count = (end - start) - (sequence_length - 1) * rate
    labels = None if targets is None else to_tensor(targets, name="targets")[start:end]
    if labels is not None:
        count = min(count, int(labels.shape[0]))
    starts = torch.arange(0, max(count, 0), stride)
    if shuffle:
        order = np.random.RandomState(seed).permutation(int(starts.shape[0]))
        starts = starts[torch.from_numpy(order)]
    offsets = torch.arange(sequence_length) * rate
    windows = _Windows(series, labels, starts, offsets, batch_size)
    return from_batches(windows, len(windows))


def __getattr__(name: str) -> Any:
    return getattr(_utils, name)
