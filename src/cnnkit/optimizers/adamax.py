"""Adamax: Adam with the infinity norm in place of the second moment.

Example:
    >>> import torch
    >>> from cnnkit.optimizers import Adamax
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> Adamax(learning_rate=0.1).apply([torch.tensor([2.0])], [w])
    >>> round(w.item(), 4)  # the first step is lr * sign(g)
    0.9
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba 2015, §7), as ``keras.optimizers.Adamax`` computes it.

    ``m = beta_1 * m + (1 - beta_1) * g``; ``u = max(beta_2 * u, |g|)``;
    ``w -= lr * m / ((u + epsilon) * (1 - beta_1**t))``.

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the infinity-norm estimate.
        epsilon: Numerical-stability constant (None means 1e-7).
        **kwargs: The base arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
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
        self.beta_1 = _args.check_float(beta_1, "beta_1", "Adamax")
        self.beta_2 = _args.check_float(beta_2, "beta_2", "Adamax")
        self.epsilon = self._epsilon(epsilon)

    def _slot_groups(self) -> SlotGroups:
        return [(("momentum", "norm"), 0.0)]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        t = self.iterations + 1
        m, u = slots["momentum"], slots["norm"]
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominators = torch._foreach_add(u, self.epsilon)
        torch._foreach_mul_(denominators, 1.0 - self.beta_1**t)
        torch._foreach_addcdiv_(params, m, denominators, value=-lr)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
