"""Global settings: image data format, float type, epsilon, device.

They mirror ``keras.config`` / ``keras.backend``. Unlike Keras nothing is read from a
JSON file at import time, so importing cnnkit does no I/O.

Example:
    >>> import cnnkit
    >>> cnnkit.config.image_data_format()
    'channels_last'
    >>> cnnkit.config.epsilon()
    1e-07
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import torch

from cnnkit.errors import InvalidArgumentError

__all__ = [
    "cnnkit_home",
    "doctor_enabled",
    "epsilon",
    "floatx",
    "get_device",
    "image_data_format",
    "set_device",
    "set_doctor",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]

DataFormat = Literal["channels_last", "channels_first"]
_DATA_FORMATS = ("channels_last", "channels_first")
_FLOATX = ("float16", "bfloat16", "float32", "float64")

_state: dict[str, object] = {
    "image_data_format": "channels_last",
    "floatx": "float32",
    "epsilon": 1e-7,
    "device": None,
    "doctor": None,
}


def image_data_format() -> DataFormat:
    """Return the default image layout, ``'channels_last'`` unless changed."""
    return _state["image_data_format"]  # type: ignore[return-value]


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout used by layers created with ``data_format=None``."""
    _state["image_data_format"] = normalize_data_format(data_format)


def normalize_data_format(data_format: str | None) -> DataFormat:
    """Resolve ``None`` to the global default and check the value.

    Example:
        >>> normalize_data_format("Channels_First")
        'channels_first'
    """
    if data_format is None:
        return image_data_format()
    if not isinstance(data_format, str) or data_format.lower() not in _DATA_FORMATS:
        raise InvalidArgumentError(
            f"`data_format` must be one of {list(_DATA_FORMATS)}; "
            f"received data_format={data_format!r}."
        )
    return data_format.lower()  # type: ignore[return-value]


def floatx() -> str:
    """Return the default float dtype name, ``'float32'`` unless changed."""
    return str(_state["floatx"])


def set_floatx(value: str) -> None:
    """Set the default float dtype name (``'float32'``, ``'float64'``, ...)."""
    if value not in _FLOATX:
        raise InvalidArgumentError(
            f"`floatx` must be one of {list(_FLOATX)}; received {value!r}."
        )
    _state["floatx"] = value


def epsilon() -> float:
    """Return the fuzz factor used in numeric expressions (default ``1e-7``)."""
    return float(_state["epsilon"])  # type: ignore[arg-type]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used in numeric expressions."""
    _state["epsilon"] = float(value)


def _auto_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def get_device() -> torch.device:
    """Return the device training runs on: the one set, else CUDA, then MPS, then CPU."""
    chosen = _state["device"]
    if chosen is None:
        return _auto_device()
    return chosen  # type: ignore[return-value]


def set_device(device: str | torch.device | None) -> None:
    """Pin the device for ``fit``/``evaluate``/``predict``; ``None`` restores auto.

    Example:
        >>> set_device("cpu"); get_device()
        device(type='cpu')
        >>> set_device(None)
    """
    if device is None:
        _state["device"] = None
        return
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidArgumentError(
            f"`device` must be a torch device string such as 'cpu', 'cuda' or "
            f"'cuda:1'; received device={device!r}."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgumentError(
            f"set_device({device!r}): CUDA is not available on this machine. "
            "Use set_device('cpu') or set_device(None) to pick automatically."
        )
    _state["device"] = resolved


def cnnkit_home() -> Path:
    """Directory for caches and settings: ``$CNNKIT_HOME`` or ``~/.cnnkit``."""
    return Path(os.environ.get("CNNKIT_HOME") or Path.home() / ".cnnkit")


_OFF = ("0", "false", "off", "no")


def doctor_enabled() -> bool:
    """Whether the doctor runs: its checks when ``fit`` starts (``DoctorWarning``)
    and the hints of the ``callbacks.Doctor`` callback.

    On by default. ``set_doctor(False)`` turns it off; without a call, the
    environment variable ``CNNKIT_DOCTOR`` decides (``0``, ``false``, ``off`` or
    ``no`` turn it off), read each time so a test or a shell can flip it.

    Example:
        >>> set_doctor(False); doctor_enabled()
        False
        >>> set_doctor(None)
    """
    chosen = _state["doctor"]
    if chosen is not None:
        return bool(chosen)
    return os.environ.get("CNNKIT_DOCTOR", "1").strip().lower() not in _OFF


def set_doctor(enabled: bool | None) -> None:
    """Turn the doctor on (``True``) or off (``False``); ``None`` defers to
    ``$CNNKIT_DOCTOR`` again."""
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidArgumentError(
            f"`set_doctor` takes True, False or None; received {enabled!r}. "
            "Use `cnnkit.config.set_doctor(False)` to silence the doctor."
        )
    _state["doctor"] = enabled
