"""Adagrad: per-weight steps shrinking with the sum of past squared gradients.

Example:
    >>> import torch
    >>> from cnnkit.optimizers import Adagrad
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> Adagrad(learning_rate=0.1, initial_accumulator_value=0.0).apply(
    ...     [torch.tensor([2.0])], [w])
    >>> round(w.item(), 4)  # 1 - 0.1 * 2 / sqrt(4)
    0.9
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), as ``keras.optimizers.Adagrad`` computes it.

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``, with ``acc`` starting at
    ``initial_accumulator_value``.

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        initial_accumulator_value: Starting value of the accumulators.
        epsilon: Numerical-stability constant (None means 1e-7).
        **kwargs: The base arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        initial_accumulator_value: float = 0.1,
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
        self.initial_accumulator_value = _args.check_float(
            initial_accumulator_value, "initial_accumulator_value", "Adagrad"
        )
        self.epsilon = self._epsilon(epsilon)

    def _slot_groups(self) -> SlotGroups:
        return [(("accumulator",), self.initial_accumulator_value)]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        accumulators = slots["accumulator"]
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_addcdiv_(params, grads, denominators, value=-lr)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
