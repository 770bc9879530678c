"""What every convolution layer shares: argument normalisation, channel and spatial
bookkeeping per ``data_format``, and the teaching errors for ranks and shapes.

The concrete bases (``BaseConv``, ``BaseConvTranspose``, ``BaseDepthwiseConv``,
``BaseSeparableConv``) add their weights, ``call`` and ``get_config``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from cnnkit import activations
from cnnkit._kernels.shapes import conv_output_shape
from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import normalize_padding, shape_error, to_tuple

Shape = tuple[int | None, ...]

_AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_LAYOUTS = {1: "steps", 2: "height, width", 3: "depth, height, width"}
# How to add a size-1 channel axis, by the layout's channel axis.
_NEW_CHANNEL_INDEX = {-1: "x[..., None]", 1: "x[:, None]"}


class _ConvLayer(Layer):
    """Private base: the arguments and helpers common to all convolution layers."""

    bias: torch.Tensor | None  # set by `build`: a Parameter, or None without bias

    def __init__(
        self,
        rank: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        allow_causal: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.kernel_size = to_tuple(kernel_size, rank, "kernel_size")
        self.strides = to_tuple(strides, rank, "strides")
        self.dilation_rate = to_tuple(dilation_rate, rank, "dilation_rate")
        allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
        if (
            not allow_causal
            and isinstance(padding, str)
            and padding.lower() == "causal"
        ):
            raise InvalidArgumentError(
                f"padding='causal' is only supported by Conv1D (it pads the start of a "
                f"sequence so no output sees the future); {type(self).__name__} takes "
                f"one of {list(allowed)}."
            )
        self.padding = normalize_padding(padding, allowed)
        self.data_format = normalize_data_format(data_format)
        self._layout = Layout(self.data_format, rank)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        # min_ndim is Keras' rule (and error text); max_ndim catches the extra-axis
        # case before torch does, with the hint of `_rank_hint`.
        self.input_spec = InputSpec(min_ndim=rank + 2, max_ndim=rank + 2)

    # ------------------------------------------------------------------ validation

    def _check_strides_with_dilation(self) -> None:
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise InvalidArgumentError(
                f"{type(self).__name__} cannot combine `strides` > 1 with "
                f"`dilation_rate` > 1; received strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}. Use strides=1 with the dilation, "
                "or dilation_rate=1 with the strides (and downsample a dilated conv "
                "with a pooling layer after it)."
            )

    # ------------------------------------------------------------------ shapes

    @property
    def _channel_axis(self) -> int:
        return self._layout.channel_axis

    def _spatial(self, input_shape: Shape) -> Shape:
        return self._layout.split(input_shape)[1]

    def _output_shape(
        self, input_shape: Shape, spatial: Shape, channels: int | None
    ) -> Shape:
        return self._layout.join(input_shape[0], spatial, channels)

    def _input_channels(self, input_shape: Shape) -> int:
        """The channel count at build time; it sizes the kernel, so it must be known."""
        channels = input_shape[self._channel_axis]
        if channels is None:
            # An image Input whatever the rank, as Keras' users know it best.
            image = Layout(self.data_format, 2, batched=False)
            example = str(image.join(None, (None, None), 3))
            raise shape_error(
                self, input_shape,
                "the channel axis must have a known size, because it sets the "
                "kernel's shape",
                f"Give the Input a fixed number of channels, e.g. Input({example}).",
                {"data_format": self.data_format},
            )  # fmt: skip
        self.input_spec = InputSpec(
            min_ndim=self.rank + 2,
            max_ndim=self.rank + 2,
            axes={self._channel_axis: channels},
        )
        return channels

    def _conv_spatial_output(self, input_shape: Shape) -> Shape:
        """Output spatial sizes of the (forward) convolution, or a teaching error."""
        out = conv_output_shape(
            self._spatial(input_shape), self.kernel_size, self.padding,
            self.strides, self.dilation_rate,
        )  # fmt: skip
        bad = [(name, size) for name, size in zip(_AXIS_NAMES[self.rank], out)
               if size is not None and size <= 0]  # fmt: skip
        if bad:
            raise self._impossible_shape_error(input_shape, bad)
        return out

    def _impossible_shape_error(
        self, input_shape: Shape, bad: list[tuple[str, int]]
    ) -> Exception:
        if len({size for _, size in bad}) == 1:
            rule = f"the output {' and '.join(n for n, _ in bad)} would be {bad[0][1]}"
        else:
            rule = " and ".join(f"the output {n} would be {s}" for n, s in bad)
        because: dict[str, Any] = {
            "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding,
        }  # fmt: skip
        smaller = "a smaller kernel_size"
        if max(self.dilation_rate) > 1:
            because["dilation_rate"] = self.dilation_rate
            smaller = "a smaller kernel_size or dilation_rate"
        return shape_error(
            self, input_shape, rule,
            f"Use padding='same', {smaller}, or remove an earlier pooling layer.",
            because,
        )  # fmt: skip

    # ------------------------------------------------------------------ rank hint

    def _rank_hint(self, expected: int, shape: Shape) -> str:
        """The conv-specific fix used by the input-spec rank error (KERAS_SPEC §8 #1).

        Example:
            >>> from cnnkit.layers import Conv2D
            >>> Conv2D(8, 3)._rank_hint(4, (None, 28, 28))
            'Conv2D expects 4-D input (batch, height, width, channels); add the channel axis: `x = x.reshape((-1, 28, 28, 1))` or `x[..., None]`'
        """
        name, rank, found = type(self).__name__, self.rank, len(shape)
        layout = self._layout
        axes = ", ".join(layout.join("batch", (_LAYOUTS[rank],), "channels"))
        head = f"{name} expects {rank + 2}-D input ({axes})"
        if found == rank + 1:
            rest = tuple(shape[1:])
            target = layout.join(-1, rest, 1)
            index = _NEW_CHANNEL_INDEX[layout.channel_axis]
            reshape = "" if None in rest else f"`x = x.reshape({target})` or "
            hint = f"{head}; add the channel axis: {reshape}`{index}`"
            # (28, 28, 1) or (3, 32, 32) looks like one image without its batch axis.
            _, _, channels = Layout(self.data_format, rank, batched=False).split(shape)
            if shape[0] is not None and channels in (1, 3, 4):
                hint += "; if this is one sample, add the batch axis instead: `x[None]`"
            return hint
        if found > rank + 2:
            bigger = {1: " (for images use Conv2D)", 2: " (for volumes use Conv3D)"}
            return (
                f"{head}, but the input has {found} axes; remove the extra axes, e.g. "
                f"with a Reshape layer{bigger.get(rank, '')}."
            )
        side = math.isqrt(shape[-1]) if found == 2 and shape[-1] else 0
        if rank == 2 and side and side * side == shape[-1]:
            image = layout.join(-1, (side, side), 1)
            return (
                f"{head}, but the input has {found} axes; if these are flattened "
                f"{side}x{side} grayscale images, reshape them: "
                f"`x = x.reshape({image})`."
            )
        return f"{head}, but the input has {found} axes; reshape it to ({axes})."

    def _base_config(self) -> dict[str, Any]:
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }
