"""``UpSampling1D/2D/3D``: enlarge the spatial axes by integer factors.

``"nearest"`` repeats each cell (as Keras does with ``repeat``); ``UpSampling2D`` also
interpolates (``"bilinear"``, ``"bicubic"``) with half-pixel centres like Keras'
``ops.image.resize``: output pixel ``i`` samples input coordinate
``(i + 0.5) / factor - 0.5``, clamped to the edges.

Example:
    >>> import torch
    >>> UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]])).flatten()
    tensor([1., 1., 2., 2.])
    >>> UpSampling2D(interpolation="bilinear")(torch.tensor([[[[0.0], [4.0]]]]))[0, 0, :, 0]
    tensor([0., 1., 3., 4.])
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from cnnkit._kernels.upsampling import upsample_nearest
from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.pooling.base_pooling import DataFormat
from cnnkit.utils.validation import to_tuple

Shape = tuple[int | None, ...]
Interpolation = Literal["nearest", "bilinear", "bicubic", "area"]

# For integer factors TensorFlow's 'area' resize gives each output pixel the one
# input pixel it lies in, i.e. exactly 'nearest'.
_NEAREST_MODES = ("nearest", "area")
_TORCH_MODES = ("bilinear", "bicubic")


class BaseUpSampling(Layer):
    """Enlarges ``rank`` spatial axes by integer ``size`` factors.

    Args:
        size: One positive factor per spatial axis.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat), or for 2-D ``"bilinear"``/``"bicubic"``
            (half-pixel centres) or ``"area"`` (same as nearest for integer factors).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).
    """

    def __init__(
        self,
        size: tuple[int, ...],
        data_format: DataFormat = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size: Any = size
        self.data_format = normalize_data_format(data_format)
        self.interpolation = interpolation
        self._factors = size
        self._layout = Layout(self.data_format, len(size))
        self._axes = self._layout.spatial_axes
        self.input_spec = InputSpec(ndim=len(size) + 2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.interpolation in _NEAREST_MODES:
            return upsample_nearest(inputs, self._layout, self._factors)
        x = self._layout.to_channels_first(inputs)  # (B, C, H, W)
        out_size = [n * f for n, f in zip(x.shape[2:], self._factors)]
        y = F.interpolate(
            x, size=out_size, mode=self.interpolation, align_corners=False
        )
        return self._layout.from_channels_first(y)  # back to the layout of `inputs`

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out = list(input_shape)
        for axis, factor in zip(self._axes, self._factors):
            if out[axis] is not None:
                out[axis] = out[axis] * factor  # type: ignore[operator]
        return tuple(out)


class UpSampling1D(BaseUpSampling):
    """Repeats each step ``size`` times.

    Args:
        size: Repetition factor (a positive int).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        ``(batch, steps, features)`` (Keras' UpSampling1D has no ``data_format``).

    Output shape:
        ``(batch, steps * size, features)``.

    Example:
        >>> import torch
        >>> UpSampling1D(size=3)(torch.zeros(2, 4, 5)).shape
        torch.Size([2, 12, 5])
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        if not isinstance(size, int) or isinstance(size, bool):
            raise InvalidTypeError(f"`size` must be an int; received size={size!r}.")
        if size <= 0:
            raise InvalidArgumentError(
                f"`size` must be a positive integer; received size={size!r}."
            )
        super().__init__((size,), "channels_last", "nearest", **kwargs)
        self.size = size

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(BaseUpSampling):
    """Enlarges images by repeating or interpolating pixels.

    Args:
        size: An int or ``(height_factor, width_factor)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat rows, then columns), ``"bilinear"`` or
            ``"bicubic"`` (half-pixel centres, edges clamped, as Keras' torch
            backend; TensorFlow's bicubic uses a slightly different cubic kernel),
            or ``"area"`` (equal to nearest for integer factors, as in TensorFlow).
            ``"lanczos3"``/``"lanczos5"`` are not available (nor are they in Keras'
            torch backend).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, height, width, channels)``
        - channels_first: ``(batch, channels, height, width)``

    Output shape:
        The same, with ``height * size[0]`` rows and ``width * size[1]`` columns.

    Example:
        >>> import torch
        >>> UpSampling2D(size=(2, 3))(torch.zeros(1, 7, 7, 16)).shape
        torch.Size([1, 14, 21, 16])
    """

    def __init__(
        self,
        size: int | tuple[int, int] = (2, 2),
        data_format: DataFormat = None,
        interpolation: Interpolation = "nearest",
        **kwargs: Any,
    ) -> None:
        allowed = (*_NEAREST_MODES, *_TORCH_MODES)
        mode = (
            interpolation.lower() if isinstance(interpolation, str) else interpolation
        )
        if mode not in allowed:
            hint = (
                " Lanczos resampling is not available on the torch engine."
                if mode in ("lanczos3", "lanczos5")
                else ""
            )
            raise InvalidArgumentError(
                f"`interpolation` must be one of {list(allowed)}; received "
                f"interpolation={interpolation!r}.{hint}"
            )
        super().__init__(to_tuple(size, 2, "size"), data_format, mode, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(BaseUpSampling):
    """Enlarges volumes by repeating voxels.

    Args:
        size: An int or ``(depth_factor, height_factor, width_factor)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, depth, height, width, channels)``
        - channels_first: ``(batch, channels, depth, height, width)``

    Output shape:
        The same, with each spatial size multiplied by its factor.

    Example:
        >>> import torch
        >>> UpSampling3D(size=2)(torch.zeros(1, 2, 3, 4, 5)).shape
        torch.Size([1, 4, 6, 8, 5])
    """

    def __init__(
        self,
        size: int | tuple[int, int, int] = (2, 2, 2),
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(to_tuple(size, 3, "size"), data_format, "nearest", **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
        }
