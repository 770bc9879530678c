"""Adam and AdamW with Keras' epsilon placement (the "epsilon hat" form).

Example:
    >>> import torch
    >>> from cnnkit.optimizers import Adam
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> Adam(learning_rate=0.1).apply([torch.tensor([3.0])], [w])
    >>> round(w.item(), 4)  # the first Adam step moves each weight by about lr
    0.9
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), exactly as ``keras.optimizers.Adam`` computes it.

    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
    ``w -= alpha * m / (sqrt(v) + epsilon)``, with ``t`` the 1-based step. Epsilon is
    added to the *uncorrected* ``sqrt(v)``, so with the same numbers it weighs
    differently than in ``torch.optim.Adam`` (whose default epsilon is also 1e-8).

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the second-moment estimate.
        epsilon: Numerical-stability constant (None means 1e-7, as in Keras 2).
        amsgrad: Use the running maximum of ``v`` (Reddi et al. 2018).
        **kwargs: The base arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
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
        owner = type(self).__name__
        self.beta_1 = _args.check_float(beta_1, "beta_1", owner)
        self.beta_2 = _args.check_float(beta_2, "beta_2", owner)
        self.epsilon = self._epsilon(epsilon)
        self.amsgrad = bool(amsgrad)

    def _slot_groups(self) -> SlotGroups:
        groups: SlotGroups = [(("momentum", "velocity"), 0.0)]
        if self.amsgrad:
            groups.append((("velocity_hat",), 0.0))
        return groups

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        t = self.iterations + 1
        alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - self.beta_2)
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denominators = torch._foreach_sqrt(v)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(params, m, denominators, value=-alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as Keras' AdamW.

    Same update as ``Adam``, preceded by ``w -= w * weight_decay * lr``. Keras'
    default ``weight_decay`` is 0.004 (torch's is 0.01) and its epsilon 1e-7 (torch's
    1e-8).

    Raises:
        InvalidArgumentError: If ``weight_decay`` is None.

    Example:
        >>> AdamW().weight_decay
        0.004
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        weight_decay: float | None = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
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
        if weight_decay is None:
            raise InvalidArgumentError(
                "AdamW: `weight_decay` must be a float; received weight_decay=None. "
                "Pass a value such as weight_decay=0.004 (the default), or use Adam "
                "for no weight decay."
            )
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
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
