"""``Rescaling``: ``x * scale + offset`` in float32, e.g. pixels 0..255 → 0..1.

Example:
    >>> import numpy as np
    >>> pixels = np.array([[0, 51, 255]], dtype="uint8")
    >>> Rescaling(1.0 / 255)(pixels)
    tensor([[0.0000, 0.2000, 1.0000]])
    >>> Rescaling(1.0 / 127.5, offset=-1.0)(pixels).dtype
    torch.float32
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from cnnkit import config as _config
from cnnkit.errors import InvalidTypeError
from cnnkit.layers.base.layer import Layer

Shape = tuple[int | None, ...]


def _check_number_or_array(value: Any, name: str) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        inner = value["config"]  # Keras' serialised numpy array (from a config)
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        array = np.asarray(value)
        if array.dtype.kind in "iuf" and array.ndim >= 1:
            return value
    raise InvalidTypeError(
        f"`{name}` must be a number, or a list/array of numbers (one per channel); "
        f"received {name}={value!r}."
    )


def _serialize(value: Any) -> Any:
    if isinstance(value, np.ndarray):  # the form Keras writes for numpy arrays
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": str(value.dtype)},
        }
    return value


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``, in the compute dtype.

    Integer inputs (``uint8`` images) are cast to float first. It rescales during
    training and inference alike.

    Args:
        scale: A number, or one number per channel (a list or array broadcast over
            the channel axis of ``keras.config.image_data_format()``).
        offset: A number, or one number per channel.

    Input shape:
        Any shape.

    Output shape:
        The input shape.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = _check_number_or_array(scale, "scale")
        self.offset = _check_number_or_array(offset, "offset")
        # Per-channel values as tensors, made once per device, dtype and layout: no
        # host-to-device copy on every call.
        self._constants: dict[tuple[Any, ...], torch.Tensor] = {}

    def _as_tensor(self, name: str, like: torch.Tensor) -> Any:
        value = getattr(self, name)
        if isinstance(value, numbers.Real):
            return value  # a Python scalar: no tensor to create or move
        layout = _config.image_data_format()
        key = (name, like.device, like.dtype, layout)
        tensor = self._constants.get(key)
        if tensor is None:
            tensor = torch.as_tensor(
                np.asarray(value), dtype=like.dtype, device=like.device
            )
            if tensor.dim() > 0 and layout == "channels_first":
                # Per-channel values meet (C, H, W) data: put them on the channel axis.
                extra = [1] * max(0, 3 - tensor.dim())
                tensor = tensor.reshape(*tensor.shape, *extra)
            self._constants[key] = tensor
        return tensor

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.to(getattr(torch, self.compute_dtype))
        return x * self._as_tensor("scale", x) + self._as_tensor("offset", x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": _serialize(self.scale),
            "offset": _serialize(self.offset),
        }
