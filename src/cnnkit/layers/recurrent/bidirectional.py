"""``Bidirectional``: run a recurrent layer forwards and a copy backwards, merge.

Example:
    >>> import torch
    >>> from cnnkit.layers import LSTM
    >>> layer = Bidirectional(LSTM(4, return_sequences=True))
    >>> layer(torch.ones(2, 5, 3)).shape            # concat: 2 * 4 features
    torch.Size([2, 5, 8])
    >>> layer.forward_layer.name, layer.backward_layer.name
    ('forward_lstm', 'backward_lstm')
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.recurrent._serial import deserialize_layer as _deserialize
from cnnkit.layers.recurrent._serial import serialize_layer as _serialize

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy_of(layer: Layer, name: str, **changes: Any) -> Layer:
    entry = _serialize(layer)
    entry["config"] = {**entry["config"], "name": name, **changes}
    return _deserialize(entry)


class Bidirectional(Layer):
    """Bidirectional wrapper for recurrent layers.

    The forward layer is a copy of ``layer`` named ``forward_<name>``; the backward
    one a copy with ``go_backwards=True`` named ``backward_<name>`` (or
    ``backward_layer`` itself). Their outputs are merged per ``merge_mode``; the
    backward output sequence is flipped back to time order first.

    Args:
        layer: A recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``ConvLSTM2D``).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or
            ``None`` (a tuple of both outputs).
        backward_layer: Optional layer for the backward direction; it must have
            ``go_backwards`` opposite to ``layer`` and the same
            ``return_sequences``, ``return_state`` and ``stateful``.
        weights: Optional initial weights (forward then backward), as Keras.

    Call arguments:
        sequences, mask, training: As the wrapped layer.
        initial_state: Forward states then backward states.

    Output shape:
        The wrapped layer's, with the last axis doubled for ``"concat"``; with
        ``return_state=True``: ``(output, *forward_states, *backward_states)``.
    """

    def __init__(
        self,
        layer: Any,
        merge_mode: str | None = "concat",
        weights: Any = None,
        backward_layer: Any = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(layer, dict):
            layer = _deserialize(layer)
        if isinstance(backward_layer, dict):
            backward_layer = _deserialize(backward_layer)
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise InvalidTypeError(
                "Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN, "
                f"ConvLSTM2D); received layer={layer!r}. Pass e.g. "
                "Bidirectional(LSTM(32))."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise InvalidTypeError(
                "`backward_layer` must be a recurrent layer instance or None; "
                f"received backward_layer={backward_layer!r}."
            )
        if merge_mode not in MERGE_MODES:
            raise InvalidArgumentError(
                f"`merge_mode` must be one of {list(MERGE_MODES)}; received "
                f"merge_mode={merge_mode!r}."
            )
        super().__init__(**kwargs)
        zero_output = {"zero_output_for_mask": layer.return_sequences}
        self.forward_layer = _copy_of(
            layer, f"forward_{layer.name.removeprefix('forward_')}", **zero_output
        )
        if backward_layer is None:
            backward_layer = _copy_of(
                layer, f"backward_{layer.name.removeprefix('backward_')}",
                go_backwards=True, **zero_output,
            )  # fmt: skip
        self.backward_layer = backward_layer
        self._check_pair()
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec
        self._initial_weights = weights

    def _check_pair(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise InvalidArgumentError(
                "Bidirectional: the forward and backward layers must have different "
                f"`go_backwards`; both have go_backwards={forward.go_backwards}. "
                "Wrap a layer with go_backwards=False (Bidirectional makes the "
                "backward copy), or pass a backward_layer with go_backwards=True."
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr):
                raise InvalidArgumentError(
                    f"Bidirectional: the forward and backward layers must have the "
                    f"same `{attr}`; received {getattr(forward, attr)} (forward) and "
                    f"{getattr(backward, attr)} (backward)."
                )

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        self.forward_layer.build(sequences_shape)
        self.backward_layer.build(sequences_shape)
        if self._initial_weights:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])

    def compute_output_shape(
        self, sequences_shape: Any, initial_state_shape: Any = None
    ) -> Any:
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states: tuple[Any, ...] = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            last = shape[-1]
            shape = (*shape[:-1], None if last is None else 2 * last)
        outputs: tuple[Any, ...] = (
            (tuple(shape), tuple(shape)) if self.merge_mode is None else (tuple(shape),)
        )
        if self.return_state:
            return (*outputs, *states, *states)
        return outputs if self.merge_mode is None else outputs[0]

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs: dict[str, Any] = {"mask": mask}
        if training is not None:
            kwargs["training"] = training
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states: tuple[torch.Tensor, ...] = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)  # back to time order
        merged = self._merge(y, y_rev)
        if self.return_state:
            return (*merged, *states) if self.merge_mode is None else (merged, *states)
        return merged

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """As Keras: sequence outputs keep the steps' mask (each of the two when
        ``merge_mode=None``); last-step outputs and states have none."""
        if isinstance(previous_mask, list | tuple):
            previous_mask = previous_mask[0] if previous_mask else None
        if not self.return_sequences:
            return None
        return [previous_mask] * (2 if self.merge_mode is None else 1)

    def _merge(self, y: torch.Tensor, y_rev: torch.Tensor) -> Any:
        if self.merge_mode == "concat":
            return torch.cat([y, y_rev], dim=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return (y, y_rev)

    def reset_states(self) -> None:
        """Reset the kept states of both directions (stateful layers)."""
        for layer in (self.forward_layer, self.backward_layer):
            layer.reset_states()  # type: ignore[operator]

    reset_state = reset_states

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": _serialize(self.forward_layer),
            "backward_layer": _serialize(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Bidirectional:
        config = dict(config)
        layer = _deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = _deserialize(backward)
        return cls(layer, backward_layer=backward, **config)
