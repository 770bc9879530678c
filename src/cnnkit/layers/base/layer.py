"""``Layer``: the Keras layer contract on top of ``torch.nn.Module``.

A layer is built lazily on its first call (``build(input_shape)`` creates the weights
with Keras names and layouts), checks its inputs against ``input_spec`` before any
maths runs, computes output shapes without running (``compute_output_shape``), and
serialises to exactly its constructor arguments (``get_config``).

Example:
    >>> import numpy as np
    >>> from cnnkit.layers import Dense
    >>> layer = Dense(3)
    >>> layer.built
    False
    >>> layer(np.zeros((2, 4), dtype="float32")).shape
    torch.Size([2, 3])
    >>> [w.path for w in layer.weights]
    ['dense/kernel', 'dense/bias']
    >>> layer.get_weights()[0].shape
    (4, 3)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from cnnkit import config as _config
from cnnkit import initializers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base import context
from cnnkit.layers.base.call_signature import CallSignature
from cnnkit.layers.base.free_variable import FreeVariable
from cnnkit.layers.base.graph_access import GraphAccess
from cnnkit.layers.base.input_spec import check_input_specs
from cnnkit.layers.base.keras_tensor import KerasTensor, Node, contains_keras_tensor
from cnnkit.layers.base.variable import Variable
from cnnkit.layers.base.weight_tensor import as_weight_tensor, is_weight_tensor
from cnnkit.layers.base.weights import LayerWeights
from cnnkit.naming import to_snake_case, unique_name
from cnnkit.utils import tree
from cnnkit.utils.validation import (
    non_numeric_message,
    unknown_kwargs_error,
)

if TYPE_CHECKING:
    from cnnkit.regularizers import Regularizer

Shape = tuple[int | None, ...]

_BASE_KWARGS = (
    "input_shape",
    "input_dim",
    "batch_input_shape",
    "batch_size",
    "input_length",
)


def _dtype_name(dtype: Any) -> str:
    """Accept ``'float32'``, a torch dtype, or Keras' DTypePolicy dict."""
    if dtype is None:
        return _config.floatx()
    if isinstance(dtype, dict):
        inner = dtype.get("config", {})
        dtype = inner.get("name", _config.floatx())
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    if isinstance(dtype, str):
        if dtype.startswith("mixed_"):
            return "float32"  # variables stay float32 under mixed precision
        if hasattr(torch, dtype) and isinstance(getattr(torch, dtype), torch.dtype):
            return dtype
    raise InvalidArgumentError(
        f"`dtype` must be a dtype name such as 'float32'; received dtype={dtype!r}."
    )


# Layer dtype names → torch dtypes, looked up on every call (cheaper than getattr).
_TORCH_DTYPES = {
    name: getattr(torch, name)
    for name in ("float16", "bfloat16", "float32", "float64", "int32", "int64")
}


def _shape_of(value: Any) -> Shape:
    # Tensors and arrays already give ints; a symbolic size (torch.export, dynamic
    # torch.compile tracing the batch axis) stays symbolic, where int() would pin it.
    return tuple(value.shape)


class Layer(LayerWeights, GraphAccess, torch.nn.Module):
    """Base class of every cnnkit layer and model.

    Args:
        name: Unique name; defaults to the snake_case class name plus a counter.
        dtype: Variable dtype (``'float32'`` unless set).
        trainable: Whether the layer's weights are updated by training.
        input_shape: Shape without the batch axis; only meaningful on the first layer
            of a ``Sequential`` (Keras 2 style, still accepted).
    """

    _call_signature: CallSignature = CallSignature()
    # Keras marks some weightless layers (pooling, activations, dropout, Reshape)
    # built at construction and leaves the others unbuilt until the first call.
    _built_at_init: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Inspect once per class, not per call: it is on the hot path.
        cls._call_signature = CallSignature.of(cls.call)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        name: str | None = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        legacy = {k: kwargs.pop(k) for k in list(kwargs) if k in _BASE_KWARGS}
        if kwargs:
            raise unknown_kwargs_error(type(self).__name__, kwargs)
        if not isinstance(trainable, bool):
            raise InvalidArgumentError(
                f"`trainable` must be a bool; received trainable={trainable!r}."
            )
        if name is not None and (not isinstance(name, str) or "/" in name or not name):
            raise InvalidArgumentError(
                f"`name` must be a non-empty string without '/'; received name={name!r}."
            )
        self.name: str = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = _dtype_name(dtype)
        self._trainable = trainable
        self.autocast = autocast
        from cnnkit import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = self._built_at_init
        self.input_spec: Any = None
        self._variables: list[Variable] = []
        self._attr_by_tensor_id: dict[int, str] = {}
        self._inbound_nodes: list[Node] = []
        self._outbound_nodes: list[Node] = []
        self._activity_losses: list[torch.Tensor] = []
        self._build_input_shape: Any = None
        self._batch_input_shape = self._legacy_input_shape(legacy)

    # ------------------------------------------------------------------ properties

    @staticmethod
    def _legacy_input_shape(legacy: dict[str, Any]) -> Shape | None:
        if legacy.get("batch_input_shape") is not None:
            return tuple(legacy["batch_input_shape"])
        shape = legacy.get("input_shape")
        if shape is None and legacy.get("input_dim") is not None:
            shape = (legacy["input_dim"],)
        if shape is None:
            return None
        if isinstance(shape, int):
            shape = (shape,)
        return (legacy.get("batch_size"), *tuple(shape))

    @property
    def dtype(self) -> str:
        """Variable dtype name, e.g. ``'float32'``."""
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for variable in self._variables:
            tensor = variable.value
            if isinstance(tensor, torch.nn.Parameter):
                tensor.requires_grad_(value and variable.declared_trainable)
        for layer in self._direct_sublayers():
            layer.trainable = value

    def _direct_sublayers(self) -> list[Layer]:
        found: list[Layer] = []
        for module in self.children():
            if isinstance(module, Layer):
                found.append(module)
            else:  # ModuleList / ModuleDict / plain torch containers
                found.extend(m for m in module.modules() if isinstance(m, Layer))
        return found

    # ------------------------------------------------------------------ weights

    def add_weight(
        self,
        shape: Sequence[int] = (),
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        """Create a weight and return its tensor (a Parameter if trainable).

        The tensor is registered on the layer under ``name``; assigning it to another
        attribute (``self.w = self.add_weight(...)``) moves the registration there.
        """
        if kwargs.keys() - {"autocast", "aggregation", "overwrite_with_gradient"}:
            raise unknown_kwargs_error("add_weight", kwargs)
        from cnnkit import constraints, regularizers

        if not name:  # Keras: `variable`, then `variable_1`, ... per layer
            unnamed = sum(v.name.startswith("variable") for v in self._variables)
            name = "variable" if unnamed == 0 else f"variable_{unnamed}"
        attr = name if name.isidentifier() else f"weight_{len(self._variables)}"
        while (
            attr in self._parameters or attr in self._buffers or attr in self.__dict__
        ):
            attr = f"{attr}_"
        init = initializers.get(
            initializer if initializer is not None else "glorot_uniform"
        )
        value = init(tuple(int(d) for d in shape), _dtype_name(dtype or self._dtype))
        tensor: torch.Tensor = as_weight_tensor(value, trainable, self._trainable)
        if trainable:
            self.register_parameter(attr, tensor)  # type: ignore[arg-type]
        else:
            self.register_buffer(attr, tensor)
        self._attr_by_tensor_id[id(tensor)] = attr
        variable = Variable(
            self, name, attr, trainable,
            regularizers.get(regularizer), constraints.get(constraint),
        )  # fmt: skip
        self._variables.append(variable)
        return tensor

    def __setattr__(self, key: str, value: Any) -> None:
        # Keras-style custom layers write `self.w = self.add_weight(name="kernel")`:
        # keep one registration, under the attribute the author chose.
        ids = self.__dict__.get("_attr_by_tensor_id")
        if ids and isinstance(value, torch.Tensor) and id(value) in ids:
            old = ids[id(value)]
            if old != key:
                if old in self._parameters:
                    del self._parameters[old]
                    self.register_parameter(key, value)  # type: ignore[arg-type]
                else:
                    del self._buffers[old]
                    self.register_buffer(key, value)
                ids[id(value)] = key
                for variable in self._variables:
                    if variable.attr == old:
                        variable.attr = key
            return
        if isinstance(value, FreeVariable) and ids is not None:
            self._track_free_variable(key, value)
            return
        super().__setattr__(key, value)

    def _track_free_variable(self, key: str, value: FreeVariable) -> None:
        """``self.w = tf.Variable(...)`` / ``keras.Variable(...)``: one of this
        layer's weights, as Keras tracks variables assigned to attributes."""
        if key in self.__dict__:
            # A plain attribute of that name would shadow the parameter.
            object.__delattr__(self, key)
        # A Parameter either way (torch's optimizers and autograd see it); a
        # non-trainable one has no gradient and is listed as non-trainable.
        self.register_parameter(key, value)
        self._attr_by_tensor_id[id(value)] = key
        self._variables = [v for v in self._variables if v.attr != key]
        self._variables.append(
            Variable(self, value.free_name, key, value.free_trainable)
        )
        if not self._trainable:
            value.requires_grad_(False)

    def _ordered_sublayers(self) -> list[Layer]:
        """Sub-layers in the order their weights should be listed (models override)."""
        return self._direct_sublayers()

    @property
    def losses(self) -> list[torch.Tensor]:
        """Regularisation penalties: weight penalties now + activity penalties of the
        last call, for this layer and its sub-layers."""
        penalties: list[torch.Tensor] = []
        for variable in self.weights:
            if variable.regularizer is not None:
                penalties.append(variable.regularizer(variable.value))
        for layer in [
            self,
            *[m for m in self.modules() if isinstance(m, Layer) and m is not self],
        ]:
            penalties.extend(layer._activity_losses)
        return penalties

    def add_loss(self, loss: torch.Tensor) -> None:
        """Add a penalty (computed during ``call``) to the training loss."""
        self._activity_losses.append(loss)

    # ------------------------------------------------------------------ contract

    def build(self, input_shape: Any) -> None:
        """Create the weights. Subclasses override; the base has none.

        Calling ``build`` yourself marks the layer built (each subclass's ``build`` is
        wrapped to do so), so a first call afterwards keeps the weights you set.
        """
        if input_shape is not None and self._build_input_shape is None:
            self._build_input_shape = _tuple_shape(input_shape)
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation. Subclasses override."""
        return inputs

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Resolve the call-context arguments, then run ``call``.

        ``training`` is, in order: the value given here, the value of the enclosing
        call, the default of ``call``'s own ``training`` parameter. It reaches ``call``
        only if ``call`` declares it, and is inherited by the layers ``call`` runs.
        Living in ``forward`` (not only ``__call__``) keeps this true for wrappers such
        as DistributedDataParallel that call ``forward`` directly.
        """
        spec = self._call_signature
        training = kwargs.pop("training", None)
        if "mask" in kwargs and not spec.accepts_mask:
            self._drop_mask(kwargs.pop("mask"))
        inherited = context.current_training()
        if training is None:
            training = inherited if inherited is not None else spec.training_default
        if spec.accepts_training and training is not None:
            kwargs["training"] = training
        if training is None or training == inherited:
            return self.call(*args, **kwargs)
        context.push_training(bool(training))
        try:
            return self.call(*args, **kwargs)
        finally:
            context.pop_training()

    def _activate(self, outputs: Any) -> Any:
        """``self.activation(outputs)``, unless a model runs this call with the
        activation deferred to itself (``context.defer_activation``)."""
        if context.activation_deferred(self):
            return outputs
        return self.activation(outputs)  # type: ignore[operator]

    #: Whether the layer hands the mask of its input on to its output, unchanged
    #: (Keras' ``supports_masking``): models pass a mask through such layers.
    supports_masking: bool = False

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of this layer's output: the input's mask for layers that
        support masking, else ``None``. Layers that make or reshape masks
        (``Embedding(mask_zero=True)``, recurrent layers) override it."""
        return previous_mask if self.supports_masking else None

    def _drop_mask(self, mask: Any) -> None:
        if mask is not None:
            raise InvalidArgumentError(
                f"{type(self).__name__} '{self.name}' does not support masking: its "
                "`call` has no `mask` argument, but it was called with a mask. Remove "
                "`mask=` from the call: masks mark padded steps of sequences, and this "
                "layer has no positions to skip."
            )

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (``None`` dims pass through).

        The default runs ``call`` once on zeros (unknown sizes as 1), which suits
        custom layers; built-in layers compute it without running.
        """

        def concrete(shape: Any) -> Any:
            return tuple(1 if d is None else d for d in shape)

        if isinstance(input_shape, list) or (
            isinstance(input_shape, tuple)
            and input_shape
            and isinstance(input_shape[0], tuple | list)
        ):
            sample = [torch.zeros(concrete(s)) for s in input_shape]
        else:
            sample = torch.zeros(concrete(input_shape))  # type: ignore[assignment]
        device = self._device()
        if device is not None:
            sample = tree.map_structure(lambda t: t.to(device), sample)
        with torch.no_grad():
            out = self.call(sample)
        return tree.map_structure(lambda t: (None, *tuple(t.shape[1:])), out)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, JSON-serialisable (Keras' key names)."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": self._dtype},
                "registered_name": None,
            },
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def get_build_config(self) -> dict[str, Any] | None:
        if self._build_input_shape is None:
            return None
        return {"input_shape": _jsonable_shape(self._build_input_shape)}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        if build_config and not self.built:
            shape = build_config.get("input_shape")
            if shape is not None:
                self._build_with_shape(_tuple_shape(shape))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ calling

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # `.to(device)` / `.half()` may hand back plain tensors: keep the weights'
        # Keras methods (`assign`, `numpy`) and their registration under the same id.
        result = super()._apply(fn, *args, **kwargs)
        for variable in self._variables:
            tensor = getattr(self, variable.attr)
            if tensor is not None and not is_weight_tensor(tensor):
                wrapped = as_weight_tensor(
                    tensor.data if variable.declared_trainable else tensor,
                    variable.declared_trainable,
                    tensor.requires_grad,
                )
                store = (
                    self._parameters if variable.declared_trainable else self._buffers
                )
                store[variable.attr] = wrapped
                self._attr_by_tensor_id[id(wrapped)] = variable.attr
        return result

    def _device(self) -> torch.device | None:
        tensor: torch.Tensor | None  # parameters first, then buffers
        for tensor in self._parameters.values():
            if tensor is not None:
                return tensor.device
        for tensor in self._buffers.values():
            if tensor is not None:
                return tensor.device
        return None

    def _build_with_shape(self, input_shape: Any) -> None:
        """Check the spec, create weights, validate the output shape, mark built."""
        check_input_specs(self, self.input_spec, input_shape)
        with torch.no_grad():
            self.build(input_shape)
        self._build_input_shape = input_shape
        self.built = True
        check_input_specs(self, self.input_spec, input_shape)
        self.compute_output_shape(input_shape)

    def _convert_input(self, value: Any) -> Any:
        """numpy → tensor; float inputs cast to the layer dtype; onto the layer device."""
        if isinstance(value, torch.Tensor):
            tensor = value
        elif isinstance(value, np.ndarray | np.generic | list | float | int):
            array = np.asarray(value)
            problem = non_numeric_message(array)
            if problem is not None:
                raise InvalidArgumentError(
                    f"{type(self).__name__} '{self.name}': {problem}"
                )
            tensor = torch.from_numpy(np.ascontiguousarray(array))
        else:
            return value
        if self.autocast and tensor.is_floating_point():
            dtype = _TORCH_DTYPES.get(self._dtype) or getattr(torch, self._dtype)
            if tensor.dtype != dtype:
                tensor = tensor.to(dtype)
        device = self._device()
        if device is not None and tensor.device != device:
            tensor = tensor.to(device)
        return tensor

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise InvalidArgumentError(
                f"{type(self).__name__} '{self.name}' must be called with its inputs "
                "as the first positional argument, e.g. `layer(x)`."
            )
        inputs, rest = args[0], args[1:]
        if isinstance(inputs, torch.Tensor):
            # The common case, one tensor: no structure to walk (this runs on every
            # call of every layer, and the walks cost more than the checks).
            inputs = self._convert_input(inputs)
            shapes: Any = _shape_of(inputs)
        else:
            if contains_keras_tensor(inputs):
                return self._symbolic_call(inputs, *rest, **kwargs)
            if isinstance(inputs, list) and _is_nested_numbers(inputs):
                inputs = np.asarray(inputs)  # [[0.1, 0.2], ...] is one array, as Keras
            inputs = tree.map_structure(self._convert_input, inputs)
            shapes = tree.map_structure(_shape_of, inputs)
        first_call = not self.built
        if first_call:
            self._build_with_shape(shapes)
            device = _first_device(inputs)
            if device is not None and device.type != "cpu":
                self.to(device)
        elif self.input_spec is not None:
            check_input_specs(self, self.input_spec, shapes)
        if self._activity_losses:
            # Forget the last call's penalties. Only a layer that left some is written
            # to, so a call of a layer without any leaves the layer untouched and
            # one model can serve many threads (DESIGN decision 8).
            self._activity_losses = []
        if first_call:
            # A subclassed model builds the layers it calls during this first call.
            with context.name_scope(self.name):
                outputs = super().__call__(inputs, *rest, **kwargs)
        else:
            outputs = super().__call__(inputs, *rest, **kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_penalty(outputs)
        return outputs

    def _add_activity_penalty(self, outputs: Any) -> None:
        # Normalised by batch size, as Keras does, so the strength does not depend on it.
        for output in tree.flatten(outputs):
            if isinstance(output, torch.Tensor):
                # Only called once `activity_regularizer` is known to be set.
                penalty = cast("Regularizer", self.activity_regularizer)(output)
                if output.dim() > 0:
                    penalty = penalty / output.shape[0]
                self._activity_losses.append(penalty)

    def _symbolic_call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        shapes = tree.map_structure(
            lambda t: t.shape if isinstance(t, KerasTensor) else _shape_of(t), inputs
        )
        if not self.built:
            self._build_with_shape(shapes)
        else:
            check_input_specs(self, self.input_spec, shapes)
        if self._call_signature.accepts_mask and "mask" not in kwargs:
            kwargs = {
                **kwargs,
                "mask": None,
            }  # Keras records the (empty) mask on the node
        out_shape = self._symbolic_output_shape(shapes, args, kwargs)
        dtype = self._output_dtype(inputs)
        if _is_single_shape(out_shape):
            outputs: Any = KerasTensor(tuple(out_shape), dtype)
        else:
            outputs = _map_shapes(lambda s: KerasTensor(tuple(s), dtype), out_shape)
        Node(self, (inputs, *args), kwargs, outputs)
        return outputs

    def _symbolic_output_shape(
        self, shapes: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """The output shape(s) of a symbolic call; layers whose outputs depend on
        more than the first input (MultiHeadAttention's scores) override it."""
        return self.compute_output_shape(shapes)

    def _output_dtype(self, inputs: Any) -> str:
        if self.autocast:
            return self._dtype
        first = tree.flatten(inputs)[0]
        return getattr(first, "dtype", self._dtype)


def _marks_built(build: Callable[..., None]) -> Callable[..., None]:
    """Wrap a class's ``build`` so that calling it yourself marks the layer built.

    As in Keras: ``layer.build(shape)`` then ``set_weights(...)`` then a call must keep
    the weights that were set, so the first call may not build again.
    """

    @functools.wraps(build)
    def build_and_mark(
        self: Layer, input_shape: Any = None, *args: Any, **kwargs: Any
    ) -> None:
        with context.name_scope(self.name):
            build(self, input_shape, *args, **kwargs)
        if input_shape is not None and self._build_input_shape is None:
            self._build_input_shape = _tuple_shape(input_shape)
        self.built = True

    return build_and_mark


def _is_nested_numbers(value: Any) -> bool:
    """A (nested) Python list of plain numbers, i.e. data rather than several inputs."""
    if isinstance(value, list | tuple):
        return bool(value) and all(_is_nested_numbers(item) for item in value)
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def _first_device(inputs: Any) -> torch.device | None:
    for leaf in tree.flatten(inputs):
        if isinstance(leaf, torch.Tensor):
            return leaf.device
    return None


def _is_single_shape(shape: Any) -> bool:
    return isinstance(shape, tuple | list) and all(
        d is None or isinstance(d, int) for d in shape
    )


def _map_shapes(fn: Any, shapes: Any) -> Any:
    if _is_single_shape(shapes):
        return fn(shapes)
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    return type(shapes)(_map_shapes(fn, s) for s in shapes)


def _jsonable_shape(shape: Any) -> Any:
    if _is_single_shape(shape):
        return list(shape)
    if isinstance(shape, dict):
        return {k: _jsonable_shape(v) for k, v in shape.items()}
    return [_jsonable_shape(s) for s in shape]


def _tuple_shape(shape: Any) -> Any:
    if isinstance(shape, list | tuple) and all(
        d is None or isinstance(d, int) for d in shape
    ):
        return tuple(shape)
    if isinstance(shape, dict):
        return {k: _tuple_shape(v) for k, v in shape.items()}
    return [_tuple_shape(s) for s in shape]
