"""``RNN``: Keras' generic recurrent layer around one cell.

With a cnnkit cell (``LSTMCell``, ``GRUCell``, ``SimpleRNNCell``) it runs exactly as
the matching layer (fused kernel included); any other cell, Keras style (``call(inputs,
states)`` returning ``(output, new_states)``, a ``state_size``, optionally
``output_size`` and ``get_initial_state``), runs in the step loop.

Example:
    >>> import torch
    >>> from cnnkit.layers import LSTMCell
    >>> layer = RNN(LSTMCell(4), return_sequences=True)
    >>> layer(torch.ones(2, 5, 3)).shape
    torch.Size([2, 5, 4])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.recurrent._cell import Masks, RecurrentCell
from cnnkit.layers.recurrent._rnn import BaseRNN
from cnnkit.layers.recurrent._serial import deserialize_layer, serialize_layer


def _sizes(state_size: Any) -> list[int]:
    return list(state_size) if isinstance(state_size, list | tuple) else [state_size]


class _ForeignCell:
    """Runs a Keras-style cell through the step protocol of :class:`BaseRNN`."""

    def __init__(self, cell: Layer) -> None:
        self.cell = cell
        self.sizes = _sizes(getattr(cell, "state_size"))  # noqa: B009
        self.num_states = len(self.sizes)

    def compute_output_shape(self, step_shape: Any) -> Any:
        batch = step_shape[0]
        output = getattr(self.cell, "output_size", None) or self.sizes[0]
        return (batch, output), [(batch, size) for size in self.sizes]

    def dropout_masks_for(self, sequences: torch.Tensor, training: bool) -> Masks:
        return None, None  # a foreign cell handles its own dropout

    def get_initial_state(self, batch_size: int) -> list[torch.Tensor]:
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return list(states) if isinstance(states, list | tuple) else [states]
        dtype = getattr(torch, self.cell.dtype)
        return [torch.zeros((batch_size, s), dtype=dtype) for s in self.sizes]

    def initial_states(self, sequences: torch.Tensor) -> list[torch.Tensor]:
        return [
            torch.as_tensor(s).to(sequences.device, sequences.dtype)
            for s in self.get_initial_state(sequences.shape[0])
        ]

    def fused_sequence(self, *args: Any) -> None:
        return None

    def project_inputs(
        self, sequences: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        return sequences  # the cell projects its own inputs

    def advance(
        self, inputs: torch.Tensor, states: list[torch.Tensor], mask: Any
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        output, new = self.cell(inputs, states)
        return output, list(new) if isinstance(new, list | tuple) else [new]


class RNN(BaseRNN):
    """Recurrent layer around one cell (Keras' ``keras.layers.RNN``).

    Args:
        cell: A cell instance: a cnnkit cell, or a layer with ``call(inputs,
            states)`` returning ``(output, new_states)`` and a ``state_size``.
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: As :class:`~cnnkit.layers.LSTM`.

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        ``(batch, output_size)`` or ``(batch, timesteps, output_size)``; with
        ``return_state=True`` a tuple ``(output, *states)``.
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, dict):
            cell = deserialize_layer(cell)
        if isinstance(cell, list | tuple):
            raise InvalidArgumentError(
                f"RNN received a list of {len(cell)} cells; cnnkit has no "
                "StackedRNNCells. Stack RNN layers instead: RNN(cell_1, "
                "return_sequences=True) followed by RNN(cell_2)."
            )
        if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
            raise InvalidTypeError(
                "RNN's `cell` must be a layer with a `call(inputs, states)` method "
                f"and a `state_size` attribute, e.g. LSTMCell(32); received "
                f"cell={cell!r}."
            )
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            zero_output_for_mask=zero_output_for_mask, **kwargs,
        )  # fmt: skip
        self._foreign = None if isinstance(cell, RecurrentCell) else _ForeignCell(cell)

    def _steps(self) -> Any:
        return self._foreign if self._foreign is not None else self.cell

    def get_config(self) -> dict[str, Any]:
        return {**self._rnn_config(), "cell": serialize_layer(self.cell)}
