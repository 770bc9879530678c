"""``Sequential``: a plain stack of layers, one input and one output.

Example:
    >>> from cnnkit import layers, models
    >>> model = models.Sequential()
    >>> model.add(layers.Conv2D(32, (5, 5), activation="relu", input_shape=(28, 28, 1)))
    >>> model.add(layers.MaxPooling2D((2, 2)))
    >>> model.add(layers.Flatten())
    >>> model.add(layers.Dense(10, activation="softmax"))
    >>> model.output_shape
    (None, 10)
    >>> [layer.name for layer in model.layers][:2]
    ['conv2d', 'max_pooling2d']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError
from cnnkit.layers.base.context import name_scope
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import InputLayer
from cnnkit.models import _inference_plan
from cnnkit.models._inputs import refuse_mask, standardize_model_input
from cnnkit.models._masks import makes_masks, mask_kwargs, output_masks
from cnnkit.models._relu_pool import conv_then_pool, defers_relu
from cnnkit.models.model import Model
from cnnkit.saving.layer_config import deserialize_layer, serialize_layer
from cnnkit.utils.validation import build_context


class Sequential(Model):
    """A linear stack of layers (``add``/``pop``), built as soon as a shape is known."""

    _positional_inputs_outputs = False  # Sequential(layers, name)

    # Set through `self.__dict__` (outside torch's module registry); declared here so
    # mypy does not type it via `Module.__getattr__` as `Tensor | Module`.
    _input_layer: InputLayer | None
    # Plans of `predict` by batch signature (models/_inference_plan.py), also kept
    # out of the module registry.
    _inference_plans: dict[Any, _inference_plan.InferencePlan]

    def __init__(
        self,
        layers: Iterable[Layer] | None = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._layer_list = torch.nn.ModuleList()
        # Kept out of the module tree: it has no weights and `layers` excludes it.
        self.__dict__["_input_layer"] = None
        self._graph_inputs: Any = None
        self._graph_outputs: Any = None
        self.__dict__["_inference_plans"] = {}
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the InputLayer (as in Keras)."""
        return list(self._layer_list)  # type: ignore[arg-type]

    @layers.setter
    def layers(self, _: Any) -> None:
        raise InvalidArgumentError(
            "`Sequential.layers` is read-only: use `model.add(layer)` and `model.pop()`."
        )

    def _ordered_sublayers(self) -> list[Layer]:
        return self.layers

    def add(self, layer: Layer | KerasTensor, rebuild: bool = True) -> None:
        """Append a layer (an ``Input(...)`` tensor is accepted as the first one)."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise InvalidTypeError(
                "Only instances of `cnnkit.layers.Layer` can be added to a Sequential "
                f"model; received {layer!r} (of type {type(layer).__name__})."
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None:
                raise InvalidArgumentError(
                    f"Sequential '{self.name}' already has an input layer; a Sequential "
                    "model takes exactly one Input, as its first layer."
                )
            if len(self._layer_list):
                raise InvalidArgumentError(
                    "An InputLayer can only be added first in a Sequential model; "
                    f"'{self.name}' already has {len(self._layer_list)} layers."
                )
            self.__dict__["_input_layer"] = layer
        else:
            if any(existing.name == layer.name for existing in self._layer_list):
                raise InvalidArgumentError(
                    f"All layers added to a Sequential model should have unique names. "
                    f"Name '{layer.name}' is already the name of a layer in this model. "
                    "Update the `name` argument to pass a unique name."
                )
            if not len(self._layer_list) and self._input_layer is None:
                batch_shape = getattr(layer, "_batch_input_shape", None)
                if batch_shape is not None:
                    self.__dict__["_input_layer"] = InputLayer(batch_shape=batch_shape)
            self._layer_list.append(layer)
        self._inference_plans.clear()
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not len(self._layer_list):
            raise InvalidArgumentError(
                f"There are no layers in Sequential '{self.name}' to pop."
            )
        layer: Layer = self._layer_list[-1]  # type: ignore[assignment]
        del self._layer_list[-1]
        self._inference_plans.clear()
        self.built = False
        self._graph_outputs = None
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        if self._input_layer is not None and len(self._layer_list):
            self._build_graph()

    def _build_graph(self) -> None:
        """Run every layer symbolically from the InputLayer: builds weights, checks
        shapes (errors name the layer's position), and gives layers `.output`."""
        # Only called once the InputLayer is set.
        input_layer = cast(InputLayer, self._input_layer)
        tensor: Any = input_layer.output
        for position, layer in enumerate(self._layer_list, start=1):
            with (
                build_context(f"layer {position} of Sequential '{self.name}'"),
                name_scope(self.name),
            ):
                tensor = layer(tensor)
        self._graph_inputs = input_layer.output
        self._graph_outputs = tensor
        self._build_input_shape = input_layer.batch_shape
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        """Build with ``input_shape`` (batch axis included, may be ``None``)."""
        if input_shape is None:
            if self._input_layer is None:
                raise NotBuiltError(
                    f"Sequential '{self.name}' cannot be built without an input shape: "
                    "pass `model.build((None, 28, 28, 1))` or give the first layer "
                    "`input_shape=`."
                )
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None:
            batch_shape = (None, *input_shape[1:])
            self.__dict__["_input_layer"] = InputLayer(batch_shape=batch_shape)
        elif tuple(self._input_layer.batch_shape[1:]) != input_shape[1:]:
            raise InvalidArgumentError(
                f"Sequential '{self.name}' was built for input shape "
                f"{self._input_layer.batch_shape}; `build` received {input_shape}."
            )
        if len(self._layer_list):
            self._build_graph()
        else:
            self.built = True

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        refuse_mask(self, mask)
        x = inputs
        if self._input_layer is not None:
            x = standardize_model_input(x, self._input_layer)
        stack = cast("list[Layer]", list(self._layer_list))
        index = 0
        step_mask: Any = None  # the sequence mask, see models/_masks.py
        while index < len(stack):
            layer = stack[index]
            if index + 1 < len(stack) and defers_relu(layer, stack[index + 1]):
                x = conv_then_pool(layer, stack[index + 1], x)  # type: ignore[arg-type]
                index += 2
                continue
            if step_mask is None and not makes_masks(layer):
                x = layer(x)
            else:
                inputs, x = x, layer(x, **mask_kwargs(layer, {}, step_mask))
                produced = output_masks(layer, inputs, x, step_mask)
                step_mask = produced[0] if produced else None
            index += 1
        return x

    def _inference_call(self, x: Any) -> Any:
        """``self(x, training=False)``, through the inference plan once a batch of
        ``x``'s signature has run the whole way (``models/_inference_plan.py``)."""
        if not isinstance(x, torch.Tensor) or not self._plannable():
            return self(x, training=False)
        signature = _inference_plan.signature_of(x)
        plans = self._inference_plans
        plan = plans.get(signature)
        if plan is not None and plan.still_valid():
            return plan.run(x)
        outputs = self(x, training=False)  # the whole way: every check runs
        if len(plans) >= _inference_plan.MAX_PLANS:
            plans.clear()
        shape = tuple(x.shape)
        if self._input_layer is not None:  # the plan starts where `call` does
            shape = tuple(standardize_model_input(x, self._input_layer).shape)
        plan = _inference_plan.plan_for(self, self.layers, shape)
        if plan is None:
            plans.pop(signature, None)
        else:
            plans[signature] = plan
        return outputs

    def _plannable(self) -> bool:
        # A subclass may do its own work around `call`; jit tracing records calls.
        cls = type(self)
        return (
            cls.call is Sequential.call
            and cls.__call__ is Layer.__call__
            and cls.forward is Layer.forward
            and not torch._C._get_tracing_state()
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = input_shape
        for layer in self._layer_list:
            shape = layer.compute_output_shape(shape)  # type: ignore[operator]
        return shape

    def get_config(self) -> dict[str, Any]:
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_layer(self._input_layer))
        layers.extend(serialize_layer(layer) for layer in self._layer_list)  # type: ignore[arg-type]
        config: dict[str, Any] = {**super().get_config(), "layers": layers}
        if self._input_layer is not None and self.built:
            config["build_input_shape"] = list(self._input_layer.batch_shape)
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Any = None
    ) -> Sequential:
        config = dict(config)
        layer_configs = config.pop("layers")
        build_shape = config.pop("build_input_shape", None)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in layer_configs:
            model.add(deserialize_layer(layer_config, custom_objects), rebuild=False)
        if model._input_layer is None and build_shape is not None:
            model.build(tuple(build_shape))
        else:
            model._maybe_rebuild()
        return model
