"""``Model``: a layer that groups layers and trains (compile / fit / evaluate / predict).

``Model(inputs, outputs)`` builds a functional graph; ``Model()`` in a subclass gives a
subclassed model whose ``call`` you write. ``Functional`` (the model
``Model(inputs, outputs)`` returns) is declared here too, on the graph machinery of
:mod:`cnnkit.models.graph`, because ``Model`` must know the class it hands out.
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, NotBuiltError
from cnnkit.layers.base.keras_tensor import contains_keras_tensor
from cnnkit.layers.base.layer import Layer
from cnnkit.models.functional_config import graph_from_config
from cnnkit.models.graph import GraphNetwork
from cnnkit.models.legacy import Keras2Methods
from cnnkit.saving import load_weights, model_to_json, save_model, save_weights
from cnnkit.saving.onnx_export import export_model
from cnnkit.training.trainer import Trainer
from cnnkit.utils import tree


class Model(Keras2Methods, Trainer):
    """Groups layers into an object with training and inference features.

    Example:
        >>> import cnnkit
        >>> inputs = cnnkit.Input((4,))
        >>> outputs = cnnkit.layers.Dense(2, activation="softmax")(inputs)
        >>> model = cnnkit.Model(inputs, outputs, name="tiny")
        >>> type(model).__name__, model.count_params()
        ('Functional', 10)
    """

    # Whether `Subclass(inputs, outputs)` means a functional graph (Sequential's first
    # argument is a list of layers instead).
    _positional_inputs_outputs: bool = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model:
            on_a_graph = bool(args) or "inputs" in kwargs or "outputs" in kwargs
        else:
            given = args[0] if args else kwargs.get("inputs")
            on_a_graph = cls._positional_inputs_outputs and contains_keras_tensor(given)
        if on_a_graph:
            if cls is Model:
                return super().__new__(Functional)
            if not issubclass(cls, Functional):
                # `CustomModel(inputs, outputs)` with a `train_step` of its own, as in
                # Keras' "customising fit" guide: the subclass on a functional graph.
                return super().__new__(_on_a_graph(cls, Functional))
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or "inputs" in kwargs or "outputs" in kwargs:
            # `super().__init__(inputs=..., outputs=...)` in a subclass's __init__:
            # Keras makes that subclass a functional model on those tensors.
            self.__class__ = _on_a_graph(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)  # type: ignore[arg-type]
            return
        super().__init__(**kwargs)
        self._init_training_state()

    # ------------------------------------------------------------------ layers

    @property
    def layers(self) -> list[Layer]:
        return self._direct_sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Find a layer by ``name`` or by ``index`` in ``model.layers``."""
        layers = self.layers
        if index is not None and name is not None:
            raise InvalidArgumentError(
                f"Provide only `name` or `index`, not both; received name={name!r}, "
                f"index={index!r}."
            )
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise InvalidArgumentError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise InvalidArgumentError(
                f"No such layer: {name!r}. Existing layers are: "
                f"{[layer.name for layer in layers]}."
            )
        raise InvalidArgumentError("Provide either a layer `name` or `index`.")

    def summary(
        self,
        line_length: int | None = None,
        positions: list[float] | None = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print a table of layers, output shapes and parameter counts (Keras' format)."""
        from cnnkit.models.summary import print_summary

        print_summary(
            self, line_length=line_length, positions=positions, print_fn=print_fn,
            expand_nested=expand_nested, show_trainable=show_trainable,
            layer_range=layer_range,
        )  # fmt: skip

    # ------------------------------------------------------------------ I/O shapes

    def _graph_io(self, which: str) -> Any:
        value = getattr(self, f"_graph_{which}", None)
        if value is None:
            raise NotBuiltError(
                f"{type(self).__name__} '{self.name}' has no defined {which} yet: build "
                "it first (give the first layer `input_shape=`, start with "
                "`cnnkit.Input(shape)`, call `model.build(input_shape)`, or call it on data)."
            )
        return value

    @property
    def output_names(self) -> list[str]:
        """The names of the layers producing the outputs, in output order (the keys
        of ``compile(loss={...})`` and of the ``<name>_loss`` logs)."""
        graph_outputs = getattr(self, "_graph_outputs", None)
        if isinstance(graph_outputs, dict):
            return sorted(graph_outputs)
        if graph_outputs is not None:
            return [t._keras_history[0].name for t in tree.flatten(graph_outputs)]
        layers = self.layers
        return [layers[-1].name] if layers else []

    @property
    def inputs(self) -> list[Any]:
        value = self._graph_io("inputs")
        return value if isinstance(value, list) else [value]

    @property
    def outputs(self) -> list[Any]:
        value = self._graph_io("outputs")
        return value if isinstance(value, list) else [value]

    @property
    def input(self) -> Any:
        return self._graph_io("inputs")

    @property
    def output(self) -> Any:
        return self._graph_io("outputs")

    @property
    def input_shape(self) -> Any:
        value = self._graph_io("inputs")
        if isinstance(value, list | tuple):
            return [t.shape for t in value]
        return value.shape

    @property
    def output_shape(self) -> Any:
        value = self._graph_io("outputs")
        if isinstance(value, list | tuple):
            return [t.shape for t in value]
        return value.shape

    # ------------------------------------------------------------------ building

    def build(self, input_shape: Any = None) -> None:
        """Create a subclassed model's weights by running ``call`` once on zeros.

        ``model.build((None, 28, 28, 1))`` is how Keras tutorials make a subclassed
        model's ``summary()`` and ``set_weights`` work before any data: unknown sizes
        run as 1, in inference mode, without autograd.
        """
        if input_shape is None:
            raise InvalidArgumentError(
                f"Model '{self.name}' needs an input shape to build: call "
                "`model.build((None, 28, 28, 1))` with the shape of a batch "
                "(None for the batch size)."
            )
        sample = _zeros_like_shape(input_shape)
        with torch.no_grad():
            self.call(sample, **self._inference_kwargs())
        self._build_input_shape = input_shape

    def _inference_kwargs(self) -> dict[str, Any]:
        return {"training": False} if self._call_signature.accepts_training else {}

    def _build_with_shape(self, input_shape: Any) -> None:
        # A subclassed model that keeps Model.build creates its weights during its
        # first real call: running it on zeros first would do the work twice.
        if type(self).build is Model.build:
            self._build_input_shape = input_shape
            self.built = True
            return
        super()._build_with_shape(input_shape)

    # ------------------------------------------------------------------ files

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the whole model (``.keras``, or legacy ``.h5``)."""
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(
        self, filepath: Any, overwrite: bool = True, **kwargs: Any
    ) -> None:
        """Save the weights to a ``.weights.h5`` file."""
        save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(
        self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any
    ) -> None:
        """Load weights from ``.weights.h5``, ``.keras`` or legacy ``.h5`` files."""
        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath: Any, format: str = "onnx", **kwargs: Any) -> None:
        """Export for inference (``format='onnx'``)."""
        export_model(self, filepath, format=format, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as Keras JSON (``models.model_from_json`` reads it)."""
        return model_to_json(self, **kwargs)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Model:
        """Rebuild from ``get_config()``: a functional graph, or a subclass's arguments.

        Example:
            >>> import cnnkit
            >>> inputs = cnnkit.Input((4,))
            >>> model = cnnkit.Model(inputs, cnnkit.layers.Dense(2)(inputs))
            >>> type(cnnkit.Model.from_config(model.get_config())).__name__
            'Functional'
        """
        if "layers" in config and "output_layers" in config:
            graph = Functional.from_config(config, custom_objects)
            if cls is Model or issubclass(cls, Functional):
                return graph
            # A subclass built on a graph (`CustomModel(inputs, outputs)`).
            return cls(graph.input, graph.output, name=graph.name)
        return cls(**config)


_GRAPH_CLASSES: dict[type, type] = {}


def _on_a_graph(cls: type, functional: type) -> type:
    """``cls`` with the functional graph behind it (one class per subclass, cached)."""
    if cls not in _GRAPH_CLASSES:
        _GRAPH_CLASSES[cls] = type(
            cls.__name__,
            (cls, functional),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
        )
    return _GRAPH_CLASSES[cls]


def _zeros_like_shape(shape: Any) -> Any:
    """Zeros for a shape (unknown sizes as 1), or a list of them for several inputs."""
    if isinstance(shape, list | tuple) and all(
        d is None or isinstance(d, int) for d in shape
    ):
        return torch.zeros(tuple(1 if d is None else int(d) for d in shape))
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(v) for k, v in shape.items()}
    return [_zeros_like_shape(s) for s in shape]


class Functional(GraphNetwork, Model):
    """A model built from ``Input`` tensors and the layers applied to them.

    Example:
        >>> import cnnkit
        >>> from cnnkit import layers
        >>> inputs = cnnkit.Input((8, 8, 3))
        >>> a = layers.Conv2D(4, 3, padding="same")(inputs)
        >>> b = layers.Conv2D(4, 1)(inputs)
        >>> pooled = layers.GlobalAveragePooling2D()(layers.Add()([a, b]))
        >>> model = cnnkit.Model(inputs, layers.Dense(2)(pooled))
        >>> [type(layer).__name__ for layer in model.layers][:3]
        ['InputLayer', 'Conv2D', 'Conv2D']
    """

    def __init__(
        self,
        inputs: Any,
        outputs: Any,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_training_state()
        self._init_graph(inputs, outputs)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Any = None
    ) -> Functional:
        inputs, outputs = graph_from_config(config, custom_objects)
        return Functional(
            inputs,
            outputs,
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )
