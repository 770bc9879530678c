"""Stochastic gradient descent, with Keras' momentum (learning rate folded in).

Example:
    >>> import torch
    >>> from cnnkit.optimizers import SGD
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = SGD(learning_rate=0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     opt.apply([torch.tensor([1.0])], [w])
    >>> round(w.item(), 4)  # steps of 0.1, then 0.5 * 0.1 + 0.1
    0.75
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as ``keras.optimizers.SGD``.

    Without momentum: ``w -= lr * g``. With momentum the buffer holds the step itself,
    ``m = momentum * m - lr * g``, then ``w += m``; Nesterov uses
    ``w += momentum * m - lr * g`` with the new ``m``. Unlike ``torch.optim.SGD``
    the learning rate is inside the buffer, so changing it mid-training acts
    gradually, as in Keras.

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.01.
        momentum: In ``[0, 1]``; 0 disables momentum (and its slot).
        nesterov: Use Nesterov momentum.
        **kwargs: The base arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``name``, ...).

    Raises:
        InvalidArgumentError: If ``momentum`` is outside ``[0, 1]``.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
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
        self.momentum = _args.check_in_range(momentum, "momentum", "SGD", 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def _slot_groups(self) -> SlotGroups:
        return [(("momentum",), 0.0)] if self.momentum != 0 else []

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        if self.momentum == 0:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        momentums = slots["momentum"]
        torch._foreach_mul_(momentums, self.momentum)
        torch._foreach_add_(momentums, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, momentums, alpha=self.momentum)
        else:
            torch._foreach_add_(params, momentums)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
        }
