"""Adadelta: steps scaled by the ratio of running RMS of updates and of gradients.

Example:
    >>> from cnnkit.optimizers import Adadelta
    >>> Adadelta().get_config()["rho"]
    0.95
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), as ``keras.optimizers.Adadelta`` computes it.

    ``acc_g = rho * acc_g + (1 - rho) * g**2``;
    ``delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps)``;
    ``acc_d = rho * acc_d + (1 - rho) * delta**2``; ``w += lr * delta``.
    Keras 3's default learning rate is 0.001 (Keras 2 and the paper used 1.0).

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        rho: Decay rate of both running averages.
        epsilon: Numerical-stability constant (None means 1e-7).
        **kwargs: The base arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.95,
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
        self.rho = _args.check_float(rho, "rho", "Adadelta")
        self.epsilon = self._epsilon(epsilon)

    def _slot_groups(self) -> SlotGroups:
        return [(("accumulated_grad", "accumulated_delta_var"), 0.0)]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        rho, eps = self.rho, self.epsilon
        acc_grads, acc_deltas = (
            slots["accumulated_grad"],
            slots["accumulated_delta_var"],
        )
        torch._foreach_mul_(acc_grads, rho)
        torch._foreach_addcmul_(acc_grads, grads, grads, value=1.0 - rho)
        # delta = -rms(acc_deltas) * g / rms(acc_grads), with rms(x) = sqrt(x + eps)
        deltas = torch._foreach_add(acc_deltas, eps)
        torch._foreach_sqrt_(deltas)
        torch._foreach_mul_(deltas, grads)
        grad_rms = torch._foreach_add(acc_grads, eps)
        torch._foreach_sqrt_(grad_rms)
        torch._foreach_div_(deltas, grad_rms)
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(acc_deltas, rho)
        torch._foreach_addcmul_(acc_deltas, deltas, deltas, value=1.0 - rho)
        torch._foreach_add_(params, deltas, alpha=lr)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
