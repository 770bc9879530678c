"""``BaseRNN``: run a cell over the time axis, Keras' ``RNN`` contract.

The layer owns the sequence: initial states (zeros, ``initial_state=``, or the kept
states of a ``stateful`` layer), ``go_backwards``, the step mask of ``mask=``, one
pair of dropout masks per sequence, and what comes back (``return_sequences``,
``return_state``). The cell owns one step. When a cell can hand the whole sequence to
one of torch's fused kernels (default activations, no recurrent dropout, no mask,
``unroll=False``) it does; otherwise the step loop below runs in Python. Both give the
same numbers (``tests/layers/recurrent`` compares them).
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import regularizers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError
from cnnkit.layers.base import context
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import describe_layer, shape_error

Shape = tuple[int | None, ...]


def cell_property(name: str) -> property:
    """A read-only attribute of the layer that is the cell's (``layer.units``)."""

    def read(self: BaseRNN) -> Any:
        return getattr(self.cell, name)

    return property(read, doc=f"The cell's ``{name}``.")


class BaseRNN(Layer):
    """Base of SimpleRNN, LSTM, GRU and the ConvLSTM layers (not exported).

    Args:
        cell: The cell that computes one step (created by the subclass).
        return_sequences: Return the output of every step, not only the last.
        return_state: Also return the last states: ``(output, *states)``.
        go_backwards: Process the sequence from its end; the output sequence is in
            processing order (reversed), as in Keras.
        stateful: Start each batch from the states the previous batch ended with
            (sample ``i`` continues sample ``i``); needs a fixed batch size.
            ``reset_states()`` sets them to zeros again.
        unroll: Accepted for Keras; ``True`` runs the Python step loop instead of
            torch's fused kernel, with the same result.
        zero_output_for_mask: With ``mask=``, masked steps output zeros instead of
            repeating the previous output.
    """

    _step_ndim = 2  # (batch, features) per step

    def __init__(
        self,
        cell: Layer,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("time_major", False) is not False:
            # tf.keras 2 configs carry time_major=False; Keras 3 dropped the option.
            raise InvalidArgumentError(
                "time_major=True is not supported (nor by Keras 3): recurrent layers "
                "take (batch, timesteps, ...) inputs. Transpose the data instead."
            )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for flag, value in (
            ("return_sequences", return_sequences), ("return_state", return_state),
            ("go_backwards", go_backwards), ("stateful", stateful),
            ("unroll", unroll), ("zero_output_for_mask", zero_output_for_mask),
        ):  # fmt: skip
            if not isinstance(value, bool):
                raise InvalidArgumentError(
                    f"`{flag}` must be True or False; received {flag}={value!r}."
                )
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self._use_fused = True
        self.input_spec = InputSpec(ndim=self._step_ndim + 1)
        # The states a stateful layer carries from one batch to the next. Not a
        # weight: Keras neither trains nor saves them.
        self._kept_states: list[torch.Tensor] | None = None
        self._expected_batch: int | None = None

    # ------------------------------------------------------------------ build

    def _steps(self) -> Any:
        """What runs the steps: the cell (the RNN layer adapts foreign cells)."""
        return self.cell

    def build(self, sequences_shape: Shape, initial_state_shape: Any = None) -> None:
        step_shape = (sequences_shape[0], *tuple(sequences_shape[2:]))
        if not self.cell.built:
            self.cell.build(step_shape)
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise shape_error(
                    self, sequences_shape,
                    "with stateful=True the batch size must be fixed",
                    "Give the first layer a batch size, e.g. "
                    "Input(shape=(timesteps, features), batch_size=32), and pass "
                    "the same batch_size (and shuffle=False) to fit().",
                )  # fmt: skip
            self._expected_batch = int(batch)

    def get_initial_state(self, batch_size: int) -> list[torch.Tensor]:
        """The zero states a call starts from without ``initial_state=``."""
        cell: Any = self._steps()
        states: list[torch.Tensor] = cell.get_initial_state(batch_size)
        return states

    def reset_states(self) -> None:
        """Set the states a ``stateful`` layer keeps back to zeros."""
        self._kept_states = None

    def reset_state(self) -> None:
        """Keras 3 name of :meth:`reset_states`."""
        self.reset_states()

    @property
    def states(self) -> list[torch.Tensor] | None:
        """The kept states of a ``stateful`` layer (``None`` before its first call)."""
        return self._kept_states

    # ------------------------------------------------------------------ shapes

    def compute_output_shape(
        self, sequences_shape: Shape, initial_state_shape: Any = None
    ) -> Any:
        batch, steps = sequences_shape[0], sequences_shape[1]
        step_shape = (batch, *tuple(sequences_shape[2:]))
        step_output, state_shapes = self._steps().compute_output_shape(step_shape)
        output = (
            (batch, steps, *tuple(step_output[1:]))
            if self.return_sequences
            else tuple(step_output)
        )
        if self.return_state:
            return (output, *[tuple(s) for s in state_shapes])
        return output

    # ------------------------------------------------------------------ call

    def _initial_states(
        self, sequences: torch.Tensor, initial_state: Any
    ) -> list[torch.Tensor]:
        cell: Any = self._steps()
        count = cell.num_states
        if initial_state is not None:
            given = (
                list(initial_state)
                if isinstance(initial_state, list | tuple)
                else [initial_state]
            )
            if len(given) != count:
                raise InvalidArgumentError(
                    f"{describe_layer(self)} needs {count} initial state tensor(s) "
                    f"({self._state_names()}); received {len(given)}. Pass "
                    f"initial_state=[...] with {count} tensor(s) of shape "
                    "(batch, units)."
                )
            return [
                torch.as_tensor(s, dtype=sequences.dtype, device=sequences.device)
                for s in given
            ]
        batch = sequences.shape[0]
        if self.stateful and not context.probing():
            if self._expected_batch is not None and batch != self._expected_batch:
                raise IncompatibleShapeError(
                    f"{describe_layer(self)} is stateful and was built for batches "
                    f"of {self._expected_batch} sequences, but received a batch of "
                    f"{batch} (input shape {tuple(sequences.shape)}). Keep every "
                    "batch the same size (drop the remainder), or rebuild the model "
                    "with the new batch_size."
                )
            if self._kept_states is not None:
                return [s.to(sequences.device) for s in self._kept_states]
        zeros: list[torch.Tensor] = cell.initial_states(sequences)
        return zeros

    def _state_names(self) -> str:
        cell: Any = self._steps()
        return "h, c" if cell.num_states == 2 else "h"

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool = False,
    ) -> Any:
        states = self._initial_states(sequences, initial_state)
        cell: Any = self._steps()
        input_mask, recurrent_mask = cell.dropout_masks_for(sequences, training)
        step_mask = None
        if mask is not None:
            step_mask = torch.as_tensor(mask, device=sequences.device).bool()
        if self.go_backwards:
            sequences = sequences.flip(1)  # (B, T, ...) from the last step
            if step_mask is not None:
                step_mask = step_mask.flip(1)
        fused = None
        if (
            self._use_fused
            and not self.unroll
            and step_mask is None
            and recurrent_mask is None
        ):
            fused = cell.fused_sequence(sequences, states, input_mask)
        if fused is not None:
            outputs, states = fused
            last = outputs[:, -1]
        else:
            outputs, last, states = self._loop(
                sequences, states, input_mask, recurrent_mask, step_mask
            )
        if self.stateful and not context.probing():
            # The layer's one piece of call-to-call state (see `stateful`).
            self._kept_states = [s.detach() for s in states]
        output = outputs if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """As Keras: the steps' mask stays on a sequence output; a last-step output
        and the states have none (a model pads the list with ``None``)."""
        if isinstance(previous_mask, list | tuple):
            previous_mask = previous_mask[0] if previous_mask else None
        return previous_mask if self.return_sequences else None

    def _loop(
        self,
        sequences: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
        recurrent_mask: torch.Tensor | None,
        step_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor | None, torch.Tensor, list[torch.Tensor]]:
        cell: Any = self._steps()
        projected = cell.project_inputs(sequences, input_mask)  # (B, T, ...)
        steps = sequences.shape[1]
        collected: list[torch.Tensor] = []
        last: torch.Tensor | None = None
        for t in range(steps):
            output, new = cell.advance(projected[:, t], states, recurrent_mask)
            if step_mask is not None:
                keep = step_mask[:, t].reshape(-1, *[1] * (output.dim() - 1))
                new = [torch.where(keep, n, s) for n, s in zip(new, states)]
                previous = (
                    torch.zeros_like(output)
                    if last is None or self.zero_output_for_mask
                    else last
                )
                output = torch.where(keep, output, previous)
            states, last = new, output
            if self.return_sequences:
                collected.append(output)
        if last is None:
            raise shape_error(
                self, tuple(sequences.shape), "the time axis has no steps",
                "Give each sequence at least one time step.",
            )  # fmt: skip
        outputs = torch.stack(collected, dim=1) if self.return_sequences else None
        return outputs, last, states

    # ------------------------------------------------------------------ config

    def _rnn_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def _activity_config(self) -> dict[str, Any]:
        return {
            "activity_regularizer": regularizers.serialize(self.activity_regularizer)
        }
