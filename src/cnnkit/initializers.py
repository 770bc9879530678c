"""Weight initializers with Keras' formulas, string ids and configs (KERAS_SPEC §1.4).

Shapes are Keras shapes (``(kh, kw, in, out)`` for a Conv2D kernel), so fans are
computed exactly as Keras does: for rank >= 3 the receptive field multiplies both fans.

Example:
    >>> init = get("glorot_uniform")
    >>> w = init((5, 5, 1, 32))
    >>> bool(w.abs().max() <= (6 / (25 * 1 + 25 * 32)) ** 0.5)
    True
    >>> compute_fans((3, 3, 1, 32))
    (9.0, 288.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cnnkit import config as _config
from cnnkit import serialization
from cnnkit.errors import InvalidArgumentError

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "deserialize",
    "get",
    "serialize",
]

Shape = Sequence[int]


def compute_fans(shape: Shape) -> tuple[float, float]:
    """``(fan_in, fan_out)`` with Keras' receptive-field rule."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive_field = math.prod(shape[:-2])
    return float(shape[-2] * receptive_field), float(shape[-1] * receptive_field)


def _dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, dtype or _config.floatx())


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a new tensor of that shape."""

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} must implement __call__.")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    """An initializer with an optional seed; unseeded ones use torch's global RNG."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not isinstance(seed, int):
            raise InvalidArgumentError(
                f"`seed` must be an int or None; received seed={seed!r}."
            )
        self.seed = seed
        self._calls = 0

    def _generator(self) -> torch.Generator | None:
        if self.seed is None:
            return None
        # A seeded initializer gives different values on each call (as Keras' does)
        # but the same sequence in every run.
        gen = torch.Generator().manual_seed(self.seed + self._calls)
        self._calls += 1
        return gen

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class Zeros(Initializer):
    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        return torch.zeros(tuple(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        return torch.ones(tuple(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        value = torch.as_tensor(np.asarray(self.value), dtype=_dtype(dtype))
        return value.expand(tuple(shape)).clone()

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class RandomNormal(_Seeded):
    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        out = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return out.normal_(self.mean, self.stddev, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_Seeded):
    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        out = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return out.uniform_(self.minval, self.maxval, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


def _truncated_normal(
    shape: Shape,
    mean: float,
    stddev: float,
    dtype: torch.dtype,
    gen: torch.Generator | None,
) -> torch.Tensor:
    """Normal samples re-drawn until within two standard deviations (as TF does)."""
    out = torch.empty(tuple(shape), dtype=dtype).normal_(0.0, 1.0, generator=gen)
    while True:
        bad = out.abs() > 2.0
        if not bool(bad.any()):
            break
        out[bad] = torch.empty(int(bad.sum()), dtype=dtype).normal_(
            0.0, 1.0, generator=gen
        )
    return out * stddev + mean


class TruncatedNormal(_Seeded):
    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        return _truncated_normal(
            shape, self.mean, self.stddev, _dtype(dtype), self._generator()
        )

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_Seeded):
    """Samples scaled by ``scale / fan``; the basis of Glorot, He and LeCun."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Any = None,
        output_axes: Any = None,
    ) -> None:
        super().__init__(seed)
        if input_axes is not None or output_axes is not None:
            # Keras >= 3.15 writes them (None) in every config; fans over chosen
            # axes (for einsum-style kernels) are not implemented.
            raise InvalidArgumentError(
                "VarianceScaling: `input_axes` and `output_axes` must be None (fans "
                "come from the kernel's Keras layout); received "
                f"input_axes={input_axes!r}, output_axes={output_axes!r}."
            )
        if scale <= 0.0:
            raise InvalidArgumentError(
                f"`scale` must be positive; received scale={scale!r}."
            )
        if mode not in _MODES:
            raise InvalidArgumentError(
                f"`mode` must be one of {list(_MODES)}; received mode={mode!r}."
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise InvalidArgumentError(
                f"`distribution` must be one of {list(_DISTRIBUTIONS)}; received "
                f"distribution={distribution!r}."
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        return self.sample(shape, dtype, compute_fans(shape))

    def sample(
        self,
        shape: Shape,
        dtype: str | torch.dtype | None,
        fans: tuple[float, float],
    ) -> torch.Tensor:
        """Draw with given ``(fan_in, fan_out)``: a layer whose kernel axes are not
        Keras' ``(..., in, out)`` (EinsumDense) passes the fans Keras computes from
        its input and output axes."""
        fan_in, fan_out = fans
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        scale = self.scale / max(1.0, fan[self.mode])
        torch_dtype, gen = _dtype(dtype), self._generator()
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated to (-2, 2).
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _truncated_normal(shape, 0.0, stddev, torch_dtype, gen)
        if self.distribution == "untruncated_normal":
            out = torch.empty(tuple(shape), dtype=torch_dtype)
            return out.normal_(0.0, math.sqrt(scale), generator=gen)
        limit = math.sqrt(3.0 * scale)
        return torch.empty(tuple(shape), dtype=torch_dtype).uniform_(
            -limit, limit, generator=gen
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": None,
            "output_axes": None,
        }


class _Preset(VarianceScaling):
    """A VarianceScaling whose config is only the seed (Keras also writes axes)."""

    _preset: tuple[float, str, str] = (1.0, "fan_avg", "uniform")

    def __init__(self, seed: int | None = None, **axes: Any) -> None:
        # Keras >= 3.15 writes input_axes/output_axes (always None for our layers).
        if any(v is not None for v in axes.values()) or set(axes) - {
            "input_axes",
            "output_axes",
        }:
            raise InvalidArgumentError(
                f"{type(self).__name__} accepts only `seed` (and input_axes/output_axes="
                f"None); received {axes!r}."
            )
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": None, "output_axes": None}


class GlorotUniform(_Preset):
    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    _preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    _preset = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    _preset = (1.0, "fan_in", "uniform")


class Orthogonal(_Seeded):
    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        shape = tuple(shape)
        if len(shape) < 2:
            raise InvalidArgumentError(
                f"Orthogonal initializer needs a shape of rank >= 2; received {shape}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = torch.empty(max(rows, cols), min(rows, cols)).normal_(
            generator=self._generator()
        )
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))  # makes the decomposition unique
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).to(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        if len(shape) != 2:
            raise InvalidArgumentError(
                f"Identity initializer needs a 2-D shape; received {tuple(shape)}."
            )
        return self.gain * torch.eye(shape[0], shape[1], dtype=_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


_CLASSES: dict[str, type[Initializer]] = {
    cls.__name__: cls
    for cls in (
        Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
        VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
        LecunNormal, LecunUniform, Orthogonal, Identity,
    )
}  # fmt: skip
_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal,
    "random_uniform": RandomUniform, "uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform, "orthogonal": Orthogonal, "identity": Identity,
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
}  # fmt: skip
_REGISTRY = serialization.Registry(
    "initializer",
    _CLASSES,
    aliases=_ALIASES,
    base=Initializer,
    module="keras.initializers",
    accepts="a string id such as 'glorot_uniform', a config dict, an `Initializer` "
    "instance or a callable(shape, dtype)",
    type_error=InvalidArgumentError,
)


class _CallableInitializer(Initializer):
    """Wraps a user function ``fn(shape, dtype=None)`` returning an array or tensor."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(
        self, shape: Shape, dtype: str | torch.dtype | None = None
    ) -> torch.Tensor:
        return torch.as_tensor(
            np.asarray(self.fn(tuple(shape), dtype)), dtype=_dtype(dtype)
        )


def get(identifier: Any) -> Initializer:
    """Resolve a string id, a config dict, an instance, a class or a callable.

    Raises:
        InvalidArgumentError: None, an unknown id (with close matches and the valid
            ids), or something that is none of the above.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None, input_axes=None, output_axes=None)
        >>> get(lambda shape, dtype=None: [[1.0] * shape[1]] * shape[0])((1, 2))
        tensor([[1., 1.]])
    """
    if identifier is None:
        raise InvalidArgumentError("An initializer is required; received None.")
    found = _REGISTRY.get(identifier)
    return found if isinstance(found, Initializer) else _CallableInitializer(found)


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Keras' ``{module, class_name, config, registered_name}`` form.

    Example:
        >>> serialize(Constant(0.5))["config"]
        {'value': 0.5}
    """
    return _REGISTRY.serialize(initializer)


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Initializer:
    """Rebuild an initializer from :func:`serialize`'s output (or a string id).

    Example:
        >>> deserialize({"class_name": "Constant", "config": {"value": 2.0}})
        Constant(value=2.0)
    """
    return _REGISTRY.deserialize(config, custom_objects)
