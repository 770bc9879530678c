"""Functional convolutions with Keras semantics on Keras-layout tensors and kernels.

Inputs are ``(B, *spatial, C)`` (``channels_last``) or ``(B, C, *spatial)``
(``channels_first``); kernels are in Keras layouts (``(*k, in, out)``). Padding follows
TensorFlow/Keras: ``'same'`` puts the extra pixel after (bottom/right), ``'causal'``
left-pads 1-D inputs, and transposed convolutions crop the full ``conv_transpose``
output exactly as Keras does (``ops.shapes.transpose_crops``).

Speed notes (DESIGN decision 2), measured side by side on this project's CPU machine
(1 thread, interleaved rounds, medians):

- channels_last inputs reach torch as a ``channels_last`` *view* (no copy) and come
  back as a contiguous ``(B, *S, C)`` tensor. 1-D convs run as 2-D convs on a
  ``(B, C, 1, L)`` view (``layout.conv_input_to_torch``): 2.2x faster forward and
  1.5-1.7x forward+backward than ``conv1d`` on the ``(B, C, L)`` view, which copies.
- The bias is fused into the torch call: 1.07-1.3x faster than adding it after.
- Symmetric padding goes to torch's ``padding=``; only TF's asymmetric 'same' and
  'causal' pay for one ``F.pad`` (it keeps the channels_last format).
- Kernels stay in their Keras-shaped Parameter and are permuted per call (a view).
  ``BaseConv`` stores a channels_last layer's kernel in ``(out, *k, in)`` memory
  order, so that view is a channels_last tensor and oneDNN takes it as is; with a
  contiguous Keras-order kernel oneDNN reorders it inside every call, a third of a
  batch-1 conv (seed CNN: ``predict`` of one image 0.74 -> 0.52 ms; training within
  noise). No cached copy, so nothing to invalidate when the optimizer updates it.

Example:
    >>> import torch
    >>> x = torch.ones(1, 4, 4, 1)                              # (B, H, W, C)
    >>> kernel = torch.ones(3, 3, 1, 1)                         # (kh, kw, in, out)
    >>> conv(x, kernel, strides=2, padding="same")[0, ..., 0]   # zero pad bottom/right
    tensor([[9., 6.],
            [6., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from cnnkit import _layout as layout
from cnnkit._kernels.shapes import effective_kernel_size, same_padding, transpose_crops
from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidArgumentError
from cnnkit.utils.validation import to_tuple

IntOrTuple = int | Sequence[int]
Pads = tuple[tuple[int, int], ...]

_CONV: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T: dict[int, Callable[..., torch.Tensor]] = {
    1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d,
}  # fmt: skip


@layout.eager_cache(maxsize=512)
def padding_amounts(
    spatial: tuple[int, ...],
    kernel_size: tuple[int, ...],
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    padding: str,
) -> Pads:
    """``(before, after)`` zero padding per spatial axis for a Keras conv padding mode.

    Example:
        >>> padding_amounts((28, 28), (3, 3), (2, 2), (1, 1), "same")  # TF: extra after
        ((0, 1), (0, 1))
        >>> padding_amounts((10,), (3,), (1,), (2,), "causal")          # left only
        ((4, 0),)
    """
    if padding == "same":
        return tuple(
            same_padding(n, k, s, d)
            for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate)
        )
    if padding == "causal":
        return tuple(
            (effective_kernel_size(k, d) - 1, 0)
            for k, d in zip(kernel_size, dilation_rate)
        )
    return ((0, 0),) * len(spatial)


def _pad_for_torch(x: torch.Tensor, pads: Pads) -> tuple[torch.Tensor, list[int] | int]:
    """Symmetric amounts go to torch's ``padding=``; asymmetric ones need ``F.pad``
    (which keeps the channels_last memory format)."""
    if all(before == after for before, after in pads):
        return x, [before for before, _ in pads]
    flat = [amount for pair in reversed(pads) for amount in pair]  # last axis first
    return F.pad(x, flat), 0


def _checked_layout(inputs: torch.Tensor, rank: int, data_format: str) -> layout.Layout:
    """The layout of ``inputs``, once their rank is known to fit the convolution."""
    if inputs.dim() != rank + 2:
        raise InvalidArgumentError(
            f"A {rank}-D convolution needs {rank + 2}-D inputs (batch, {rank} spatial "
            f"axes, channels); received an input of shape {tuple(inputs.shape)}."
        )
    return layout.layout_of(data_format, rank)


def _run_conv(
    inputs: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    kernel_size: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
    lay: layout.Layout,
    dilation: tuple[int, ...],
    groups: int,
) -> torch.Tensor:
    """Run a torch conv on a Keras-layout input with a torch-layout ``weight``."""
    rank = len(kernel_size)
    _, spatial, _ = lay.split(inputs.shape)
    pads = padding_amounts(spatial, kernel_size, strides, dilation, padding)
    x = layout.conv_input_to_torch(inputs, lay)
    if x.dim() == rank + 3:  # a 1-D channels_last conv runs as a 2-D one
        weight = layout.lift_kernel_1d(weight)
        strides, dilation, pads = (1, *strides), (1, *dilation), ((0, 0), *pads)
    y = conv_channels_first(
        x, weight, bias, strides, pads, dilation, groups, lay.channels_last
    )
    return layout.conv_output_from_torch(y, lay)


def conv_channels_first(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    strides: tuple[int, ...],
    pads: Pads,
    dilation: tuple[int, ...],
    groups: int,
    channels_last_memory: bool,
) -> torch.Tensor:
    """The torch conv of a channels-first ``x`` with a torch-layout ``weight`` and
    Keras' ``(before, after)`` padding per axis; ``channels_last_memory``: ``x`` is
    the channels-first view of channels_last data."""
    if x.dim() == 4 and channels_last_memory and not torch.is_grad_enabled():
        # Inference only: oneDNN takes a channels_last kernel as is, while the
        # permuted Keras-layout one is reordered inside every call; for small
        # batches that reorder is a third of the conv (seed CNN, one image: 134 ->
        # 88 µs). Training keeps the view (measured within noise, see above).
        weight = weight.contiguous(memory_format=torch.channels_last)
    x, torch_padding = _pad_for_torch(x, pads)
    return _CONV[len(strides)](
        x, weight, bias, strides, torch_padding, dilation, groups
    )


def conv(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """N-D convolution (cross-correlation) with a Keras ``(*k, in/groups, out)`` kernel.

    ``groups`` is ``channels // kernel.shape[-2]``, as in Keras.

    Args:
        inputs: ``(B, *S, C)`` or ``(B, C, *S)`` per ``data_format``.
        kernel: ``(*kernel_size, C // groups, filters)``.
        strides: Int or tuple of ``rank`` ints.
        padding: ``'valid'``, ``'same'`` (TF asymmetric) or ``'causal'`` (1-D).
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of ``rank`` ints.
        bias: Optional ``(filters,)`` vector, fused into the torch call.

    Returns:
        The output in the same layout as ``inputs``.
    """
    rank = kernel.dim() - 2
    data_format = normalize_data_format(data_format)
    lay = _checked_layout(inputs, rank, data_format)
    _, _, channels = lay.split(inputs.shape)
    if channels % kernel.shape[-2]:
        raise InvalidArgumentError(
            f"The input has {channels} channels, which is not a multiple of the "
            f"kernel's {kernel.shape[-2]} input channels (kernel shape "
            f"{tuple(kernel.shape)}); a grouped conv needs channels = groups * "
            "kernel.shape[-2]."
        )
    return _run_conv(
        inputs, layout.conv_kernel_to_torch(kernel), bias,
        tuple(kernel.shape[:rank]), to_tuple(strides, rank, "strides"), padding,
        lay, to_tuple(dilation_rate, rank, "dilation_rate"),
        channels // kernel.shape[-2],
    )  # fmt: skip


def depthwise_conv(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Depthwise convolution with a Keras ``(*k, C, multiplier)`` kernel.

    Output channel ``c * multiplier + j`` is input channel ``c`` convolved with
    ``kernel[..., c, j]`` (channel-major, as in Keras). Arguments as in :func:`conv`.
    """
    rank = kernel.dim() - 2
    data_format = normalize_data_format(data_format)
    lay = _checked_layout(inputs, rank, data_format)
    _, _, channels = lay.split(inputs.shape)
    if channels != kernel.shape[-2]:
        raise InvalidArgumentError(
            f"The input has {channels} channels but the depthwise kernel of shape "
            f"{tuple(kernel.shape)} was made for {kernel.shape[-2]}."
        )
    return _run_conv(
        inputs, layout.depthwise_kernel_to_torch(kernel), bias,
        tuple(kernel.shape[:rank]), to_tuple(strides, rank, "strides"), padding,
        lay, to_tuple(dilation_rate, rank, "dilation_rate"), channels,
    )  # fmt: skip


def separable_conv(
    inputs: torch.Tensor,
    depthwise_kernel: torch.Tensor,
    pointwise_kernel: torch.Tensor,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Depthwise conv, then a 1x1 conv with ``pointwise_kernel`` ``(1.., C*m, F)``.

    Arguments as in :func:`conv`; ``bias`` has shape ``(filters,)``.
    """
    data_format = normalize_data_format(data_format)
    hidden = depthwise_conv(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    # On channels_last memory a 1x1 conv runs as fast as an addmm on the
    # (B*H*W, C) view (measured), so one code path serves both layouts.
    return conv(hidden, pointwise_kernel, 1, "valid", data_format, 1, bias)


def conv_transpose(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    output_padding: IntOrTuple | None = None,
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Transposed convolution with a Keras ``(*k, filters, in)`` kernel, Keras' crops.

    The result equals the full ``conv_transpose`` (no padding), cropped by
    ``transpose_crops`` per axis (a negative crop pads zeros). torch's ``padding=p``
    crops ``p`` at both ends and ``output_padding=q`` gives ``q`` back at the end, so
    crops ``(p, p - q)`` with ``0 <= q < max(stride, dilation)`` are one exact torch
    call. The rest (e.g. k=3, s=2 'same': crops (0, 1), which torch's symmetric
    padding cannot express) are cropped by slicing afterwards.

    Args:
        inputs: ``(B, *S, C)`` or ``(B, C, *S)`` per ``data_format``.
        kernel: ``(*kernel_size, filters, C)``.
        strides, padding, data_format, dilation_rate, bias: As in :func:`conv`
            (``padding`` is ``'valid'`` or ``'same'``).
        output_padding: ``None`` or an int/tuple, each ``< strides``.
    """
    rank = kernel.dim() - 2
    data_format = normalize_data_format(data_format)
    lay = _checked_layout(inputs, rank, data_format)
    _, _, channels = lay.split(inputs.shape)
    if channels != kernel.shape[-1]:
        raise InvalidArgumentError(
            f"The input has {channels} channels but the transposed-conv kernel of "
            f"shape {tuple(kernel.shape)} expects {kernel.shape[-1]} (its last axis)."
        )
    kernel_size = tuple(kernel.shape[:rank])
    strides = to_tuple(strides, rank, "strides")
    dilation = to_tuple(dilation_rate, rank, "dilation_rate")
    extras = (
        (None,) * rank
        if output_padding is None
        else to_tuple(output_padding, rank, "output_padding", allow_zero=True)
    )
    crops = [
        transpose_crops(k, padding, s, op, d)
        for k, s, op, d in zip(kernel_size, strides, extras, dilation)
    ]
    torch_pad = [max(0, start) for start, _ in crops]
    torch_out = [
        min(max(0, p - end), max(s, d) - 1)
        for p, (_, end), s, d in zip(torch_pad, crops, strides, dilation)
    ]
    # What torch leaves to crop (> 0) or zero-pad (< 0) at each (start, end).
    rest = [(s - p, e - (p - q)) for (s, e), p, q in zip(crops, torch_pad, torch_out)]
    exact = all(pair == (0, 0) for pair in rest)

    x = layout.conv_input_to_torch(inputs, lay)
    weight = layout.conv_kernel_to_torch(kernel)  # (C, filters, *k)
    if x.dim() == rank + 3:  # 1-D channels_last runs as 2-D (see layout)
        weight = layout.lift_kernel_1d(weight)
        strides, dilation = (1, *strides), (1, *dilation)
        torch_pad, torch_out, rest = [0, *torch_pad], [0, *torch_out], [(0, 0), *rest]
    y = _CONV_T[len(strides)](
        x, weight, bias if exact else None, strides, torch_pad, torch_out, 1, dilation
    )
    if not exact:
        y = _crop_or_pad(y, rest)
        if bias is not None:
            # Adding the bias here also turns the cropped view into a dense tensor
            # in the same memory format, in the one pass the crop needs anyway.
            y = y + bias.view(1, -1, *([1] * (y.dim() - 2)))  # (1, filters, 1, ...)
    return layout.conv_output_from_torch(y, lay)


def _crop_or_pad(y: torch.Tensor, rest: list[tuple[int, int]]) -> torch.Tensor:
    """Crop (positive) or zero-pad (negative) ``(start, end)`` on each spatial axis."""
    if all(start >= 0 and end >= 0 for start, end in rest):
        index = [slice(None), slice(None)]  # batch, channels
        index += [slice(start, y.shape[axis] - end) for axis, (start, end) in
                  enumerate(rest, start=2)]  # fmt: skip
        return y[tuple(index)]
    # Only reachable from a direct call with output_padding >= max(stride, dilation)
    # (the layers forbid it): torch refuses those, so the extra zeros come from F.pad.
    flat = [-amount for pair in reversed(rest) for amount in pair]  # last axis first
    return F.pad(y, flat)
