"""``ConvLSTM1D/2D/3D``: an LSTM whose matmuls are convolutions (Shi et al., 2015).

One N-D cell and one N-D layer; the three classes only fix the rank. Inputs are
``(batch, time, *spatial, channels)`` (or ``(batch, time, channels, *spatial)`` with
``data_format="channels_first"``). The input convolution (``kernel``, with the layer's
strides, padding and dilation) runs on all time steps at once; the recurrent one
(``recurrent_kernel``, stride 1, ``"same"`` padding) once per step.

Example:
    >>> import torch
    >>> layer = ConvLSTM2D(filters=4, kernel_size=3, padding="same")
    >>> layer(torch.ones(2, 5, 8, 8, 1)).shape           # (batch, rows, cols, filters)
    torch.Size([2, 8, 8, 4])
    >>> [tuple(w.shape) for w in layer.weights]          # Keras layouts
    [(3, 3, 1, 16), (3, 3, 4, 16), (16,)]
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations, constraints, initializers, regularizers
from cnnkit._kernels.conv import conv
from cnnkit._kernels.shapes import conv_output_shape
from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.recurrent._cell import Masks
from cnnkit.layers.recurrent._rnn import BaseRNN, cell_property
from cnnkit.layers.recurrent.lstm import ForgetBias
from cnnkit.layers.regularization._random import SeedStream, dropout
from cnnkit.utils.validation import (
    check_positive_int,
    check_rate,
    normalize_padding,
    shape_error,
    to_tuple,
)


class ConvLSTMCell(Layer):
    """One ConvLSTM step (not exported: Keras has no public ConvLSTM cell)."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = to_tuple(kernel_size, rank, "kernel_size")
        self.strides = to_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding, ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = to_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise InvalidArgumentError(
                f"strides={self.strides} and dilation_rate={self.dilation_rate} "
                "cannot both be above 1 (as in Keras). Use strides=1 or "
                "dilation_rate=1."
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.num_states = 2

    def _split(self, shape: Any) -> tuple[tuple[Any, ...], Any]:
        """(spatial axes, channels) of a (B, *S, C) or (B, C, *S) step shape."""
        if self.data_format == "channels_last":
            return tuple(shape[1:-1]), shape[-1]
        return tuple(shape[2:]), shape[1]

    def _join(self, batch: Any, spatial: tuple[Any, ...], channels: Any) -> Any:
        if self.data_format == "channels_last":
            return (batch, *spatial, channels)
        return (batch, channels, *spatial)

    def build(self, input_shape: Any) -> None:
        spatial, channels = self._split(input_shape)
        if channels is None or None in spatial:
            raise shape_error(
                self, input_shape,
                "the spatial axes and the channel axis must have known sizes",
                "Give the Input a full frame shape, e.g. Input((None, 32, 32, 1)).",
            )  # fmt: skip
        # Kept for get_initial_state, which knows only the batch size (as Keras).
        self._frame_shape = self._join(None, spatial, channels)[1:]
        width = 4 * self.filters
        self.kernel = self.add_weight(
            (*self.kernel_size, channels, width), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )  # fmt: skip
        self.recurrent_kernel = self.add_weight(
            (*self.kernel_size, self.filters, width), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint, name="recurrent_kernel",
        )  # fmt: skip
        initial = (
            ForgetBias(self.bias_initializer, self.filters)
            if self.unit_forget_bias
            else self.bias_initializer
        )
        self.bias: torch.Tensor | None = (
            self.add_weight(
                (width,), initial, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias",
            )
            if self.use_bias
            else None
        )  # fmt: skip

    def compute_output_shape(self, input_shape: Any) -> Any:
        spatial, _ = self._split(input_shape)
        out = conv_output_shape(
            spatial, self.kernel_size, self.padding, self.strides, self.dilation_rate
        )
        shape = self._join(input_shape[0], tuple(out), self.filters)
        return shape, [shape, shape]

    def dropout_masks_for(self, sequences: torch.Tensor, training: bool) -> Masks:
        def draw(rate: float, shape: tuple[int, ...]) -> torch.Tensor | None:
            # One mask per gate, as Keras' ConvLSTM cell draws: (4, B, ...).
            if not training or not 0.0 < rate < 1.0:
                return None
            generator = self._seeds.generator(sequences.device)
            return dropout(sequences.new_ones((4, *shape)), rate, None, generator)

        step = (sequences.shape[0], *sequences.shape[2:])
        return draw(self.dropout, step), draw(
            self.recurrent_dropout, self.compute_output_shape(step)[0]
        )

    def initial_states(self, sequences: torch.Tensor) -> list[torch.Tensor]:
        shape = self.compute_output_shape((sequences.shape[0], *sequences.shape[2:]))
        return [sequences.new_zeros(shape[0]), sequences.new_zeros(shape[0])]

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        state = self.compute_output_shape((batch_size or 1, *self._frame_shape))[0]
        dtype, device = getattr(torch, self.dtype), self._device()
        return [torch.zeros(state, dtype=dtype, device=device) for _ in range(2)]

    def fused_sequence(self, *args: Any) -> None:
        return None  # torch has no fused ConvLSTM kernel

    def project_inputs(
        self, sequences: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        """The input convolution of every step at once: (B, T, *S', 4F)."""
        batch, steps = sequences.shape[:2]

        def project(x: torch.Tensor, kernel: torch.Tensor, bias: Any) -> torch.Tensor:
            frames = x.reshape(batch * steps, *x.shape[2:])  # (B*T, ...)
            out = conv(
                frames, kernel, self.strides, self.padding, self.data_format,
                self.dilation_rate, bias,
            )  # fmt: skip
            return out.reshape(batch, steps, *out.shape[1:])

        if mask is None:
            return project(sequences, self.kernel, self.bias)
        kernels = self.kernel.chunk(4, dim=-1)
        biases = [None] * 4 if self.bias is None else list(self.bias.chunk(4))
        gates = [  # gate g sees the inputs through mask g, on every step
            project(sequences * m.unsqueeze(1), k, b)
            for m, k, b in zip(mask, kernels, biases)
        ]
        time_axis_shift = 0 if self.data_format == "channels_last" else 1
        return torch.cat(gates, dim=self._channel_axis() + time_axis_shift)

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _recurrent(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if mask is None:
            return conv(h, self.recurrent_kernel, 1, "same", self.data_format)
        kernels = self.recurrent_kernel.chunk(4, dim=-1)
        gates = [
            conv(h * m, k, 1, "same", self.data_format) for m, k in zip(mask, kernels)
        ]
        return torch.cat(gates, dim=self._channel_axis())

    def advance(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One step: ``(h, [h, c])``."""
        h, c = states
        z = projected + self._recurrent(
            h, recurrent_mask
        )  # (B, *S', 4F) / (B, 4F, *S')
        z_i, z_f, z_c, z_o = z.chunk(4, dim=self._channel_axis())
        gate = self.recurrent_activation
        c = gate(z_f) * c + gate(z_i) * self.activation(z_c)
        h = gate(z_o) * self.activation(c)
        return h, [h, c]


class ConvLSTM(BaseRNN):
    """Base of ConvLSTM1D/2D/3D (not exported); ``rank`` is the number of spatial
    axes. Arguments as :class:`ConvLSTM2D`."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = ConvLSTMCell(
            rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation,
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
            name="conv_lstm_cell",
        )  # fmt: skip
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.input_spec = InputSpec(ndim=rank + 3)

    filters = cell_property("filters")
    kernel_size = cell_property("kernel_size")
    strides = cell_property("strides")
    padding = cell_property("padding")
    data_format = cell_property("data_format")
    dilation_rate = cell_property("dilation_rate")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self) -> dict[str, Any]:
        cell: Any = self.cell
        return {
            **self._rnn_config(),
            "filters": cell.filters,
            "kernel_size": cell.kernel_size,
            "strides": cell.strides,
            "padding": cell.padding,
            "data_format": cell.data_format,
            "dilation_rate": cell.dilation_rate,
            "activation": activations.serialize(cell.activation),
            "recurrent_activation": activations.serialize(cell.recurrent_activation),
            "use_bias": cell.use_bias,
            "kernel_initializer": initializers.serialize(cell.kernel_initializer),
            "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
            "bias_initializer": initializers.serialize(cell.bias_initializer),
            "unit_forget_bias": cell.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(cell.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(cell.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(cell.bias_regularizer),
            **self._activity_config(),
            "kernel_constraint": constraints.serialize(cell.kernel_constraint),
            "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
            "bias_constraint": constraints.serialize(cell.bias_constraint),
            "dropout": cell.dropout,
            "recurrent_dropout": cell.recurrent_dropout,
            "seed": cell.seed,
        }


class ConvLSTM1D(ConvLSTM):
    """1-D convolutional LSTM: inputs ``(batch, time, steps, channels)``.

    Arguments as :class:`ConvLSTM2D` with 1-D sizes.
    """

    def __init__(self, filters: int, kernel_size: Any, **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, **kwargs)


class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM: inputs ``(batch, time, rows, cols, channels)``.

    Args:
        filters: Output channels (of ``h`` and ``c``).
        kernel_size, strides, dilation_rate: Int or 2-tuple; strides and dilation
            of the input convolution (the recurrent one has stride 1, 'same').
        padding: ``"valid"`` or ``"same"`` (of the input convolution).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        activation, recurrent_activation, use_bias, initializers, unit_forget_bias,
        regularizers, constraints, dropout, recurrent_dropout, seed,
        return_sequences, return_state, go_backwards, stateful, unroll: As
            :class:`~cnnkit.layers.LSTM`.

    Input shape:
        ``(batch, time, rows, cols, channels)``, or ``(batch, time, channels,
        rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, filters)``; with ``return_sequences=True``
        ``(batch, time, new_rows, new_cols, filters)``; ``return_state=True``
        adds ``h`` and ``c``.
    """

    def __init__(self, filters: int, kernel_size: Any, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, **kwargs)


class ConvLSTM3D(ConvLSTM):
    """3-D convolutional LSTM: inputs ``(batch, time, d1, d2, d3, channels)``.

    Arguments as :class:`ConvLSTM2D` with 3-D sizes.
    """

    def __init__(self, filters: int, kernel_size: Any, **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, **kwargs)
