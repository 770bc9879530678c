"""``Normalization``: ``(x - mean) / sqrt(variance)``, the statistics given or learned.

As in Keras 3, the statistics are kept per position of the ``axis`` axes (the
channels by default) and either passed in (``mean=``, ``variance=``: constants, no
weights) or learned by :meth:`Normalization.adapt` into three non-trainable weights
``mean``, ``variance`` and ``count`` (the ones ``.weights.h5`` files hold, so files
move both ways with Keras). The divisor is ``max(sqrt(variance), epsilon)``.

Example:
    >>> import numpy as np
    >>> layer = Normalization(axis=-1)
    >>> layer.adapt(np.array([[0.0, 7.0], [2.0, 9.0]], dtype="float32"))
    >>> layer(np.array([[0.0, 7.0]], dtype="float32"))
    tensor([[-1., -1.]])
    >>> [w.name for w in layer.weights]
    ['mean', 'variance', 'count']
    >>> Normalization(mean=3.0, variance=2.0).weights
    []
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from cnnkit import config as _config
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.layer import Layer

Shape = tuple[int | None, ...]


def _check_axis(axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, (list, tuple)) and all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
    ):
        return tuple(int(a) for a in axis)
    raise InvalidTypeError(
        "Normalization: `axis` must be an int, a tuple of ints or None (one "
        f"statistic over everything); received axis={axis!r}."
    )


def _first_of(batch: Any) -> Any:
    """The inputs of one batch: ``x`` of an ``(x, y)`` or ``(x, y, w)`` tuple."""
    if isinstance(batch, (tuple, list)) and batch and not _is_numbers(batch):
        return batch[0]
    if isinstance(batch, dict):
        raise InvalidTypeError(
            "Normalization.adapt() received batches that are dicts; pass the feature "
            "to adapt on alone, e.g. `dataset.map(lambda d: d['image'])`."
        )
    return batch


def _is_numbers(value: Any) -> bool:
    return all(isinstance(v, numbers.Number) for v in value)


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()  # a tf-compat tensor
    return np.asarray(value, dtype="float64")


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per ``axis`` entry.

    Args:
        axis: The axis or axes that keep separate statistics (``-1``: one per
            feature/channel); every other axis is averaged over. ``None`` keeps a
            single mean and variance for the whole input.
        mean: The mean to use (a number or an array broadcastable to the kept
            axes), instead of calling ``adapt()``. Give ``variance`` with it.
        variance: The variance to use, with ``mean``.
        invert: Apply the inverse: ``x * max(sqrt(variance), eps) + mean``, which
            turns normalised values back into the original scale.

    Input shape:
        Any shape whose ``axis`` sizes are known.

    Output shape:
        The input shape.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        axis: Any = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.axis = _check_axis(axis)
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        if (mean is None) != (variance is None):
            raise InvalidArgumentError(
                "Normalization: give both `mean` and `variance`, or neither (then "
                f"call `adapt(data)`); received mean={mean!r}, variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise IncompatibleShapeError(
                    "Normalization: `mean` and `variance` must have the same shape; "
                    f"received mean shape {np.shape(mean)}, variance shape "
                    f"{np.shape(variance)}."
                )
            if len(np.shape(mean)) > len(self.axis):
                raise IncompatibleShapeError(
                    f"Normalization: `mean` has rank {len(np.shape(mean))}, more "
                    f"than the {len(self.axis)} kept axis/axes (axis={self.axis}). "
                    "Pass one value per entry of the kept axes, or a scalar."
                )
        # Given statistics, broadcast to the input rank, as tensors per device/dtype.
        self._constants: dict[tuple[Any, ...], tuple[torch.Tensor, torch.Tensor]] = {}

    # ------------------------------------------------------------------ build

    def build(self, input_shape: Shape) -> None:
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise InvalidArgumentError(
                f"Normalization: every `axis` must lie in [-{ndim}, {ndim}) for "
                f"inputs of rank {ndim}; received axis={self.axis} for inputs of "
                f"shape {tuple(input_shape)}."
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise IncompatibleShapeError(
                    f"Normalization: axis {d} is kept (axis={self.axis}) so its "
                    f"size must be known; received inputs of shape "
                    f"{tuple(input_shape)}. Give the Input a full shape."
                )
        self._build_input_shape = tuple(input_shape)
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(
            int(input_shape[d]) if d in keep else 1  # type: ignore[arg-type]
            for d in range(ndim)
        )
        self._stat_shape = tuple(int(input_shape[d]) for d in keep)  # type: ignore[arg-type]
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                self._stat_shape, "zeros", trainable=False, name="mean"
            )
            self.adapt_variance = self.add_weight(
                self._stat_shape, "ones", trainable=False, name="variance"
            )
            self.count = self.add_weight(
                (), "zeros", dtype="int32", trainable=False, name="count"
            )
        else:
            self._given = (
                self._broadcast(self.input_mean, ndim),
                self._broadcast(self.input_variance, ndim),
            )

    def _broadcast(self, value: Any, ndim: int) -> np.ndarray:
        array = np.asarray(value, dtype="float64")
        if array.ndim > 0:
            # The trailing axes of the value meet the last kept axes (Keras' rule).
            expanded = [1] * ndim
            for i in range(1, array.ndim + 1):
                expanded[self._keep_axis[-i]] = array.shape[-i]
            array = array.reshape(expanded)
        try:
            return np.broadcast_to(array, self._broadcast_shape)
        except ValueError as error:
            raise IncompatibleShapeError(
                f"Normalization: `mean`/`variance` of shape {np.shape(value)} do not "
                f"broadcast to the kept axes of shape {self._stat_shape}."
            ) from error

    # ------------------------------------------------------------------ adapt

    def adapt(self, data: Any) -> None:
        """Learn the mean and variance of ``data`` (per entry of the kept axes).

        Args:
            data: A numpy array or tensor, or any iterable of *batches* (a list of
                arrays, a generator, a ``tf.data``-style dataset, a ``PyDataset``);
                ``(x, y)`` batches use ``x``. Batches are combined with a streaming
                mean/variance, so the data never needs to fit in memory at once.
        """
        if self.input_mean is not None:
            raise InvalidArgumentError(
                "Normalization.adapt(): this layer was given `mean` and `variance`, "
                "which adapt() would replace. Make the layer without them: "
                "`Normalization(axis=...)`, then adapt."
            )
        if isinstance(data, (np.ndarray, torch.Tensor)) or hasattr(data, "numpy"):
            batches: Iterable[Any] = [data]
        elif isinstance(data, Iterable) or hasattr(data, "__getitem__"):
            batches = data if isinstance(data, Iterable) else _indexed(data)
        else:
            raise InvalidTypeError(
                "Normalization.adapt() takes a numpy array, a tensor, or an iterable "
                f"of batches (list, generator, dataset); received "
                f"{type(data).__name__}."
            )
        iterator = iter(batches)
        first = next(iterator, None)
        if first is None:
            raise InvalidArgumentError(
                "Normalization.adapt() received no batches. Pass the data itself "
                "(`layer.adapt(x)`) or a non-empty iterable of batches."
            )
        first_array = _as_array(_first_of(first))
        if not self.built:
            self._build_with_shape((None, *first_array.shape[1:]))
        total_mean = np.zeros(self._stat_shape)
        total_var = np.zeros(self._stat_shape)
        total_count = 0
        for batch in itertools.chain([first_array], iterator):
            array = batch if batch is first_array else _as_array(_first_of(batch))
            self._check_batch(array)
            batch_mean = np.mean(array, axis=self._reduce_axis)
            batch_var = np.var(array, axis=self._reduce_axis)
            batch_count = math.prod(array.shape[d] for d in self._reduce_axis)
            if batch_count == 0:
                continue
            total_count += batch_count
            weight = batch_count / total_count
            new_mean = total_mean * (1.0 - weight) + batch_mean * weight
            # Chan et al.'s pairwise update: each part's variance around the new mean.
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1.0 - weight) + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            total_mean = new_mean
        with torch.no_grad():
            self.adapt_mean.copy_(torch.as_tensor(total_mean))
            self.adapt_variance.copy_(torch.as_tensor(total_var))

    def _check_batch(self, array: np.ndarray) -> None:
        expected = self._build_input_shape or ()
        if array.ndim != len(expected) or any(
            array.shape[d] != expected[d] for d in self._keep_axis
        ):
            raise IncompatibleShapeError(
                f"Normalization.adapt(): the layer is built for inputs of shape "
                f"{expected} (axis={self.axis}), but a batch has shape "
                f"{array.shape}. Adapt on batches shaped like the model's inputs."
            )

    @property
    def mean(self) -> torch.Tensor:
        """The mean, broadcast to the input rank (Keras' ``layer.mean``)."""
        return self._broadcast_statistic(0, "mean")

    @property
    def variance(self) -> torch.Tensor:
        """The variance, broadcast to the input rank (Keras' ``layer.variance``)."""
        return self._broadcast_statistic(1, "variance")

    def _broadcast_statistic(self, index: int, name: str) -> torch.Tensor:
        if "adapt_mean" in self._buffers:
            weight = self.adapt_mean if index == 0 else self.adapt_variance
            return weight.detach().reshape(self._broadcast_shape)
        if self.built and self.input_mean is not None:
            return torch.as_tensor(np.array(self._given[index]), dtype=torch.float32)
        # AttributeError, so that hasattr() is False before the layer is built
        # (torch's Module.__getattr__ then words the message).
        raise AttributeError(name)

    # ------------------------------------------------------------------ call

    def _statistics(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.input_mean is None:
            shape = self._broadcast_shape
            mean = self.adapt_mean.reshape(shape).to(like.dtype)
            return mean, self.adapt_variance.reshape(shape).to(like.dtype)
        key = (like.device, like.dtype)
        cached = self._constants.get(key)
        if cached is None:
            mean_np, var_np = self._given
            cached = (
                torch.as_tensor(np.array(mean_np), dtype=like.dtype,
                                device=like.device),
                torch.as_tensor(np.array(var_np), dtype=like.dtype,
                                device=like.device),
            )  # fmt: skip
            self._constants[key] = cached
        return cached

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.to(getattr(torch, self.compute_dtype))
        mean, variance = self._statistics(x)
        scale = torch.clamp(torch.sqrt(variance), min=_config.epsilon())
        if self.invert:
            return mean + x * scale
        return (x - mean) / scale

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


def _indexed(data: Any) -> Iterable[Any]:
    """The batches of a ``PyDataset``/``Sequence`` (``len`` and ``[i]``)."""
    for index in range(len(data)):
        yield data[index]
