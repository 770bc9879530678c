"""Turn whatever ``fit``/``evaluate``/``predict`` receive into batches of tensors.

Accepted (as in Keras): numpy arrays or torch tensors (a list/tuple/dict for several
inputs or outputs), Python generators and iterators yielding ``(x, y[, sw])``,
``cnnkit.utils.PyDataset``, torch ``Dataset``/``DataLoader``, and any re-iterable batch
source with ``__len__`` (such as ``image_dataset_from_directory``).

Arrays are converted and moved to the device **once**; an epoch then slices views of
them, so the training loop does no host-to-device copy per batch (DESIGN decision 8).
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, TrainingInputError
from cnnkit.utils import tree
from cnnkit.utils.validation import non_numeric_message

Batch = tuple[Any, Any, Any]

#: Keras' batch size when none is given (``fit``, ``evaluate``, ``predict``).
DEFAULT_BATCH_SIZE = 32


def is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray | torch.Tensor)


def is_array_structure(value: Any) -> bool:
    """A single array or a list/tuple/dict of arrays (several model inputs)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return all(is_array(v) for v in value.values())
    if isinstance(value, list | tuple):
        return len(value) > 0 and all(is_array(v) for v in value)
    return is_array(value)


def to_tensor(value: Any, device: torch.device | None = None) -> torch.Tensor:
    """numpy/torch → tensor: float64 becomes float32 (Keras casts it too)."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        array = np.asarray(value)
        problem = non_numeric_message(array)
        if problem is not None:
            raise TrainingInputError(problem)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("="))
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.dtype == torch.float64:
        tensor = tensor.float()
    if device is not None and tensor.device != device:
        tensor = tensor.to(device, non_blocking=True)
    return tensor


def to_weights(value: Any, device: torch.device | None = None) -> Any:
    """Sample weights (one array, or one per output) as float tensors."""
    if value is None:
        return None
    return tree.map_structure(lambda v: to_tensor(v, device).float(), value)


def num_samples(structure: Any) -> int:
    return int(tree.flatten(structure)[0].shape[0])


def take(structure: Any, index: Any) -> Any:
    """Index every array of a structure along axis 0 (a slice gives views)."""
    return tree.map_structure(lambda t: t[index], structure)


class ArrayAdapter:
    """Batches of in-memory arrays, optionally shuffled each epoch."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        shuffle: bool | str = False,
        steps: int | None = None,
        device: torch.device | None = None,
    ) -> None:
        self.x = tree.map_structure(lambda v: to_tensor(v, device), x)
        self.y = (
            None if y is None else tree.map_structure(lambda v: to_tensor(v, device), y)
        )
        self.sample_weight = to_weights(sample_weight, device)
        self.size = num_samples(self.x)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = device
        self.num_batches = math.ceil(self.size / batch_size) if self.size else 0
        self.steps = steps
        self._iterator: Iterator[Batch] | None = None
        self._seen = 0  # batches taken from the current pass (with `steps`)
        self._warned = False

    @property
    def steps_per_epoch(self) -> int:
        return self.steps if self.steps is not None else self.num_batches

    def _one_pass(self) -> Iterator[Batch]:
        order = None
        if self.shuffle is True:
            order = torch.randperm(self.size, device=self.device)
        for start in range(0, self.size, self.batch_size):
            stop = min(start + self.batch_size, self.size)
            if order is not None:
                index: Any = order[start:stop]
            elif self.shuffle == "batch":
                index = start + torch.randperm(stop - start, device=self.device)
            else:
                index = slice(start, stop)
            yield (
                take(self.x, index),
                None if self.y is None else take(self.y, index),
                None if self.sample_weight is None else take(self.sample_weight, index),
            )

    def epoch(self) -> Iterator[Batch]:
        """One epoch. With ``steps`` set, Keras' rule: the same pass continues across
        epochs; an epoch that reaches the end of the data stops there (with a
        warning) and the next epoch starts a new pass."""
        if self.steps is None:
            yield from self._one_pass()
            return
        if self._iterator is None:
            self._iterator, self._seen = self._one_pass(), 0
        for _ in range(self.steps):
            if self._seen >= self.num_batches:
                if not self._warned:  # once: it would repeat at every pass end
                    self._warned = True
                    warn_ran_out()
                break
            self._seen += 1
            yield next(self._iterator)
        if self._seen >= self.num_batches:
            self._iterator = None

    def on_epoch_end(self) -> None:
        """Nothing to do: shuffling happens when the next epoch starts."""


def unpack_batch(batch: Any) -> Batch:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` → a 3-tuple."""
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
        raise TrainingInputError(
            f"A data batch must be x, (x,), (x, y) or (x, y, sample_weight); received "
            f"a tuple of {len(batch)} elements."
        )
    if isinstance(batch, list):
        # Keras reads a list as a tuple; torch's DataLoader collates (x, y) to [x, y].
        return unpack_batch(tuple(batch))
    return batch, None, None


def warn_ran_out() -> None:
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your "
        "dataset or generator can generate at least `steps_per_epoch * epochs` "
        "batches (a generator cannot restart: loop forever inside it, or pass a "
        "re-iterable source such as a PyDataset or DataLoader).",
        UserWarning,
        stacklevel=5,
    )


class IterableAdapter:
    """Batches from a generator, a PyDataset, a torch DataLoader or any iterable."""

    def __init__(
        self,
        source: Any,
        steps: int | None = None,
        device: torch.device | None = None,
        class_weight: dict[int, float] | None = None,
        shuffle: bool = False,
    ) -> None:
        self.source = source
        self.steps = steps
        self.device = device
        self.class_weight = class_weight
        self.shuffle = shuffle
        self._is_pydataset = (
            hasattr(source, "__getitem__")
            and hasattr(source, "on_epoch_end")
            and hasattr(source, "__len__")
        )
        self._reiterable = self._is_pydataset or not _is_one_shot(source)
        self._iterator: Iterator[Any] | None = None
        self._seen = 0
        self.num_batches = _length(source)
        self._ran_out = False

    @property
    def steps_per_epoch(self) -> int | None:
        return self.steps if self.steps is not None else self.num_batches

    def _new_iterator(self) -> Iterator[Any]:
        if self._is_pydataset:
            order = list(range(len(self.source)))
            if self.shuffle:
                # Keras shuffles a PyDataset's batch order each epoch, with Python's
                # `random` (so `set_random_seed` fixes it).
                random.shuffle(order)
            return (self.source[i] for i in order)
        return iter(self.source)

    def _to_device(self, batch: Any) -> Batch:
        x, y, sw = unpack_batch(batch)

        def convert(value: Any) -> Any:
            return (
                None
                if value is None
                else tree.map_structure(lambda v: to_tensor(v, self.device), value)
            )

        if self.class_weight is not None and y is not None:
            if sw is not None:
                raise InvalidArgumentError(
                    "`class_weight` was given, but the data also yields sample "
                    "weights (x, y, sample_weight): use one or the other."
                )
            sw = class_weight_to_sample_weight(y, self.class_weight)
        return convert(x), convert(y), to_weights(sw, self.device)

    def epoch(self) -> Iterator[Batch]:
        """One epoch: a full pass, or ``steps`` batches with Keras' rule (a pass
        continues across epochs; at its end the epoch stops, with a warning)."""
        if self.steps is None:
            if self._reiterable or self._iterator is None:
                self._iterator = self._new_iterator()
            produced = 0
            for batch in self._iterator:
                produced += 1
                yield self._to_device(batch)
            if produced == 0:  # a generator consumed by an earlier epoch
                self._warn_ran_out()
            return
        if self._iterator is None:
            self._iterator, self._seen = self._new_iterator(), 0
        for _ in range(self.steps):
            if self.num_batches is not None and self._seen >= self.num_batches:
                self._warn_ran_out()
                break
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._warn_ran_out()
                if self._reiterable:
                    self._iterator = None
                return
            self._seen += 1
            yield self._to_device(batch)
        if self.num_batches is not None and self._seen >= self.num_batches:
            self._iterator = None

    def _warn_ran_out(self) -> None:
        if not self._ran_out:  # once per adapter: it would repeat every epoch
            self._ran_out = True
            warn_ran_out()

    def on_epoch_end(self) -> None:
        hook: Callable[[], None] | None = getattr(self.source, "on_epoch_end", None)
        if self._is_pydataset and hook is not None:
            hook()


def _length(source: Any) -> int | None:
    """The number of batches, when the source knows it.

    A DataLoader over an IterableDataset has ``__len__`` but raises TypeError.
    """
    try:
        return len(source)
    except TypeError:
        return None


def _is_one_shot(source: Any) -> bool:
    """Generators and iterators can be consumed once; containers restart.

    Tested by type, not with ``iter(source) is source``: that would start a
    DataLoader's worker processes just to ask.
    """
    return isinstance(source, Iterator)


def make_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int | None = None,
    shuffle: bool | str = False,
    steps: int | None = None,
    device: torch.device | None = None,
    class_weight: dict[int, float] | None = None,
) -> ArrayAdapter | IterableAdapter:
    """Pick the adapter for ``x`` and check the arguments that only suit one kind.

    ``class_weight`` is for iterable sources (applied per batch); arrays receive
    the sample weights built from it by the caller.
    """
    if is_array_structure(x):
        if not batch_size:
            # Keras: with `steps` and no batch size, the steps cover the data once.
            batch_size = (
                math.ceil(num_samples(x) / steps) if steps else DEFAULT_BATCH_SIZE
            )
        return ArrayAdapter(
            x, y, sample_weight, max(batch_size, 1), shuffle, steps, device
        )
    if x is None:
        raise TrainingInputError(
            "No data was given: pass arrays `x` (and `y`), a generator, a PyDataset or "
            "a torch DataLoader."
        )
    if isinstance(x, list | tuple | int | float):
        raise TrainingInputError(
            f"`x` is a {type(x).__name__} of Python values, not an array. Convert it "
            "with `np.asarray(x, dtype='float32')`."
        )
    if y is not None:
        raise InvalidArgumentError(
            "`y` must not be given when `x` is a dataset, generator or DataLoader: it "
            "already yields (x, y) batches."
        )
    if sample_weight is not None:
        raise InvalidArgumentError(
            "`sample_weight` must not be given when `x` is a dataset or generator; "
            "yield (x, y, sample_weight) batches instead."
        )
    if isinstance(x, torch.utils.data.Dataset) and not hasattr(x, "on_epoch_end"):
        # A torch Dataset yields samples: batch them (an IterableDataset streams in
        # its own order, so it cannot be shuffled).
        streamed = isinstance(x, torch.utils.data.IterableDataset)
        loader = torch.utils.data.DataLoader(
            x,
            batch_size=batch_size or DEFAULT_BATCH_SIZE,
            shuffle=bool(shuffle) and not streamed,
        )
        return IterableAdapter(loader, steps, device, class_weight)
    if not hasattr(x, "__iter__") and not hasattr(x, "__getitem__"):
        raise TrainingInputError(
            f"Unrecognized data type: x={type(x).__name__}. Pass numpy arrays, torch "
            "tensors, a generator, a cnnkit.utils.PyDataset or a torch DataLoader."
        )
    return IterableAdapter(x, steps, device, class_weight, shuffle=bool(shuffle))


def split_for_validation(
    x: Any, y: Any, sample_weight: Any, split: float
) -> tuple[Any, Any]:
    """Keras' ``validation_split``: the LAST fraction, taken before any shuffling."""
    if not 0.0 < split < 1.0:
        raise InvalidArgumentError(
            f"`validation_split` must be a float in (0, 1); received validation_split={split!r}."
        )
    if not is_array_structure(x):
        raise InvalidArgumentError(
            "`validation_split` is only supported for arrays; with a dataset or "
            "generator pass `validation_data=` instead."
        )
    total = num_samples(x)
    split_at = math.floor(total * (1.0 - split))
    if split_at == 0 or split_at == total:
        raise TrainingInputError(
            f"validation_split={split} leaves an empty training or validation set with "
            f"{total} samples. Use more data or a different split."
        )

    def part(value: Any, index: slice) -> Any:
        return None if value is None else take(value, index)

    head, tail = slice(0, split_at), slice(split_at, total)
    return (
        (part(x, head), part(y, head), part(sample_weight, head)),
        (part(x, tail), part(y, tail), part(sample_weight, tail)),
    )


def class_weight_to_sample_weight(y: Any, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights from ``class_weight``: argmax of one-hot y, or int labels."""
    if isinstance(y, list | tuple | dict):
        raise InvalidArgumentError(
            "`class_weight` is only supported for models with a single output; use "
            "`sample_weight` for several outputs."
        )
    if not isinstance(class_weight, dict):
        raise InvalidArgumentError(
            "`class_weight` must be a dict mapping class ids to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}; received a {type(class_weight).__name__}."
        )
    labels = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    elif labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    labels = np.rint(labels).astype(np.int64)
    # Keras: a class missing from the dict keeps weight 1.0.
    weights = np.ones(labels.shape[0], dtype="float32")
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = weight
    return weights
