"""What ``import tensorflow as tf`` gives under ``cnnkit run``: ``tf.keras`` and the few
``tf`` calls CNN tutorials make. Any other ``tf.X`` fails with a one-line message.

Example:
    >>> [d.device_type for d in config.list_physical_devices("CPU")]
    ['CPU']
    >>> random.normal
    Traceback (most recent call last):
    ...
    AttributeError: tf.random.normal is not available: cnnkit replaces tf.keras only ...
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit._version import __version__ as _cnnkit_version

# Without the hook (``resolve_api``, plain imports) ``tf.keras`` is still there.
from cnnkit.compat import keras_api as keras
from cnnkit.compat.hook import tf_unsupported_message
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

# `from tensorflow import *` (rare, but then it should give only these).
__all__ = ["PhysicalDevice", "__version__", "config", "keras", "random"]

# The TensorFlow release whose Keras API (Keras 3, since TF 2.16) cnnkit follows.
__version__ = f"2.16.0+cnnkit.{_cnnkit_version}"

_DEVICE_TYPES = ("CPU", "GPU")


class PhysicalDevice(tuple):
    """``tf.config.PhysicalDevice(name, device_type)``."""

    __slots__ = ()

    def __new__(cls, name: str, device_type: str) -> PhysicalDevice:
        return super().__new__(cls, (name, device_type))

    @property
    def name(self) -> str:
        return str(self[0])

    @property
    def device_type(self) -> str:
        return str(self[1])

    def __repr__(self) -> str:
        return f"PhysicalDevice(name='{self.name}', device_type='{self.device_type}')"


class _Namespace:
    """``tf.random``, ``tf.config``: the listed members, a teaching error otherwise."""

    def __init__(self, dotted: str, **members: Any) -> None:
        self._dotted = dotted
        self.__dict__.update(members)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(tf_unsupported_message(f"{self._dotted}.{name}"))

    def __repr__(self) -> str:
        return f"<cnnkit stand-in for {self._dotted}>"


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices torch can use, described the way TensorFlow does.

    Raises:
        InvalidArgumentError: ``device_type`` is not ``"CPU"`` or ``"GPU"``.
    """
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    devices += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(gpus)]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        # TensorFlow's Metal plugin lists Apple GPUs as GPU too.
        devices.append(PhysicalDevice(f"/physical_device:GPU:{gpus}", "GPU"))
    if device_type is None:
        return devices
    if not isinstance(device_type, str) or device_type.upper() not in _DEVICE_TYPES:
        raise InvalidArgumentError(
            f"tf.config.list_physical_devices: `device_type` must be one of "
            f"{list(_DEVICE_TYPES)} or None; received device_type={device_type!r}."
        )
    return [d for d in devices if d.device_type == device_type.upper()]


def _set_memory_growth(device: Any, enable: bool) -> None:
    """torch's caching allocator already grows on demand: nothing to change."""


def set_seed(seed: int) -> None:
    """``tf.random.set_seed``: seeds torch's global generator.

    TensorFlow seeds only its own generator, never numpy's or Python's; torch is the
    engine here, so its generator is the one (weights, shuffling, dropout draw from it).

    Raises:
        InvalidTypeError: ``seed`` is not an int.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidTypeError(
            f"tf.random.set_seed: `seed` must be an int; received seed={seed!r} of "
            f"type {type(seed).__name__}."
        )
    # torch refuses negative seeds; TensorFlow takes any int64, so wrap like numpy.
    torch.manual_seed(seed % 2**63)


random = _Namespace("tensorflow.random", set_seed=set_seed)
config = _Namespace(
    "tensorflow.config",
    list_physical_devices=list_physical_devices,
    PhysicalDevice=PhysicalDevice,
    experimental=_Namespace(
        "tensorflow.config.experimental",
        list_physical_devices=list_physical_devices,
        set_memory_growth=_set_memory_growth,
    ),
)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(tf_unsupported_message(f"tensorflow.{name}"))
