"""``LSTM``: long short-term memory, Keras' gate order i, f, c, o.

Per step, with ``z = x_t @ kernel + h @ recurrent_kernel + bias`` split in four::

    i, f, o = recurrent_activation(z_i), recurrent_activation(z_f), ...(z_o)
    c_t = f * c_{t-1} + i * activation(z_c)
    h_t = o * activation(c_t)

Example:
    >>> import torch
    >>> layer = LSTM(8, return_state=True)
    >>> output, h, c = layer(torch.ones(2, 5, 3))
    >>> output.shape, c.shape
    (torch.Size([2, 8]), torch.Size([2, 8]))
    >>> [tuple(w.shape) for w in layer.weights]          # Keras layouts
    [(3, 32), (8, 32), (32,)]
    >>> layer.cell.bias[8:16].tolist() == [1.0] * 8      # unit_forget_bias
    True
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations, initializers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.recurrent import _fused
from cnnkit.layers.recurrent._cell import RecurrentCell, masked_product
from cnnkit.layers.recurrent._rnn import BaseRNN, cell_property

TANH, SIGMOID = activations.get("tanh"), activations.get("sigmoid")


class ForgetBias(initializers.Initializer):
    """Keras' ``unit_forget_bias``: ``base`` everywhere, ones on the forget block."""

    def __init__(self, base: initializers.Initializer, units: int) -> None:
        self.base, self.units = base, units

    def __call__(self, shape: Any, dtype: Any = None) -> torch.Tensor:
        u = self.units
        parts = [self.base((u,), dtype), torch.ones(u), self.base((2 * u,), dtype)]
        return torch.cat([p.to(parts[0].dtype) for p in parts])


def check_implementation(kwargs: dict[str, Any]) -> int:
    """Keras' ``implementation`` (1 or 2): the same maths; 1 draws one dropout mask
    per gate (Keras switches to it when ``recurrent_dropout`` is set)."""
    implementation = kwargs.pop("implementation", 2)
    if implementation not in (1, 2):
        raise InvalidArgumentError(
            f"`implementation` must be 1 or 2; received implementation="
            f"{implementation!r}."
        )
    return int(implementation)


def check_use_cudnn(use_cudnn: Any) -> bool:
    """Keras' ``use_cudnn``: ``False`` keeps the Python step loop."""
    if use_cudnn not in ("auto", True, False):
        raise InvalidArgumentError(
            "`use_cudnn` must be one of ['auto', True, False]; received "
            f"use_cudnn={use_cudnn!r}."
        )
    return use_cudnn is not False


class LSTMCell(RecurrentCell):
    """One LSTM step (the cell of :class:`LSTM`).

    Args: as :class:`LSTM`, without the sequence arguments.

    Call: ``cell(inputs, [h, c])`` with inputs (batch, features) returns
    ``(h_new, [h_new, c_new])``.
    """

    _gates = 4

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
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
        implementation = check_implementation(kwargs)
        super().__init__(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
            **kwargs,
        )  # fmt: skip
        self.unit_forget_bias = unit_forget_bias
        self._per_gate_masks = implementation == 1 or self.recurrent_dropout != 0

    @property
    def state_size(self) -> list[int]:
        return [self.units, self.units]

    @property
    def num_states(self) -> int:
        return 2

    def _bias_initial(self) -> Any:
        if self.unit_forget_bias:
            return ForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def step(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> list[torch.Tensor]:
        h, c = states
        z = projected + masked_product(h, recurrent_mask, self.recurrent_kernel)
        z_i, z_f, z_c, z_o = z.chunk(4, dim=-1)
        gate = self.recurrent_activation
        c = gate(z_f) * c + gate(z_i) * self.activation(z_c)
        h = gate(z_o) * self.activation(c)
        return [h, c]

    def fused_sequence(
        self,
        sequences: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | None:
        if self.activation is not TANH or self.recurrent_activation is not SIGMOID:
            return None
        if input_mask is not None:
            if input_mask.dim() != 2:  # one mask per gate: only the step loop
                return None
            sequences = sequences * input_mask.unsqueeze(1)  # (B, 1, I) on every step
        outputs, h, c = _fused.lstm(
            sequences, states[0], states[1], self.kernel, self.recurrent_kernel,
            self.bias,
        )  # fmt: skip
        return outputs, [h, c]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self._common_config(),
            "unit_forget_bias": self.unit_forget_bias,
            **self._initializer_config(),
            **self._penalty_config(),
            **self._dropout_config(),
            "seed": self.seed,
        }


class LSTM(BaseRNN):
    """Long short-term memory layer (Hochreiter & Schmidhuber, 1997).

    With the default activations, no recurrent dropout and no mask, the whole
    sequence runs in torch's fused LSTM kernel; otherwise a Python step loop.

    Args:
        units: Size of the output and of each state.
        activation: Of the cell input and the output; default ``"tanh"``.
        recurrent_activation: Of the gates; default ``"sigmoid"``.
        use_bias: Whether the layer has a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: Defaults
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        unit_forget_bias: Add 1 to the forget gate's bias at initialisation.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint: Penalties and constraints.
        dropout, recurrent_dropout: Dropout rates of the inputs and of the
            recurrent state (one mask per sequence, while training).
        seed: Seed of the dropout masks.
        return_sequences: Return the whole output sequence.
        return_state: Also return the last ``h`` and ``c``: ``(output, h, c)``.
        go_backwards: Process the sequence backwards (the output sequence is
            reversed).
        stateful: Keep the last states as the next batch's initial states (fixed
            batch size; ``reset_states()`` clears them).
        unroll: ``True`` runs the Python step loop; same result.
        use_cudnn: ``"auto"`` (default) or ``True``: the fused kernel when it
            applies; ``False``: always the step loop.

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: ``[h, c]``, each ``(batch, units)``.
        mask: ``(batch, timesteps)`` booleans; masked steps keep the states.
        training: Whether dropout applies.

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences=True``; with ``return_state=True`` a tuple
        ``(output, h, c)``.
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
        unit_forget_bias: bool = True,
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
        use_cudnn: Any = "auto",
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        implementation = check_implementation(kwargs)
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="lstm_cell", implementation=implementation,
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
    unit_forget_bias = cell_property("unit_forget_bias")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self) -> dict[str, Any]:
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            del cell[key]
        seed = cell.pop("seed")
        penalties = {k: cell.pop(k) for k in list(cell) if k.endswith("_regularizer")}
        head = {k: cell.pop(k) for k in list(cell) if not k.endswith("_constraint")
                and "dropout" not in k}  # fmt: skip
        # Keras' LSTM lists unit_forget_bias after the initializers.
        head["unit_forget_bias"] = head.pop("unit_forget_bias")
        return {
            **self._rnn_config(), **head, **penalties, **self._activity_config(),
            **cell, "seed": seed,
        }  # fmt: skip
