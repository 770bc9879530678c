"""Per-layer rules of ``analyze``: multiply-accumulates and receptive field.

One table for cnnkit layers and one for ``torch.nn`` modules, looked up along the
class's MRO, so a subclass inherits its base's rule. Counting conventions (the
docstring of ``analyze`` states them for users):

- MACs are the multiply-accumulates of convolutions (every kind) and of ``Dense`` /
  ``Linear`` matrix products, per sample; FLOPs are ``2 * MACs``. This is exactly
  what ``torch.utils.flop_counter.FlopCounterMode`` counts for ``aten.convolution``
  and ``aten.mm``/``addmm``: bias additions, activations, pooling, normalisation
  and merges count 0 (they are memory-bound and tiny next to the products).
- A transposed convolution counts one kernel per *input* pixel (each input unit
  scatters a kernel into the output), as FlopCounterMode does.

Example:
    >>> from cnnkit import layers
    >>> rule_for(layers.Conv2D).name
    'conv'
    >>> rule_for(layers.AvgPool2D).name
    'pool'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from cnnkit import layers
from cnnkit.explain import _fields as F
from cnnkit.explain._fields import Field
from cnnkit.layers.convolutional.base_conv import BaseConv
from cnnkit.layers.convolutional.base_conv_transpose import BaseConvTranspose
from cnnkit.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
from cnnkit.layers.convolutional.base_separable_conv import BaseSeparableConv
from cnnkit.layers.core.einsum_dense import parse_equation
from cnnkit.layers.merging.base_merge import Merge
from cnnkit.layers.pooling.base_pooling import BasePooling
from cnnkit.layers.pooling.global_pooling import BaseGlobalPooling
from cnnkit.layers.recurrent._rnn import BaseRNN

__all__ = ["MEASURED", "NO_ROW", "Call", "Rule", "rule_for"]


@dataclass(frozen=True)
class Call:
    """One call of a layer, as the analysis saw it (batch of one sample)."""

    module: nn.Module
    inputs: list[torch.Tensor]
    output: torch.Tensor
    fields: list[Field]
    channels_last: bool

    def sizes(self, tensor: torch.Tensor) -> tuple[int, ...] | None:
        """Spatial sizes of ``tensor``, or None when it no longer has the model
        input's spatial axes (rank changed: Flatten, Dense on a flat vector)."""
        rank = len(self.fields[0].extent)
        if self.fields[0].jump is None or tensor.dim() != rank + 2:
            return None
        shape = tuple(tensor.shape)
        return shape[1:-1] if self.channels_last else shape[2:]

    @property
    def field(self) -> Field:
        return self.fields[0]


FieldFn = Callable[[Call], Field | None]
MacsFn = Callable[[Call], int]


@dataclass(frozen=True)
class Rule:
    name: str
    field: FieldFn
    macs: MacsFn


def _no_macs(call: Call) -> int:
    return 0


def _prod(values: tuple[int, ...] | torch.Size) -> int:
    return math.prod(int(v) for v in values)


# ---------------------------------------------------------------- fields


def _identity(call: Call) -> Field:
    sizes = call.sizes(call.output)
    return F.collapse(call.field) if sizes is None else call.field.with_sizes(sizes)


def _collapse(call: Call) -> Field:
    return F.collapse(call.field)


def _global_stats(call: Call) -> Field:
    """Normalised with statistics of the whole map (GroupNorm): every unit sees
    the map's field, yet the positions remain."""
    whole, sizes = F.collapse(call.field), call.sizes(call.output)
    if sizes is None or call.field.jump is None:
        return whole
    return Field(whole.rf, call.field.jump, sizes, call.field.extent)


def _merge(call: Call) -> Field:
    sizes = call.sizes(call.output)
    if sizes is None:
        return F.collapse(F.merge(call.fields, call.field.sizes))
    return F.merge(call.fields, sizes)


def _windowed(
    kernel: Callable[[nn.Module], tuple[int, ...]],
    strides: Callable[[nn.Module], tuple[int, ...]],
    dilation: Callable[[nn.Module], tuple[int, ...]],
    transposed: bool = False,
) -> FieldFn:
    def field(call: Call) -> Field:
        sizes = call.sizes(call.output)
        if sizes is None:
            return F.collapse(call.field)
        m = call.module
        fn = F.transpose_window if transposed else F.window
        return fn(call.field, kernel(m), strides(m), dilation(m), sizes)

    return field


def _resampled(taps: Callable[[nn.Module], int]) -> FieldFn:
    def field(call: Call) -> Field:
        before, after = call.sizes(call.inputs[0]), call.sizes(call.output)
        if before is None or after is None:
            return F.collapse(call.field)
        factors = [a / b for a, b in zip(after, before)]
        return F.resample(call.field, factors, taps(call.module), after)

    return field


def _on_channels(call: Call) -> Field:
    """Layers that act along ``axis`` (Softmax, LayerNormalization): along the
    channels the field stays; along a spatial axis a unit sees the whole map."""
    axis = getattr(call.module, "axis", getattr(call.module, "dim", -1))
    axes = list(axis) if isinstance(axis, list | tuple) else [axis]
    ndim = call.output.dim()
    channel = ndim - 1 if call.channels_last else 1
    if all(int(a) % ndim == channel for a in axes if a is not None):
        return _identity(call)
    return _global_stats(call)


def _dense_field(call: Call) -> Field:
    """A Dense applies to the last axis: the channels of a channels_last map."""
    if call.channels_last and call.sizes(call.output) is not None:
        return _identity(call)
    return F.collapse(call.field)


# Interpolations by the input units one output reads along an axis.
_TAPS = {"nearest": 1, "bilinear": 2, "linear": 2, "trilinear": 2, "bicubic": 4,
         "lanczos3": 6, "lanczos5": 10, "area": 2}  # fmt: skip


def _taps(module: nn.Module) -> int:
    mode = getattr(module, "interpolation", getattr(module, "mode", "nearest"))
    return _TAPS.get(str(mode), 2)


# ---------------------------------------------------------------- MACs


def _weight(module: nn.Module, name: str) -> torch.Tensor:
    return cast(torch.Tensor, getattr(module, name))


def _conv_macs(call: Call) -> int:
    # Keras kernel (*k, in // groups, filters): each output value is one dot
    # product over all the kernel's axes but the last.
    return call.output.numel() * _prod(_weight(call.module, "kernel").shape[:-1])


def _depthwise_macs(call: Call) -> int:
    # Kernel (*k, C, multiplier): each output value reads one input channel.
    return call.output.numel() * _prod(_weight(call.module, "kernel").shape[:-2])


def _separable_macs(call: Call) -> int:
    """The depthwise pass, then the 1x1 pointwise pass over its C * m channels."""
    depthwise = _weight(call.module, "depthwise_kernel").shape  # (*k, C, m)
    hidden_channels = _prod(depthwise[-2:])
    positions = call.output.numel() // int(getattr(call.module, "filters", 1))
    return positions * hidden_channels * _prod(depthwise[:-2]) + (
        call.output.numel() * hidden_channels
    )


def _transpose_macs(call: Call) -> int:
    # Kernel (*k, filters, in): every input value scatters a (*k, filters) block.
    return call.inputs[0].numel() * _prod(_weight(call.module, "kernel").shape[:-1])


def _dense_macs(call: Call) -> int:
    return call.output.numel() * int(_weight(call.module, "kernel").shape[0])


def _torch_conv_macs(call: Call) -> int:
    return call.output.numel() * _prod(_weight(call.module, "weight").shape[1:])


def _torch_transpose_macs(call: Call) -> int:
    # weight (in, out // groups, *k), counted as aten does: once per input pixel.
    spatial = call.inputs[0].numel() // int(call.inputs[0].shape[1])
    return spatial * _prod(_weight(call.module, "weight").shape)


def _linear_macs(call: Call) -> int:
    return call.output.numel() * int(_weight(call.module, "weight").shape[1])


def _step_macs(cell: nn.Module, step_shape: tuple[int, ...]) -> int:
    """One recurrent step: the input and the recurrent products of every gate."""
    if not hasattr(cell, "recurrent_kernel"):
        # A custom cell of RNN(cell): one matrix product per 2-D weight per step,
        # what Keras-style cells (x @ kernel + h @ recurrent_kernel) do.
        return sum(p.numel() for p in cell.parameters(recurse=False) if p.dim() == 2)
    kernel, recurrent = _weight(cell, "kernel"), _weight(cell, "recurrent_kernel")
    if kernel.dim() == 2:  # dense cells: (I, G*U) and (U, G*U)
        return kernel.numel() + recurrent.numel()
    # ConvLSTM: each output position does both convolutions (4 gates at once)
    state = cell.compute_output_shape((1, *step_shape))[0]  # type: ignore[operator]
    positions = _prod(tuple(state)) // int(getattr(cell, "filters", 1))
    return positions * (kernel.numel() + recurrent.numel())


def _einsum_macs(call: Call) -> int:
    """Each output element sums over the kernel axes the output does not keep."""
    module = cast(layers.EinsumDense, call.module)
    _, kernel_axes, output_axes, _ = parse_equation(module.equation)
    kernel = _weight(module, "kernel")
    summed = [int(n) for c, n in zip(kernel_axes, kernel.shape) if c not in output_axes]
    return call.output.numel() * _prod(tuple(summed))


def _attention_macs(call: Call) -> int:
    """``Attention``: the query-key products (dot scores) and the weighted sum."""
    module = cast(layers.Attention, call.module)
    query, value = call.inputs[0], call.inputs[1]
    key = call.inputs[2] if len(call.inputs) > 2 else value
    scores = query.numel() // int(query.shape[-1]) * int(key.shape[-2])  # (B, Tq, Tv)
    dot = module.score_mode == "dot" and not isinstance(
        module, layers.AdditiveAttention
    )
    return scores * (int(query.shape[-1]) if dot else 0) + scores * int(value.shape[-1])


def _multi_head_macs(call: Call) -> int:
    """The four projections (five with the gate), the scores and the weighted sum."""
    module = cast(layers.MultiHeadAttention, call.module)
    query, value = call.inputs[0], call.inputs[1]
    query_rows = query.numel() // int(query.shape[-1])
    value_rows = value.numel() // int(value.shape[-1])
    on_query = [module.query_dense, module.output_dense]
    if module.use_gate:
        on_query.append(module._gate_dense)
    projections = query_rows * sum(_weight(m, "kernel").numel() for m in on_query)
    projections += value_rows * sum(
        _weight(m, "kernel").numel() for m in (module.key_dense, module.value_dense)
    )
    key_steps = _prod(tuple(int(value.shape[a]) for a in module._axes))
    scores = query_rows * module.num_heads * key_steps  # (B, ..., heads, T.., S..)
    return projections + scores * (module.key_dim + module.value_dim)


def _recurrent_macs(call: Call) -> int:
    sequences = call.inputs[0]  # (1, T, ...)
    cell = cast(nn.Module, call.module.cell)
    return int(sequences.shape[1]) * _step_macs(cell, tuple(sequences.shape[2:]))


# ---------------------------------------------------------------- tables


def _attr(name: str) -> Callable[[nn.Module], tuple[int, ...]]:
    return lambda m: tuple(getattr(m, name))


def _ones(m: nn.Module) -> tuple[int, ...]:
    return (1,) * int(m.rank)  # type: ignore[arg-type]


def _torch_tuple(
    name: str, default: str | None = None
) -> Callable[[nn.Module], tuple[int, ...]]:
    """torch stores ints or tuples (``MaxPool2d(2)`` keeps ``kernel_size=2``)."""

    def read(m: nn.Module) -> tuple[int, ...]:
        value = getattr(m, name, None)
        if value is None and default is not None:
            value = getattr(m, default)
        if value is None:
            value = 1
        rank = int(type(m).__name__[-2])  # Conv2d, MaxPool3d, ...
        return tuple(value) if isinstance(value, tuple | list) else (int(value),) * rank

    return read


_CONV = _windowed(_attr("kernel_size"), _attr("strides"), _attr("dilation_rate"))
_POOL = _windowed(_attr("pool_size"), _attr("strides"), _ones)
_TORCH_CONV = _windowed(
    _torch_tuple("kernel_size"), _torch_tuple("stride"), _torch_tuple("dilation")
)
_TORCH_POOL = _windowed(
    _torch_tuple("kernel_size"),
    _torch_tuple("stride", "kernel_size"),
    _torch_tuple("dilation"),
)


def _adaptive_pool(call: Call) -> Field:
    before, after = call.sizes(call.inputs[0]), call.sizes(call.output)
    if before is None or after is None or all(a == 1 for a in after):
        return F.collapse(call.field)
    kernel = [math.ceil(b / a) for a, b in zip(after, before)]
    strides = [max(1, b // a) for a, b in zip(after, before)]
    return F.window(call.field, kernel, strides, [1] * len(after), after)


CONV = Rule("conv", _CONV, _conv_macs)
IDENTITY = Rule("identity", _identity, _no_macs)
#: the fallback: a leaf nobody described; `analyze` measures its FLOPs instead
UNKNOWN = Rule("unknown", lambda call: None, _no_macs)

# Layers that keep every unit's field: elementwise maths, noise, padding, crops,
# and augmentations (identity at inference).
_CNNKIT_IDENTITY = (
    layers.Activation,
    layers.ReLU,
    layers.LeakyReLU,
    layers.ELU,
    layers.PReLU,
    layers.BatchNormalization,
    layers.Dropout,
    layers.SpatialDropout1D,
    layers.SpatialDropout2D,
    layers.SpatialDropout3D,
    layers.GaussianDropout,
    layers.GaussianNoise,
    layers.ActivityRegularization,
    layers.Rescaling,
    layers.ZeroPadding1D,
    layers.ZeroPadding2D,
    layers.ZeroPadding3D,
    layers.Cropping1D,
    layers.Cropping2D,
    layers.Cropping3D,
    layers.CenterCrop,
    layers.RandomFlip,
    layers.RandomRotation,
    layers.RandomTranslation,
    layers.RandomZoom,
    layers.RandomBrightness,
    layers.RandomContrast,
    layers.RandomWidth,
    layers.RandomHeight,
    layers.Normalization,
)

CNNKIT_RULES: dict[type, Rule] = {
    BaseConv: CONV,
    BaseDepthwiseConv: Rule("depthwise_conv", _CONV, _depthwise_macs),
    BaseSeparableConv: Rule("separable_conv", _CONV, _separable_macs),
    BaseConvTranspose: Rule(
        "conv_transpose",
        _windowed(_attr("kernel_size"), _attr("strides"), _attr("dilation_rate"), True),
        _transpose_macs,
    ),
    BasePooling: Rule("pool", _POOL, _no_macs),
    BaseGlobalPooling: Rule("global_pool", _collapse, _no_macs),
    layers.Dense: Rule("dense", _dense_field, _dense_macs),
    # Einsum projections may mix any axes, and attention sees the whole sequence:
    # every output unit's field is the whole input. An Embedding row is a lookup.
    layers.EinsumDense: Rule("einsum_dense", _collapse, _einsum_macs),
    layers.Embedding: Rule("embedding", _collapse, _no_macs),
    layers.Attention: Rule("attention", _collapse, _attention_macs),
    layers.MultiHeadAttention: Rule("attention", _collapse, _multi_head_macs),
    # A recurrent layer sees the whole sequence (its field is every input unit).
    BaseRNN: Rule("recurrent", _collapse, _recurrent_macs),
    Merge: Rule("merge", _merge, _no_macs),
    layers.Flatten: Rule("flatten", _collapse, _no_macs),
    layers.Reshape: Rule("reshape", _collapse, _no_macs),
    layers.Permute: Rule("reshape", _collapse, _no_macs),
    layers.RepeatVector: Rule("reshape", _collapse, _no_macs),
    layers.UpSampling1D: Rule("upsample", _resampled(_taps), _no_macs),
    layers.UpSampling2D: Rule("upsample", _resampled(_taps), _no_macs),
    layers.UpSampling3D: Rule("upsample", _resampled(_taps), _no_macs),
    layers.Resizing: Rule("upsample", _resampled(_taps), _no_macs),
    # At inference RandomCrop resizes (crop_to_aspect_ratio) like Resizing.
    layers.RandomCrop: Rule("upsample", _resampled(lambda m: 2), _no_macs),
    layers.Softmax: Rule("along_axis", _on_channels, _no_macs),
    layers.LayerNormalization: Rule("along_axis", _on_channels, _no_macs),
    layers.GroupNormalization: Rule("global_stats", _global_stats, _no_macs),
    **dict.fromkeys(_CNNKIT_IDENTITY, IDENTITY),
}

#: Layer classes left to the fallback on purpose, and why: their FLOPs are measured
#: and their field kept when they keep the spatial sizes, as for a custom layer.
MEASURED: dict[str, str] = {
    "Lambda": "runs any function: only measuring can tell what it costs",
    "IntegerLookup": "a table lookup (no multiply-adds); its output mode decides the "
    "shape",
}

#: Layer classes that never get a row, and why (the registry contract test reads it).
NO_ROW: dict[str, str] = {
    "StringLookup": "takes strings, which a model's Input does not: it runs before "
    "the model, on numpy arrays",
    "Layer": "the abstract base; a custom leaf layer gets a row with measured FLOPs "
    "and a receptive field assumed unchanged when it keeps the spatial sizes",
    "InputLayer": "never called: the analysis starts from the input it declares",
    "Bidirectional": "a wrapper: its forward and backward layers get a row each",
    **dict.fromkeys(
        ("SimpleRNNCell", "LSTMCell", "GRUCell"),
        "one step, run inside an RNN layer, whose row counts every step",
    ),
}

_TORCH_IDENTITY = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh,
    nn.Hardswish, nn.Hardsigmoid, nn.Mish, nn.PReLU, nn.Identity, nn.Dropout,
    nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.BatchNorm1d,
    nn.BatchNorm2d, nn.BatchNorm3d, nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d,
    nn.ConstantPad1d, nn.ConstantPad2d, nn.ConstantPad3d,
)  # fmt: skip

TORCH_RULES: dict[type, Rule] = {
    nn.modules.conv._ConvNd: Rule("conv", _TORCH_CONV, _torch_conv_macs),
    nn.modules.conv._ConvTransposeNd: Rule(
        "conv_transpose",
        _windowed(
            _torch_tuple("kernel_size"),
            _torch_tuple("stride"),
            _torch_tuple("dilation"),
            True,
        ),
        _torch_transpose_macs,
    ),
    nn.modules.pooling._MaxPoolNd: Rule("pool", _TORCH_POOL, _no_macs),
    nn.modules.pooling._AvgPoolNd: Rule("pool", _TORCH_POOL, _no_macs),
    nn.modules.pooling._AdaptiveAvgPoolNd: Rule("pool", _adaptive_pool, _no_macs),
    nn.modules.pooling._AdaptiveMaxPoolNd: Rule("pool", _adaptive_pool, _no_macs),
    nn.Linear: Rule("dense", _collapse, _linear_macs),
    nn.Flatten: Rule("flatten", _collapse, _no_macs),
    nn.Unflatten: Rule("reshape", _collapse, _no_macs),
    nn.Upsample: Rule("upsample", _resampled(_taps), _no_macs),
    nn.Softmax: Rule("along_axis", _on_channels, _no_macs),
    nn.LogSoftmax: Rule("along_axis", _on_channels, _no_macs),
    nn.GroupNorm: Rule("global_stats", _global_stats, _no_macs),
    nn.LayerNorm: Rule("global_stats", _global_stats, _no_macs),
    nn.modules.instancenorm._InstanceNorm: Rule(
        "global_stats", _global_stats, _no_macs
    ),
    **dict.fromkeys(_TORCH_IDENTITY, IDENTITY),
}


def rule_for(cls: type) -> Rule:
    """The rule of a layer or module class (its nearest described base), else
    ``UNKNOWN``."""
    for base in cls.__mro__:
        rule = CNNKIT_RULES.get(base) or TORCH_RULES.get(base)
        if rule is not None:
            return rule
    return UNKNOWN
