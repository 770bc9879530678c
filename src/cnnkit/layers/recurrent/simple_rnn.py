"""``SimpleRNN``: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

Example:
    >>> import torch
    >>> layer = SimpleRNN(4, return_sequences=True)
    >>> layer(torch.ones(2, 5, 3)).shape                 # (batch, time, units)
    torch.Size([2, 5, 4])
    >>> [tuple(w.shape) for w in layer.weights]          # Keras layouts
    [(3, 4), (4, 4), (4,)]
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations
from cnnkit.layers.recurrent import _fused
from cnnkit.layers.recurrent._cell import RecurrentCell, masked_product
from cnnkit.layers.recurrent._rnn import BaseRNN, cell_property

_FUSED = {"tanh": activations.get("tanh"), "relu": activations.get("relu")}


class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected RNN (the cell of :class:`SimpleRNN`).

    Args: as :class:`SimpleRNN`, without the sequence arguments.

    Call: ``cell(inputs, states)`` with inputs (batch, features) and states
    ``[h]`` returns ``(h_new, [h_new])``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
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
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units, activation, None, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
            **kwargs,
        )  # fmt: skip

    def step(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> list[torch.Tensor]:
        recurrent = masked_product(states[0], recurrent_mask, self.recurrent_kernel)
        return [self.activation(projected + recurrent)]

    def fused_sequence(
        self,
        sequences: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | None:
        kind = next((k for k, fn in _FUSED.items() if fn is self.activation), None)
        if kind is None:
            return None
        if input_mask is not None:
            if input_mask.dim() != 2:  # one mask per gate: only the step loop
                return None
            sequences = sequences * input_mask.unsqueeze(1)  # (B, 1, I) on every step
        outputs, h = _fused.simple_rnn(
            sequences, states[0], self.kernel, self.recurrent_kernel, self.bias, kind
        )
        return outputs, [h]

    def get_config(self) -> dict[str, Any]:
        common = self._common_config()
        del common["recurrent_activation"]
        return {
            **super().get_config(),
            **common,
            **self._initializer_config(),
            **self._penalty_config(),
            **self._dropout_config(),
            "seed": self.seed,
        }


class SimpleRNN(BaseRNN):
    """Fully connected RNN whose output is fed back as the next step's state.

    Args:
        units: Size of the output and state.
        activation: Default ``"tanh"``.
        use_bias: Whether the layer has a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: Defaults
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint: Penalties and constraints.
        dropout, recurrent_dropout: Dropout rates of the inputs and of the
            recurrent state (one mask per sequence, while training).
        seed: Seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll: See
            :class:`~cnnkit.layers.LSTM`.

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences=True``; with ``return_state=True`` a tuple
        ``(output, h)``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
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
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
        )  # fmt: skip
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip

    units = cell_property("units")
    activation = cell_property("activation")
    use_bias = cell_property("use_bias")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self) -> dict[str, Any]:
        # Keras' SimpleRNN config has no `seed` (its cell's has).
        cell = self.cell.get_config()
        keys = ("units", "activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                "recurrent_regularizer", "bias_regularizer")  # fmt: skip
        rest = ("kernel_constraint", "recurrent_constraint", "bias_constraint",
                "dropout", "recurrent_dropout")  # fmt: skip
        return {
            **self._rnn_config(),
            **{k: cell[k] for k in keys},
            **self._activity_config(),
            **{k: cell[k] for k in rest},
        }
