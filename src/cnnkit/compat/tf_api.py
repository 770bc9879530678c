"""What ``import tensorflow as tf`` gives under ``cnnkit run``: ``tf.keras`` and the few
``tf`` calls CNN tutorials make. Any other ``tf.X`` fails with a one-line message.
"""

from __future__ import annotations

import types
from typing import Any

import torch

from cnnkit import __version__ as _cnnkit_version
from cnnkit.utils.rng import set_random_seed

__version__ = f"2.16.0+cnnkit.{_cnnkit_version}"


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


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices torch sees, described the way TensorFlow does."""
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if torch.cuda.is_available():
        devices += [
            PhysicalDevice(f"/physical_device:GPU:{i}", "GPU")
            for i in range(torch.cuda.device_count())
        ]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(PhysicalDevice("/physical_device:GPU:0", "GPU"))
    if device_type is None:
        return devices
    return [d for d in devices if d.device_type == device_type.upper()]


def _set_memory_growth(device: Any, enable: bool) -> None:
    """torch's caching allocator already grows on demand: nothing to change."""


def set_seed(seed: int) -> None:
    """``tf.random.set_seed``: seeds torch, numpy and Python's random."""
    set_random_seed(int(seed))


random = types.SimpleNamespace(set_seed=set_seed)
config = types.SimpleNamespace(
    list_physical_devices=list_physical_devices,
    experimental=types.SimpleNamespace(
        list_physical_devices=list_physical_devices,
        set_memory_growth=_set_memory_growth,
    ),
)


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"tf.{name} is not available: cnnkit replaces tf.keras only (TensorFlow is not "
        "installed). Use tf.keras.*, or numpy/torch for the rest."
    )
