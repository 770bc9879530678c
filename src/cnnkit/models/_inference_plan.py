"""The inference plan: ``predict``'s short way through a ``Sequential`` model.

Each layer call does work around its maths: the input conversion, the input-spec
check, the call context (``training``), torch's hook dispatch, the activity
penalties. For one image that work costs as much as the convolutions themselves,
and it repeats itself: a batch with the very signature (shape, dtype, device,
autocast) of one that already went through every check passes the same checks
again. So once such a batch has run the whole way, ``predict`` runs the next
ones of that signature as the layers' own ``call`` methods in a row, under one
``training=False`` context, with the same ReLU-after-pool rewrite as
``Sequential.call`` and the same dtype casts as ``Layer.__call__``.

Nothing may tell the two ways apart, so a layer runs directly only when:

- it is one of cnnkit's own layer classes (a user's subclass may keep state in
  ``__call__`` or add losses), neither a model nor a layer with its own
  ``__call__``/``forward``;
- it has no activity regulariser (its penalty is made by ``__call__``);
- it has no torch hooks, and no global module hooks are registered (``explain``
  reads layers through hooks): checked on every call, and while any is present
  the model runs the whole way;
- the model makes no masks (masks are handed on by ``Sequential.call``).

Other layers of a planned stack are called the whole way, as ``Sequential.call``
would. A plan keeps layers, never weights: each call reads them as they are
(an optimizer step, ``set_weights``, ``assign`` are seen at once), and
``add``/``pop`` drop the model's plans.

Example:
    >>> import numpy as np
    >>> from cnnkit import layers, models
    >>> model = models.Sequential([layers.Input((8, 8, 1)),
    ...                            layers.Conv2D(4, 3, activation="relu"),
    ...                            layers.MaxPooling2D(), layers.Flatten(),
    ...                            layers.Dense(3, activation="softmax")])
    >>> x = np.random.rand(1, 8, 8, 1).astype("float32")
    >>> first = model.predict(x, verbose=0)        # the whole way: checks pass
    >>> again = model.predict(x, verbose=0)        # the plan
    >>> bool(np.array_equal(first, again))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch.nn.modules import module as torch_module

from cnnkit import activations
from cnnkit._kernels.conv import conv_channels_first, padding_amounts
from cnnkit._kernels.pooling import pool_channels_first, torch_pool_arguments
from cnnkit._layout import conv_kernel_to_torch
from cnnkit.layers.base import context
from cnnkit.layers.base.layer import _TORCH_DTYPES, Layer
from cnnkit.layers.convolutional.base_conv import BaseConv
from cnnkit.layers.pooling.base_pooling import BasePooling
from cnnkit.models._inputs import standardize_model_input
from cnnkit.models._masks import makes_masks
from cnnkit.models._relu_pool import conv_then_pool, defers_relu
from cnnkit.models.model import Model
from cnnkit.utils.validation import to_tuple

if TYPE_CHECKING:
    from cnnkit.models.sequential import Sequential

#: Plans kept per model: one per batch signature (``predict`` on 10,000 images in
#: batches of 32 makes two: 32 and the last batch's 16).
MAX_PLANS = 8

Signature = tuple[Any, ...]


def signature_of(x: torch.Tensor) -> Signature:
    """What a plan is valid for: every fact of ``x`` the layers' checks read, and
    the autocast state that decides the dtypes inside."""
    device_type = x.device.type
    autocasting = torch.is_autocast_enabled(device_type)
    return (
        x.shape, x.dtype, x.device, autocasting,
        torch.get_autocast_dtype(device_type) if autocasting else None,
    )  # fmt: skip


def _no_global_hooks() -> bool:
    return not (
        torch_module._global_forward_hooks
        or torch_module._global_forward_pre_hooks
        or torch_module._global_backward_hooks
        or torch_module._global_backward_pre_hooks
    )


def _has_hooks(layer: torch.nn.Module) -> bool:
    return bool(
        layer._forward_hooks
        or layer._forward_pre_hooks
        or layer._backward_hooks
        or layer._backward_pre_hooks
    )


def runs_directly(layer: Layer) -> bool:
    """Whether ``layer.call`` may stand in for ``layer(x)`` once a call of the same
    signature has passed the checks (see the module docstring)."""
    cls = type(layer)
    return (
        cls.__module__.startswith("cnnkit.layers.")
        and not isinstance(layer, Model)
        and cls.__call__ is Layer.__call__
        and cls.forward is Layer.forward
        and "forward" not in layer.__dict__
        and layer.built
        and layer.activity_regularizer is None
    )


def _cast_input(layer: Layer, x: torch.Tensor) -> torch.Tensor:
    """The dtype cast of ``Layer._convert_input`` (the device is already the
    model's: ``predict`` placed both). Layout-blind: ``.to`` keeps the strides."""
    if layer.autocast and x.is_floating_point():
        dtype = _TORCH_DTYPES.get(layer._dtype) or getattr(torch, layer._dtype)
        if x.dtype != dtype:
            return x.to(dtype)
    return x


def _call_directly(layer: Layer, x: torch.Tensor) -> Any:
    x = _cast_input(layer, x)
    if layer._call_signature.accepts_training:
        return layer.call(x, training=False)
    return layer.call(x)


# Activations that act on each element alone and whose torch kernels give the
# same bits on the channels-first view of an output as on the output itself, so
# a layer's activation may run there. Not softmax and its kin (they act along an
# axis), nor gelu: torch computes it differently for channels_last memory (1e-6
# apart). tests/models/test_inference_plan.py pins every one listed.
ELEMENTWISE = frozenset(
    getattr(activations, name)
    for name in (
        "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu",
        "silu", "mish", "sigmoid", "hard_sigmoid", "hard_silu", "log_sigmoid",
        "tanh", "hard_tanh", "tanh_shrink", "softplus", "softsign", "exponential",
    )
)  # fmt: skip


class _Step:
    """One layer, on the Keras-layout tensor: run directly, or the whole way."""

    __slots__ = ("direct", "layer")
    torch_layout = False  # what it takes and gives: Keras' layout

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.direct = runs_directly(layer)

    def still_valid(self) -> bool:
        return not (self.direct and _has_hooks(self.layer))

    def run(self, x: Any) -> Any:
        if self.direct:
            return _call_directly(self.layer, x)
        return self.layer(x)


class _ConvKernel:
    """A 2-D/3-D channels_last convolution on the channels-first view of its
    input, with the padding of the plan's input shape worked out once: what
    ``BaseConv.call`` computes, without the two layout views around it."""

    __slots__ = ("conv", "dilation", "groups", "pads", "strides")

    def __init__(self, conv: BaseConv, input_shape: tuple[int, ...]) -> None:
        # As `conv_ops.conv` derives them, from the kernel and the input shape.
        rank = conv.kernel.dim() - 2
        self.conv = conv
        self.strides = to_tuple(conv.strides, rank, "strides")
        self.dilation = to_tuple(conv.dilation_rate, rank, "dilation_rate")
        self.pads = padding_amounts(
            tuple(input_shape[1:-1]), tuple(conv.kernel.shape[:rank]), self.strides,
            self.dilation, conv.padding,
        )  # fmt: skip
        self.groups = input_shape[-1] // conv.kernel.shape[-2]

    @staticmethod
    def fits(layer: Layer, input_shape: tuple[int, ...]) -> bool:
        return (
            type(layer).call is BaseConv.call
            and runs_directly(layer)
            and layer.data_format == "channels_last"
            and len(input_shape) in (4, 5)
        )

    def run(self, x: torch.Tensor, activate: bool = True) -> torch.Tensor:
        conv = self.conv
        y = conv_channels_first(
            _cast_input(conv, x), conv_kernel_to_torch(conv.kernel), conv.bias,
            self.strides, self.pads, self.dilation, self.groups, True,
        )  # fmt: skip
        return conv.activation(y) if activate else y


class _PoolKernel:
    """A 2-D/3-D channels_last pool on the channels-first view, with torch's
    padding arguments worked out once (``BasePooling.call`` without the views)."""

    __slots__ = ("arguments", "pool")

    def __init__(self, pool: BasePooling, input_shape: tuple[int, ...]) -> None:
        self.pool = pool
        self.arguments = torch_pool_arguments(
            tuple(input_shape[1:-1]), pool.pool_size, pool.strides, pool.padding
        )

    @staticmethod
    def fits(layer: Layer, input_shape: tuple[int, ...]) -> bool:
        return (
            isinstance(layer, BasePooling)
            and type(layer).call is BasePooling.call
            and runs_directly(layer)
            and layer.data_format == "channels_last"
            and len(input_shape) in (4, 5)
        )

    def run(self, x: torch.Tensor) -> torch.Tensor:
        pool = self.pool
        pads, ceil_mode, trimmed = self.arguments
        return pool_channels_first(
            _cast_input(pool, x), pool.pool_mode, pool.pool_size, pool.strides,
            pads, ceil_mode, trimmed,
        )  # fmt: skip


class _KernelStep:
    """A convolution or a pool on the channels-first view (``torch_layout``)."""

    __slots__ = ("kernel",)
    torch_layout = True
    direct = True

    def __init__(self, kernel: _ConvKernel | _PoolKernel) -> None:
        self.kernel = kernel

    def still_valid(self) -> bool:
        kernel = self.kernel
        if isinstance(kernel, _PoolKernel):
            return not _has_hooks(kernel.pool)
        # An activation set since that acts along an axis needs Keras' layout.
        return not _has_hooks(kernel.conv) and kernel.conv.activation in ELEMENTWISE

    def run(self, x: torch.Tensor) -> torch.Tensor:
        return self.kernel.run(x)


class _ConvPoolStep:
    """``Conv(activation="relu")`` then ``MaxPooling``, ReLU after the pool, as
    ``models._relu_pool.conv_then_pool`` runs it (that very function when either
    layer is called the whole way). With kernels it works on the channels-first
    view (``torch_layout``)."""

    __slots__ = ("conv", "direct", "kernels", "pool", "torch_layout")

    def __init__(
        self,
        conv: BaseConv,
        pool: Layer,
        kernels: tuple[_ConvKernel, _PoolKernel] | None,
    ) -> None:
        self.conv = conv
        self.pool = pool
        self.direct = runs_directly(conv) and runs_directly(pool)
        self.kernels = kernels
        self.torch_layout = kernels is not None

    def still_valid(self) -> bool:
        # The rewrite's own condition, read again: an activation set since, or a
        # hook, ends it (`defers_relu` checks both layers' hooks).
        return defers_relu(self.conv, self.pool)

    def run(self, x: Any) -> Any:
        if self.kernels is not None:
            conv, pool = self.kernels
            return activations.relu(pool.run(conv.run(x, activate=False)))
        if not self.direct:
            return conv_then_pool(self.conv, self.pool, x)
        context.push_deferred_activation(self.conv)
        try:
            x = _call_directly(self.conv, x)
        finally:
            context.pop_deferred_activation()
        return activations.relu(_call_directly(self.pool, x))


class _ToTorchLayout:
    """``(B, *S, C)`` → its channels-first view ``(B, C, *S)``, before kernels."""

    __slots__ = ()
    direct = True
    torch_layout = True

    def still_valid(self) -> bool:
        return True

    def run(self, x: torch.Tensor) -> torch.Tensor:
        return x.movedim(-1, 1)


class _ToKerasLayout(_ToTorchLayout):
    """Back to Keras' layout after kernels: the same view the layers return."""

    __slots__ = ()
    torch_layout = False

    def run(self, x: torch.Tensor) -> torch.Tensor:
        return x.movedim(1, -1)


PlanStep = _Step | _KernelStep | _ConvPoolStep | _ToTorchLayout


class InferencePlan:
    """The steps of one validated signature, in order (see the module docstring)."""

    __slots__ = ("model", "steps")

    def __init__(self, model: Sequential, steps: Sequence[PlanStep]) -> None:
        self.model = model
        self.steps = tuple(steps)

    def still_valid(self) -> bool:
        return (
            _no_global_hooks()
            and not _has_hooks(self.model)
            and all(step.still_valid() for step in self.steps)
        )

    def run(self, x: torch.Tensor) -> Any:
        model = self.model
        x = _cast_input(model, x)
        if model._input_layer is not None:
            x = standardize_model_input(x, model._input_layer)
        context.push_training(False)
        try:
            for step in self.steps:
                x = step.run(x)
        finally:
            context.pop_training()
        return x


def plan_for(
    model: Sequential, stack: Sequence[Layer], input_shape: tuple[int, ...]
) -> InferencePlan | None:
    """The plan of ``stack`` (the model's layers) for inputs of ``input_shape``
    (after the model's own input standardisation), or ``None`` where a plan
    could be told apart from ``model(x, training=False)``."""
    if (
        model.activity_regularizer is not None
        or not _no_global_hooks()
        or any(makes_masks(layer) for layer in stack)
    ):
        return None
    steps: list[PlanStep] = []
    shape: Any = input_shape
    index = 0
    while index < len(stack):
        layer = stack[index]
        paired = index + 1 < len(stack) and defers_relu(layer, stack[index + 1])
        taken = stack[index : index + 2] if paired else [layer]
        step = _step_for(taken, shape)
        in_torch_layout = bool(steps) and steps[-1].torch_layout
        if step.torch_layout and not in_torch_layout:
            steps.append(_ToTorchLayout())
        elif in_torch_layout and not step.torch_layout:
            steps.append(_ToKerasLayout())
        steps.append(step)
        for layer in taken:
            shape = layer.compute_output_shape(shape)
        index += len(taken)
    if steps and steps[-1].torch_layout:
        steps.append(_ToKerasLayout())
    if not any(s.direct for s in steps if not isinstance(s, _ToTorchLayout)):
        return None
    return InferencePlan(model, steps)


def _step_for(layers: Sequence[Layer], shape: Any) -> PlanStep:
    """The step of one layer, or of a conv-pool pair, for an input of ``shape``."""
    concrete = isinstance(shape, tuple) and all(isinstance(d, int) for d in shape)
    if len(layers) == 2:
        conv, pool = layers
        kernels = None
        if concrete and _ConvKernel.fits(conv, shape):
            pooled_shape = conv.compute_output_shape(shape)
            if _PoolKernel.fits(pool, pooled_shape):
                kernels = (
                    _ConvKernel(conv, shape),  # type: ignore[arg-type]
                    _PoolKernel(pool, pooled_shape),  # type: ignore[arg-type]
                )
        return _ConvPoolStep(conv, pool, kernels)  # type: ignore[arg-type]
    (layer,) = layers
    if concrete:
        if _ConvKernel.fits(layer, shape) and layer.activation in ELEMENTWISE:
            return _KernelStep(_ConvKernel(layer, shape))  # type: ignore[arg-type]
        if _PoolKernel.fits(layer, shape):
            return _KernelStep(_PoolKernel(layer, shape))  # type: ignore[arg-type]
    return _Step(layer)
