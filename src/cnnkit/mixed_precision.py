"""Mixed precision: ``set_global_policy('mixed_float16' | 'mixed_bfloat16')``.

Variables stay float32; ``fit``/``evaluate``/``predict`` run the forward pass under
``torch.autocast`` in the compute dtype. float16 training also scales the loss so
small gradients do not underflow (dynamic scaling, as Keras' LossScaleOptimizer).

Example:
    >>> from cnnkit import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> mixed_precision.global_policy().compute_dtype
    'bfloat16'
    >>> mixed_precision.set_global_policy("float32")
"""

from __future__ import annotations

import torch

from cnnkit.errors import InvalidArgumentError

__all__ = [
    "DTypePolicy",
    "LossScaler",
    "Policy",
    "global_policy",
    "set_global_policy",
]

_POLICIES = ("float32", "float64", "mixed_float16", "mixed_bfloat16")


class DTypePolicy:
    """A named pair of compute and variable dtypes."""

    def __init__(self, name: str = "float32") -> None:
        if name not in _POLICIES:
            raise InvalidArgumentError(
                f"Unknown dtype policy {name!r}; choose one of {list(_POLICIES)}."
            )
        self.name = name
        self.compute_dtype = name.removeprefix("mixed_")
        self.variable_dtype = "float32" if name.startswith("mixed_") else name

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy
_current = DTypePolicy("float32")


def set_global_policy(policy: str | DTypePolicy) -> None:
    """Set the policy used by training and inference from now on."""
    global _current
    _current = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)


def global_policy() -> DTypePolicy:
    return _current


class LossScaler:
    """Dynamic loss scaling for float16: halve on overflow, double after a streak."""

    def __init__(
        self, initial_scale: float = 2.0**15, growth_interval: int = 2000
    ) -> None:
        self.scale = initial_scale
        self.growth_interval = growth_interval
        self._good_steps = 0

    def unscale_and_check(self, grads: list[torch.Tensor | None]) -> bool:
        """Divide grads by the scale in place; True if all are finite (syncs once)."""
        present = [g for g in grads if g is not None]
        if not present:
            return True
        found_inf = torch.zeros(1, device=present[0].device)
        inv_scale = torch.full((1,), 1.0 / self.scale, device=present[0].device)
        torch._amp_foreach_non_finite_check_and_unscale_(present, found_inf, inv_scale)
        finite = not bool(found_inf.item())
        if finite:
            self._good_steps += 1
            if self._good_steps >= self.growth_interval:
                self.scale *= 2.0
                self._good_steps = 0
        else:
            self.scale /= 2.0
            self._good_steps = 0
        return finite
