"""Nadam: Adam with Nesterov momentum and Dozat's momentum-cache schedule.

Example:
    >>> import torch
    >>> from cnnkit.optimizers import Nadam
    >>> opt = Nadam()
    >>> opt.build([torch.zeros(2)], names=["dense/bias"])
    >>> opt.variable_names
    ['iteration', 'learning_rate', 'dense_bias_momentum', 'dense_bias_velocity', \
'u_product']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from cnnkit.optimizers import _args
from cnnkit.optimizers._state import SlotGroups
from cnnkit.optimizers.base import LearningRate, Optimizer

__all__ = ["Nadam"]

# Dozat (2016): the momentum coefficient warms up as beta_1 * (1 - 0.5 * 0.96**t).
_CACHE_DECAY = 0.96


class Nadam(Optimizer):
    """Nadam (Dozat 2016), as ``keras.optimizers.Nadam`` computes it.

    With ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and ``P_t = u_1 * ... * u_t``:
    ``m_hat = u_{t+1} * m / (1 - P_{t+1}) + (1 - u_t) * g / (1 - P_t)``,
    ``v_hat = v / (1 - beta_2**t)``, ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``.
    The running product ``P_t`` is optimizer state: it is the last entry of
    ``variables``, named ``u_product`` (Keras leaves it unnamed: ``variable``).

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the second-moment estimate.
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
        self.beta_1 = _args.check_float(beta_1, "beta_1", "Nadam")
        self.beta_2 = _args.check_float(beta_2, "beta_2", "Nadam")
        self.epsilon = self._epsilon(epsilon)
        # A host-side float: updating it never waits for the GPU.
        self._u_product = 1.0

    def _slot_groups(self) -> SlotGroups:
        return [(("momentum", "velocity"), 0.0)]

    def _extra_variables(self) -> list[tuple[str, torch.Tensor]]:
        if not self.built:
            return []
        dtype = self._params[0].dtype if self._params else torch.float32
        return [("u_product", torch.tensor(self._u_product, dtype=dtype))]

    def _load_extra_variables(self, values: list[np.ndarray]) -> None:
        if values:
            self._u_product = float(values[0].item())

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        t = self.iterations + 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        u_t = beta_1 * (1.0 - 0.5 * _CACHE_DECAY**t)
        u_next = beta_1 * (1.0 - 0.5 * _CACHE_DECAY ** (t + 1))
        product = self._u_product * u_t
        product_next = product * u_next
        self._u_product = product

        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1.0 - beta_1)
        torch._foreach_mul_(v, beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - beta_2)

        # w -= lr * m_hat / (sqrt(v_hat) + eps); sqrt(v_hat) = sqrt(v) / sqrt(1 - b2^t)
        m_hat = torch._foreach_mul(m, u_next / (1.0 - product_next))
        torch._foreach_add_(m_hat, grads, alpha=(1.0 - u_t) / (1.0 - product))
        denominators = torch._foreach_sqrt(v)
        torch._foreach_mul_(denominators, 1.0 / math.sqrt(1.0 - beta_2**t))
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(params, m_hat, denominators, value=-lr)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
