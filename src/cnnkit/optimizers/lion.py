"""Lion: sign-of-momentum updates (Chen et al. 2023, "Symbolic Discovery...").

Example:
    >>> import torch
    >>> from cnnkit.optimizers import Lion
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 1.0]))
    >>> Lion(learning_rate=0.1).apply([torch.tensor([5.0, -0.01])], [w])
    >>> w.tolist()  # every weight moves by exactly lr
    [0.8999999761581421, 1.100000023841858]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion, as ``keras.optimizers.Lion`` computes it.

    ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``. Steps have the same size for every
    weight, so Lion usually wants a learning rate 3-10x smaller than Adam's.

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        beta_1: Interpolation used for the update direction, in ``(0, 1]``.
        beta_2: Decay of the momentum.
        **kwargs: The base arguments of ``Optimizer``.

    Raises:
        InvalidArgumentError: If ``beta_1`` is outside ``(0, 1]`` (it would reduce
            to sign SGD).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
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
        self.beta_1 = _args.check_in_range(
            beta_1, "beta_1", "Lion", 0.0, 1.0, low_inclusive=False
        )
        self.beta_2 = _args.check_float(beta_2, "beta_2", "Lion")

    def _slot_groups(self) -> SlotGroups:
        return [(("momentum",), 0.0)]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        momentums = slots["momentum"]
        directions = torch._foreach_lerp(momentums, grads, 1.0 - self.beta_1)
        torch._foreach_sign_(directions)
        torch._foreach_add_(params, directions, alpha=-lr)
        torch._foreach_lerp_(momentums, grads, 1.0 - self.beta_2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
