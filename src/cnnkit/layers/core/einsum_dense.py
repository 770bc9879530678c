"""``EinsumDense``: ``activation(einsum(equation, inputs, kernel) + bias)``.

A Dense layer of any rank, the projection inside ``MultiHeadAttention``.

Example:
    >>> import torch
    >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 8), bias_axes="de")
    >>> layer(torch.ones(3, 5, 16)).shape
    torch.Size([3, 5, 2, 8])
    >>> layer.kernel.shape, layer.bias.shape
    (torch.Size([16, 2, 8]), torch.Size([2, 8]))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import torch

from cnnkit import activations, constraints, initializers, regularizers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import shape_error

Shape = tuple[int | None, ...]

# The three forms Keras accepts: no ellipsis, one on the left, one on the right.
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"),
)


@dataclass(frozen=True)
class _Plan:
    """What an equation, the bias axes and one input shape imply."""

    kernel_shape: tuple[int, ...]
    bias_shape: tuple[int, ...] | None
    output_shape: Shape
    input_axes: tuple[int, ...]  # kernel axes that meet the input (for fans)
    output_axes: tuple[int, ...]  # kernel axes that reach the output


def parse_equation(equation: str) -> tuple[str, str, str, str | None]:
    """``(input, kernel, output, elided side)`` letters of an EinsumDense equation
    (the side is ``"left"``, ``"right"`` or ``None``)."""
    for pattern, elided in _FORMS:
        match = pattern.fullmatch(equation.replace(" ", ""))
        if match:
            return match.group(1), match.group(2), match.group(3), elided
    raise InvalidArgumentError(
        f"EinsumDense: invalid `equation` {equation!r}. Equations must read "
        "'ab,bc->ac', '...b,bc->...c' or 'ab...,bc->ac...': the input's axes, the "
        "kernel's axes, then the output's axes, one letter per axis."
    )


def _plan(layer: EinsumDense, input_shape: Shape) -> _Plan:
    x_spec, w_spec, y_spec, elided_side = parse_equation(layer.equation)
    elided = len(input_shape) - len(x_spec)
    if elided < 0 or (elided > 0 and elided_side is None):
        raise shape_error(
            layer, input_shape,
            f"the equation names {len(x_spec)} input axes",
            "Give an input of that rank, or use '...' in the equation for the "
            "axes it leaves out.",
            {"equation": layer.equation},
        )  # fmt: skip
    # The output as Keras lays it out: the batch axis, the axes '...' stands for
    # on the left, the partial shape given, the axes '...' stands for on the right.
    partial: list[int | None] = list(layer.partial_output_shape)
    if elided_side == "left":
        first = elided
        full: list[int | None] = [input_shape[0], *input_shape[1:elided], *partial]
        x_dims = dict(zip(x_spec, input_shape[elided:]))
    else:
        first = 0
        tail = list(input_shape[len(x_spec) :]) if elided_side == "right" else []
        full = [input_shape[0], *partial, *tail]
        x_dims = dict(zip(x_spec, input_shape))
    tail_len = elided if elided_side == "right" else 0
    if len(full) - tail_len != first + len(y_spec):
        raise _output_shape_error(layer, y_spec)
    y_positions = {c: first + i for i, c in enumerate(y_spec)}
    for c, pos in y_positions.items():
        if c in x_dims:
            given = full[pos]
            if given is not None and x_dims[c] is not None and given != x_dims[c]:
                raise shape_error(
                    layer, input_shape,
                    f"axis '{c}' is shared by input and output, but the input has "
                    f"{x_dims[c]} there and output_shape asks for {given}",
                    "Make `output_shape` agree with the input (None lets the "
                    "input decide).",
                    {"equation": layer.equation, "output_shape": layer.partial_output_shape},
                )  # fmt: skip
            full[pos] = x_dims[c] if x_dims[c] is not None else given
        elif c not in w_spec:
            raise InvalidArgumentError(
                f"EinsumDense: output axis '{c}' of equation={layer.equation!r} is in "
                "neither the input nor the kernel; every output letter must come "
                "from one of them."
            )
    kernel: list[int] = []
    input_axes: list[int] = []
    output_axes: list[int] = []
    for i, c in enumerate(w_spec):
        size = full[y_positions[c]] if c in y_positions else x_dims.get(c)
        if c not in y_positions and c not in x_dims:
            raise InvalidArgumentError(
                f"EinsumDense: kernel axis '{c}' of equation={layer.equation!r} is in "
                "neither the input nor the output, so its size is unknown."
            )
        if size is None:
            raise shape_error(
                layer, input_shape,
                f"the kernel axis '{c}' needs a known size",
                "Give that axis a fixed size in the Input or in `output_shape`.",
                {"equation": layer.equation},
            )  # fmt: skip
        kernel.append(int(size))
        (output_axes if c in y_positions else input_axes).append(i)
    return _Plan(
        tuple(kernel), _bias_shape(layer, y_spec, full, first, tail_len),
        tuple(full), tuple(input_axes), tuple(output_axes),
    )  # fmt: skip


def _output_shape_error(layer: EinsumDense, y_spec: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"EinsumDense: `output_shape`={layer.partial_output_shape!r} does not fit "
        f"the output axes '{y_spec}' of equation={layer.equation!r}: give one "
        "size (or None) per output axis after the batch axis."
    )


def _bias_shape(
    layer: EinsumDense, y_spec: str, full: list[int | None], first: int, tail: int
) -> tuple[int, ...] | None:
    """From the first bias axis to the end of the output; 1 on axes without bias."""
    if layer.bias_axes is None:
        return None
    for c in layer.bias_axes:
        if c not in y_spec:
            raise InvalidArgumentError(
                f"EinsumDense: bias axis '{c}' (bias_axes={layer.bias_axes!r}) is not "
                f"an output axis of equation={layer.equation!r}; choose letters from "
                f"'{y_spec}'."
            )
    start = min(y_spec.index(c) for c in layer.bias_axes)
    shape = []
    for i in range(start, len(y_spec)):
        c = y_spec[i]
        size = full[first + i] if c in layer.bias_axes else 1
        shape.append(int(size) if size is not None else 1)
    return (*shape, *([1] * tail))


class EinsumDense(Layer):
    """A dense layer written as an einsum, for kernels of any rank.

    Args:
        equation: ``"ab,bc->ac"``, ``"...b,bc->...c"`` or ``"ab...,bc->ac..."``:
            the input's axes, the kernel's, then the output's.
        output_shape: The output's shape without the batch axis (and without the
            axes '...' stands for); ``None`` for sizes the input decides.
        activation: Activation id or callable; ``None`` means linear.
        bias_axes: Output letters that get a bias (``None``: no bias).
        kernel_initializer, bias_initializer: Initializers. As in Keras, a
            variance-scaling kernel initializer counts its fans over the kernel
            axes that meet the input and those that reach the output.
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Constraints applied after each update.
        lora_rank, lora_alpha, quantization_config: Only ``None`` (Keras writes the
            last in every config; cnnkit has no LoRA or quantized EinsumDense).

    Input shape:
        Any rank matching ``equation``.

    Output shape:
        ``(batch, *output_shape)`` with the elided axes kept.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        equation: str,
        output_shape: int | tuple[int | None, ...] | list[int | None],
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        unsupported = {
            "lora_rank": lora_rank, "lora_alpha": lora_alpha,
            "quantization_config": quantization_config,
        }  # fmt: skip
        for name, value in unsupported.items():
            if value is not None:
                raise InvalidArgumentError(
                    f"EinsumDense got {name}={value!r}: cnnkit has no LoRA or "
                    "quantized EinsumDense. Drop the argument (or set it to None)."
                )
        if not isinstance(equation, str):
            raise InvalidArgumentError(
                f"EinsumDense: `equation` must be a string such as 'ab,bc->ac'; "
                f"received equation={equation!r}."
            )
        self.equation = equation
        parse_equation(equation)  # fail here, not at the first call
        self.partial_output_shape: tuple[int | None, ...] = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Shape) -> None:
        plan = _plan(self, tuple(input_shape))
        init: Any = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling):
            fans = (
                math.prod(plan.kernel_shape[i] for i in plan.input_axes),
                math.prod(plan.kernel_shape[i] for i in plan.output_axes),
            )
            variance = init

            def with_fans(shape: Any, dtype: Any = None) -> torch.Tensor:
                return variance.sample(shape, dtype, fans)

            init = with_fans

        self.kernel = self.add_weight(
            plan.kernel_shape, init, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )  # fmt: skip
        if plan.bias_shape is None:
            self.bias = None
        else:
            self.bias = self.add_weight(
                plan.bias_shape, self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )  # fmt: skip
        self.input_spec = InputSpec(ndim=len(input_shape))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self._activate(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return _plan(self, tuple(input_shape)).output_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
