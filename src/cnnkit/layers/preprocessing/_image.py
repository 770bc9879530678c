"""Shared plumbing of the image layers: layout, single-vs-batch images, randomness.

Every image layer accepts a batch ``(batch, height, width, channels)`` or one image
``(height, width, channels)`` (``channels_first``: channels before the spatial axes),
like Keras. Inside, images are handled as ``(B, C, H, W)`` *views*: a contiguous
channels_last batch viewed that way is torch's ``channels_last`` memory format, which
``grid_sample``/``interpolate`` read without a copy.

Random layers draw from a layer-owned ``torch.Generator`` when given ``seed=``, else
from torch's global generator, so ``torch.manual_seed``/``set_random_seed`` make a run
reproducible. Draws happen on the images' device: no host round trip per call.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Sequence
from typing import Any, Literal

import torch

from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.preprocessing._warp import affine_warp
from cnnkit.utils.validation import check_choice, shape_error

Shape = tuple[int | None, ...]
FillMode = Literal["reflect", "wrap", "constant", "nearest"]
Interpolation = Literal["nearest", "bilinear"]
FILL_MODES: tuple[str, ...] = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS: tuple[str, ...] = ("nearest", "bilinear")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_size(value: Any, name: str) -> int:
    """A target height or width: a positive int (numpy ints accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise InvalidArgumentError(
            f"`{name}` must be a positive integer (a size in pixels); "
            f"received {name}={value!r}."
        )
    return int(value)


def check_seed(seed: Any) -> int | None:
    """``None`` (torch's global generator) or an int seeding the layer's own."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InvalidTypeError(
            f"`seed` must be an int or None; received seed={seed!r}. Pass an int "
            "such as seed=42 for a reproducible layer, or None to use torch's "
            "global generator (seeded by torch.manual_seed)."
        )
    return int(seed)


def check_fill_value(value: Any) -> Any:
    if not _is_number(value):
        raise InvalidTypeError(
            f"`fill_value` must be a number; received fill_value={value!r}."
        )
    return value


def factor_range(
    factor: Any,
    name: str,
    bounds: tuple[float, float],
    meaning: str,
    *,
    open_low: bool = False,
) -> tuple[Any, Any]:
    """Keras' factor rule: ``f`` means ``(max(-|f|, low), |f|)``; a pair is sorted.

    ``bounds`` limit every number given (``open_low`` excludes the lower bound, as
    RandomZoom does); ``meaning`` is appended to the error to say what the number is.
    """
    low, high = bounds
    interval = f"{'(' if open_low else '['}{low}, {high}]"
    error = InvalidArgumentError(
        f"`{name}` must be a number or a pair of numbers (lower, upper), each in "
        f"{interval}; received {name}={factor!r}. {meaning}"
    )
    if isinstance(factor, (tuple, list)):
        values = list(factor)
        if len(values) != 2:
            raise error
    elif _is_number(factor):
        values = [factor]
    else:
        raise InvalidTypeError(str(error))
    for value in values:
        if not _is_number(value):
            raise InvalidTypeError(str(error))
        if value > high or value < low or (open_low and value == low):
            raise error
    if len(values) == 1:
        single = abs(values[0])
        return max(-single, low), single
    lower, upper = sorted(values)
    return lower, upper


def check_value_range(value_range: Any) -> tuple[float, float]:
    """A ``(low, high)`` pair of numbers bounding the pixel values."""
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(_is_number(v) for v in value_range)
    ):
        raise InvalidArgumentError(
            "`value_range` must be a pair of numbers (low, high) giving the range of "
            f"the pixel values, e.g. (0, 255) or (0, 1); received "
            f"value_range={value_range!r}."
        )
    return value_range[0], value_range[1]


class BaseImageLayer(Layer):
    """An image layer: ``data_format``, rank-3-or-4 inputs, ``(B, C, H, W)`` views."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self._layout = Layout(self.data_format, 2)  # a batch (B, H, W, C)
        self._image = Layout(self.data_format, 2, batched=False)  # one (H, W, C)
        self.input_spec = InputSpec(min_ndim=3, max_ndim=4)

    def _rank_hint(self, expected: int, shape: Shape) -> str:
        axes = self._layout.join("batch", ("height", "width"), "channels")
        layout = f"({', '.join(axes)})"
        if len(shape) == 2:
            return (
                f"Image layers take a batch {layout} or one image without the batch "
                "axis. For grayscale images add the channel axis, e.g. "
                "`x = x[..., None]`."
            )
        return (
            f"Image layers take a batch {layout} or one image without the batch axis."
        )

    def _layout_of_rank(self, rank: int) -> Layout:
        """The layout of a 3-D (one image) or 4-D (a batch) input."""
        return self._image if rank == 3 else self._layout

    def _hw_axes(self, rank: int) -> tuple[int, ...]:
        """Index of the height and width axes for an input of ``rank``."""
        return self._layout_of_rank(rank).spatial_axes

    def _check_rank(self, input_shape: Shape) -> None:
        if len(input_shape) not in (3, 4):
            raise shape_error(
                self,
                input_shape,
                "image layers expect 4-D input (a batch) or 3-D input (one image)",
                "Reshape the input to (batch, height, width, channels) or "
                "(height, width, channels).",
                {"data_format": self.data_format},
            )

    def _resized_shape(self, input_shape: Shape, height: int, width: int) -> Shape:
        """``input_shape`` with its height and width replaced."""
        self._check_rank(input_shape)
        layout = self._layout_of_rank(len(input_shape))
        batch, _, channels = layout.split(input_shape)
        return layout.join(batch, (height, width), channels)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        return tuple(input_shape)

    def _float(self, inputs: torch.Tensor) -> torch.Tensor:
        """The images in the compute dtype (a no-op when they already are)."""
        return inputs.to(getattr(torch, self.compute_dtype))

    def _to_nchw(self, images: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """A ``(B, C, H, W)`` view of ``images`` and whether they were one image."""
        single = images.dim() == 3
        if single:
            images = images.unsqueeze(0)  # (1, ...)
        return self._layout.to_channels_first(images), single  # (B, C, H, W) view

    def _from_nchw(self, images: torch.Tensor, single: bool) -> torch.Tensor:
        """Undo ``_to_nchw``."""
        images = self._layout.from_channels_first(images)  # the input's layout, a view
        return images.squeeze(0) if single else images

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class BaseRandomLayer(BaseImageLayer):
    """An augmentation layer: random when training (the default), identity when not."""

    def __init__(
        self, seed: int | None = None, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = check_seed(seed)
        # One generator per device: torch samples on a device only from a generator
        # that lives there, and sampling on the device needs no host round trip.
        self._generators: dict[torch.device, torch.Generator] = {}

    @staticmethod
    def _augmenting(training: bool | None) -> bool:
        """``training=None`` means the default of ``call``: augment (Keras)."""
        return True if training is None else bool(training)

    def _generator(self, device: torch.device) -> torch.Generator | None:
        if self.seed is None:
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device)
            generator.manual_seed(self.seed)
            self._generators[device] = generator
        return generator

    def _uniform(
        self, shape: Sequence[int], low: float, high: float, like: torch.Tensor
    ) -> torch.Tensor:
        """Samples of ``U(low, high)`` on ``like``'s device and dtype (``low`` when
        the range is empty)."""
        noise = torch.rand(
            tuple(shape),
            generator=self._generator(like.device),
            device=like.device,
            dtype=like.dtype,
        )
        return low + (high - low) * noise


class BaseAffineLayer(BaseRandomLayer, abc.ABC):
    """A geometric augmentation: ``fill_mode``, ``interpolation``, ``fill_value``."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = check_choice(fill_mode, FILL_MODES, "fill_mode")
        self.interpolation = check_choice(
            interpolation, INTERPOLATIONS, "interpolation"
        )
        self.fill_value = check_fill_value(fill_value)

    # Abstract: each affine augmentation defines its ranges and its matrices.
    @abc.abstractmethod
    def _is_identity(self) -> bool:
        """Whether the configured ranges allow only the identity (skip the warp)."""

    @abc.abstractmethod
    def _matrix(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Per-sample ``(a0, a1, a2, b0, b1, b2)``, each ``(B,)``, for ``(B, C, H, W)``
        images: output pixel ``(x, y)`` samples input ``(a0x+a1y+a2, b0x+b1y+b2)``."""

    def call(self, inputs: torch.Tensor, training: bool | None = True) -> torch.Tensor:
        images = self._float(inputs)
        if not self._augmenting(training) or self._is_identity():
            return images
        batch, single = self._to_nchw(images)
        out = affine_warp(
            batch,
            self._matrix(batch),
            self.interpolation,
            self.fill_mode,
            self.fill_value,
        )
        # grid_sample writes NCHW memory. For channels_last data, one copy into
        # channels_last memory (the contiguous NHWC tensor of the Keras layout) keeps
        # every later conv and pool on torch's channels_last kernels (DESIGN decision
        # 2); channels_first data is already contiguous, so nothing is copied.
        out = out.contiguous(memory_format=self._layout.memory_format)
        return self._from_nchw(out, single)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }
