"""``GRU``: gated recurrent unit, Keras' gate order z, r, h.

Per step, with ``x = x_t @ kernel + input_bias`` split in three (z, r, h)::

    z = recurrent_activation(x_z + h @ U_z + b_z)
    r = recurrent_activation(x_r + h @ U_r + b_r)
    reset_after=True:  hh = activation(x_h + r * (h @ U_h + b_h))
    reset_after=False: hh = activation(x_h + (r * h) @ U_h)
    h_t = z * h + (1 - z) * hh

With ``reset_after=True`` (the default, and cuDNN's form) the bias has shape
(2, 3*units): the input bias, then the recurrent bias.

Example:
    >>> import torch
    >>> layer = GRU(4)
    >>> layer(torch.ones(2, 5, 3)).shape
    torch.Size([2, 4])
    >>> [tuple(w.shape) for w in layer.weights]
    [(3, 12), (4, 12), (2, 12)]
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.recurrent import _fused
from cnnkit.layers.recurrent._cell import RecurrentCell, masked_product
from cnnkit.layers.recurrent._rnn import BaseRNN, cell_property
from cnnkit.layers.recurrent.lstm import (
    SIGMOID,
    TANH,
    check_implementation,
    check_use_cudnn,
)


class GRUCell(RecurrentCell):
    """One GRU step (the cell of :class:`GRU`).

    Args: as :class:`GRU`, without the sequence arguments.

    Call: ``cell(inputs, [h])`` with inputs (batch, features) returns
    ``(h_new, [h_new])``.
    """

    _gates = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        implementation = check_implementation(kwargs)
        super().__init__(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
            **kwargs,
        )  # fmt: skip
        self.reset_after = reset_after
        self._per_gate_masks = implementation == 1 or self.recurrent_dropout != 0

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self) -> torch.Tensor | None:
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def step(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> list[torch.Tensor]:
        h_prev = states[0]
        u = self.units
        x_z, x_r, x_h = projected.split(u, dim=-1)
        gate = self.recurrent_activation
        kernel = self.recurrent_kernel
        if self.reset_after:
            inner = masked_product(h_prev, recurrent_mask, kernel)  # (B, 3U)
            if self.bias is not None:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = inner.split(u, dim=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            candidate = self.activation(x_h + r * r_h)
        else:
            first_two = None if recurrent_mask is None else recurrent_mask[:2]
            if recurrent_mask is not None and recurrent_mask.dim() == 2:
                first_two = recurrent_mask
            inner = masked_product(h_prev, first_two, kernel[:, : 2 * u])  # (B, 2U)
            r_z, r_r = inner.split(u, dim=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            h_h = h_prev
            if recurrent_mask is not None:  # the candidate's own (last) gate mask
                last = (
                    recurrent_mask if recurrent_mask.dim() == 2 else recurrent_mask[2]
                )
                h_h = h_prev * last
            candidate = self.activation(x_h + (r * h_h) @ kernel[:, 2 * u :])
        return [z * h_prev + (1 - z) * candidate]

    def fused_sequence(
        self,
        sequences: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | None:
        if (
            not self.reset_after
            or self.activation is not TANH
            or self.recurrent_activation is not SIGMOID
        ):
            return None
        if input_mask is not None:
            if input_mask.dim() != 2:  # one mask per gate: only the step loop
                return None
            sequences = sequences * input_mask.unsqueeze(1)  # (B, 1, I) on every step
        outputs, h = _fused.gru(
            sequences, states[0], self.kernel, self.recurrent_kernel, self.bias
        )
        return outputs, [h]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self._common_config(),
            **self._initializer_config(),
            **self._penalty_config(),
            **self._dropout_config(),
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


class GRU(BaseRNN):
    """Gated recurrent unit layer (Cho et al., 2014).

    With the default activations, ``reset_after=True``, no recurrent dropout and
    no mask, the sequence runs in torch's fused GRU kernel; otherwise a Python
    step loop.

    Args:
        units: Size of the output and state.
        activation, recurrent_activation: Defaults ``"tanh"``, ``"sigmoid"``.
        use_bias: Whether the layer has biases.
        kernel_initializer, recurrent_initializer, bias_initializer: Defaults
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint: Penalties and constraints.
        dropout, recurrent_dropout: Dropout rates (one mask per sequence).
        seed: Seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll,
        use_cudnn: As for :class:`~cnnkit.layers.LSTM` (``return_state`` gives
            ``(output, h)``).
        reset_after: Apply the reset gate after the recurrent matmul (default,
            two bias rows) or before it (Keras 1 style, one bias row).

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        ``(batch, units)`` or ``(batch, timesteps, units)``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        reset_after: bool = True,
        use_cudnn: Any = "auto",
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        implementation = check_implementation(kwargs)
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", implementation=implementation,
        )  # fmt: skip
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self._use_fused = check_use_cudnn(use_cudnn)
        self.use_cudnn = use_cudnn

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    reset_after = cell_property("reset_after")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self) -> dict[str, Any]:
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            del cell[key]
        tail = {k: cell.pop(k) for k in ("dropout", "recurrent_dropout",
                                         "reset_after", "seed")}  # fmt: skip
        constraints = {k: cell.pop(k) for k in list(cell) if k.endswith("_constraint")}
        return {
            **self._rnn_config(), **cell, **self._activity_config(), **constraints,
            **tail,
        }  # fmt: skip
