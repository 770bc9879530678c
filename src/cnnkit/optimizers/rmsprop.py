"""RMSprop with Keras' epsilon inside the square root, centered and momentum variants.

Example:
    >>> import torch
    >>> from cnnkit.optimizers import RMSprop
    >>> opt = RMSprop()
    >>> opt.name.startswith("rm_sprop"), opt.get_config()["rho"]
    (True, 0.9)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton, lecture 6e), as ``keras.optimizers.RMSprop`` computes it.

    ``v = rho * v + (1 - rho) * g**2``; ``step = lr * g / sqrt(v + epsilon)``
    (epsilon inside the root; torch adds it outside). Centered: a running mean ``a``
    of ``g`` is kept and the root is ``sqrt(v - a**2 + epsilon)``. With momentum:
    ``mom = momentum * mom + step``; ``w -= mom``; otherwise ``w -= step``.

    This is the default optimizer of Keras' ``compile()``.

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        rho: Decay of the squared-gradient average.
        momentum: Momentum factor; 0 disables it (and its slot).
        epsilon: Numerical-stability constant (None means 1e-7).
        centered: Normalise by the estimated variance instead of the raw second
            moment.
        **kwargs: The base arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float | None = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.rho = _args.check_float(rho, "rho", "RMSprop")
        self.momentum = _args.check_float(momentum, "momentum", "RMSprop")
        self.epsilon = self._epsilon(epsilon)
        self.centered = bool(centered)

    def _slot_groups(self) -> SlotGroups:
        # Keras creates them in this order: velocity, momentum, average_gradient.
        groups: SlotGroups = [(("velocity",), 0.0)]
        if self.momentum > 0:
            groups.append((("momentum",), 0.0))
        if self.centered:
            groups.append((("average_gradient",), 0.0))
        return groups

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        rho = self.rho
        velocities = slots["velocity"]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1.0 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = slots["average_gradient"]
            torch._foreach_lerp_(averages, grads, 1.0 - rho)
            torch._foreach_addcmul_(denominators, averages, averages, value=-1.0)
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            momentums = slots["momentum"]
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_addcdiv_(momentums, grads, denominators, value=lr)
            torch._foreach_sub_(params, momentums)
        else:
            torch._foreach_addcdiv_(params, grads, denominators, value=-lr)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
