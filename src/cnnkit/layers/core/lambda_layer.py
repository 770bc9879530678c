"""``Lambda``: wrap a plain function as a layer (``Lambda(lambda x: x ** 2)``).

As in Keras 3, the function receives the layer's inputs (plus ``arguments`` as keyword
arguments, and ``training`` when it declares that parameter); its output shape is
found by tracing when ``output_shape`` is not given. Weights the function reaches
(a captured ``torch.nn.Module`` or a tensor that requires grad) are *not* tracked by
the layer, so training never updates them: a warning says so, and a layer class
is the fix.

Saving: a Python ``lambda`` is written as Keras writes it (marshalled bytecode under
``"__lambda__"``), a named function as a reference to it. cnnkit never runs bytecode
from a file, so only the named form loads back, and only when that function is
registered or passed in ``custom_objects``.

Example:
    >>> import torch
    >>> square = Lambda(lambda x: x ** 2)
    >>> square(torch.tensor([[1.0, 2.0]]))
    tensor([[1., 4.]])
    >>> Lambda(lambda x: x[:, :1]).compute_output_shape((None, 5))
    (None, 1)
"""

from __future__ import annotations

import codecs
import inspect
import json
import marshal
import types
import warnings
from collections.abc import Callable
from typing import Any

import torch

from cnnkit.errors import FileFormatError, InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.layer import Layer
from cnnkit.serialization import get_registered_name, get_registered_object
from cnnkit.utils import tree

__all__ = ["Lambda"]

Shape = tuple[int | None, ...]


def _is_python_lambda(fn: Any) -> bool:
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _json_value(value: Any, what: str, layer: str) -> Any:
    """``value`` as JSON (tuples become lists), or a teaching error."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        items = value.values() if isinstance(value, dict) else value
        culprit = value
        if isinstance(items, list | tuple) or isinstance(value, dict):
            for item in items:
                try:
                    json.dumps(item)
                except (TypeError, ValueError):
                    culprit = item
                    break
        raise InvalidTypeError(
            f"Lambda '{layer}': its function's {what} holds a "
            f"{type(culprit).__name__}, which cannot be written to a config. Pass "
            "numbers, strings or lists only, or write the computation as a layer "
            "class with its own `get_config()`."
        ) from None


def serialize_function(fn: Callable[..., Any], layer: str) -> dict[str, Any]:
    """Keras' config of a function: bytecode for a lambda, a reference otherwise."""
    if _is_python_lambda(fn):
        code = codecs.encode(marshal.dumps(fn.__code__), "base64").decode("ascii")
        closure = None
        if fn.__closure__:
            closure = [c.cell_contents for c in fn.__closure__]
        return {
            "class_name": "__lambda__",
            "config": {
                "code": code,
                "defaults": _json_value(fn.__defaults__, "defaults", layer),
                "closure": _json_value(closure, "closure", layer),
            },
        }
    registered = get_registered_name(fn)
    if ">" in registered:  # registered with register_keras_serializable
        return {
            "module": getattr(fn, "__module__", None),
            "class_name": "function",
            "config": registered,
            "registered_name": registered,
        }
    name = getattr(fn, "__name__", None)
    if name is None:
        raise InvalidTypeError(
            f"Lambda '{layer}': cannot write {fn!r} to a config: it is neither a "
            "lambda nor a named function. Wrap it in a `def` function."
        )
    # Keras writes an unregistered function exactly like this (module "builtins").
    return {
        "module": "builtins",
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def _untracked_weights(fn: Any) -> list[str]:
    """What ``fn`` reaches that holds trainable weights the layer will not track."""
    reached: dict[str, Any] = {}
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        reached["self"] = owner
    if isinstance(fn, torch.nn.Module):
        reached[type(fn).__name__] = fn
    code = getattr(fn, "__code__", None)
    if code is not None:
        for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=False):
            try:
                reached[name] = cell.cell_contents
            except ValueError:  # an empty cell: the name is assigned later
                continue
        globs = getattr(fn, "__globals__", {})
        for name in code.co_names:
            if name in globs:
                reached[name] = globs[name]
    found = []
    for name, value in reached.items():
        if (
            isinstance(value, torch.nn.Module)
            and any(p.requires_grad for p in value.parameters())
        ) or (isinstance(value, torch.Tensor) and value.requires_grad):
            found.append(name)
    return found


def _merge_shapes(a: torch.Tensor, b: torch.Tensor) -> Shape:
    return tuple(x if x == y else None for x, y in zip(a.shape, b.shape, strict=True))


class Lambda(Layer):
    """Wraps ``function`` as a layer, for Sequential and functional models.

    Args:
        function: Called as ``function(inputs, **arguments)`` (and with
            ``training=`` when it declares that parameter).
        output_shape: The output shape without the batch axis (a tuple), or a
            function of the full input shape; traced from ``function`` when None.
        mask: Must be None: cnnkit layers do not propagate masks.
        arguments: Keyword arguments passed to ``function`` on every call.

    Raises:
        InvalidTypeError: If ``function`` or a callable ``output_shape`` is not
            callable, or ``arguments`` is not a dict.
        InvalidArgumentError: If ``mask`` is not None, or the output shape cannot
            be traced.
    """

    _built_at_init = True  # no weights to create

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise InvalidTypeError(
                f"Lambda: `function` must be callable; received function={function!r} "
                f"of type {type(function).__name__}. Pass e.g. `lambda x: x * 2`."
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise InvalidTypeError(
                f"Lambda: `arguments` must be a dict of keyword arguments for the "
                f"function; received arguments={arguments!r}."
            )
        if mask is not None:
            raise InvalidArgumentError(
                f"Lambda: `mask` must be None; received mask={mask!r}. cnnkit layers "
                "do not propagate masks; drop the argument."
            )
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        # A plain attribute, never a registered sub-module: Keras does not track a
        # function's weights either (see the warning below).
        object.__setattr__(self, "function", function)
        self.arguments: dict[str, Any] = dict(arguments or {})
        self.mask = mask
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            params = {}  # type: ignore[assignment]
        self._fn_takes_training = "training" in params
        untracked = _untracked_weights(function)
        if untracked:
            warnings.warn(
                f"Lambda '{self.name}': its function uses {untracked}, which hold "
                "trainable weights. A Lambda layer does not track them: they are "
                "not in `trainable_weights`, training does not update them and "
                "saving does not write them. Write a layer class that owns them "
                "instead (subclass `keras.layers.Layer`).",
                UserWarning,
                stacklevel=2,
            )

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        kwargs = dict(self.arguments)  # a copy per call: nothing shared is mutated
        if self._fn_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)  # type: ignore[operator]

    def compute_output_shape(self, input_shape: Any) -> Any:
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        if self._output_shape is not None:
            batch = tree.flatten(input_shape)[0] if input_shape else None
            return (batch, *self._output_shape)
        return self._traced_shape(input_shape)

    def _traced_shape(self, input_shape: Any) -> Any:
        """Run the function twice with unknown sizes set to 2, then 3: an output
        axis whose size follows them is unknown (None)."""
        is_list = isinstance(input_shape, list) or (
            isinstance(input_shape, tuple)
            and bool(input_shape)
            and isinstance(input_shape[0], tuple | list)
        )
        shapes = list(input_shape) if is_list else [input_shape]
        outs = []
        for size in (2, 3):
            sample = [
                torch.zeros(tuple(size if d is None else d for d in s)) for s in shapes
            ]
            try:
                with torch.no_grad():
                    out = self.call(sample if is_list else sample[0])
            except Exception as error:
                raise InvalidArgumentError(
                    f"Lambda '{self.name}': could not infer the output shape by "
                    f"running the function on zeros of shape {input_shape}: "
                    f"{type(error).__name__}: {error}. Pass `output_shape=` (the "
                    "shape without the batch axis) to this Lambda layer."
                ) from error
            outs.append(out)
        first, second = outs
        if isinstance(first, torch.Tensor):
            return _merge_shapes(first, second)
        return [_merge_shapes(a, b) for a, b in zip(first, second, strict=True)]

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            **super().get_config(),
            "function": serialize_function(self.function, self.name),  # type: ignore[arg-type]
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                serialize_function(self._output_shape, self.name)
                if callable(self._output_shape)
                else list(self._output_shape)
            )
        config["arguments"] = _json_value(self.arguments, "arguments", self.name)
        return config

    def __repr__(self) -> str:
        name = getattr(self.function, "__name__", type(self.function).__name__)
        return f"<Lambda name={self.name}, function={name}>"

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Lambda:
        """Rebuild from a config; a function must be a reference cnnkit can find.

        Raises:
            FileFormatError: If the function is Python bytecode (never run, whatever
                ``safe_mode`` says) or a reference to a function that is neither
                registered nor in ``custom_objects``.
        """
        config = dict(config)
        name = config.get("name", "?")
        if config.pop("function_type", None) == "function":
            # Keras 2 (.h5): a named function is written as its bare name.
            config["function"] = {
                "class_name": "function",
                "config": config["function"],
            }
        for legacy in ("module", "output_shape_type", "output_shape_module"):
            config.pop(legacy, None)
        config["function"] = resolve_function(
            config.get("function"), name, "function", custom_objects
        )
        shape = config.get("output_shape")
        if isinstance(shape, dict):
            config["output_shape"] = resolve_function(
                shape, name, "output_shape", custom_objects
            )
        return cls(**config)


def resolve_function(
    entry: Any, layer: str, what: str, custom_objects: dict[str, Any] | None
) -> Callable[..., Any]:
    """The function a Lambda config names, found in ``custom_objects`` or the registry."""
    if callable(entry):
        return entry
    if entry is None:
        raise FileFormatError(
            f"The `Lambda` layer {layer!r} has no `{what}` in its config, so it "
            "cannot be rebuilt. Save the model again with the layer's function."
        )
    is_reference = isinstance(entry, dict) and entry.get("class_name") == "function"
    if not is_reference:
        # `__lambda__` (Keras 3) or a [code, defaults, closure] list (Keras 2).
        raise FileFormatError(
            f"The `Lambda` layer {layer!r} stores its `{what}` as Python bytecode. "
            "cnnkit never runs code from a file, even with safe_mode=False. Define "
            "the function with `def` in your script and pass it when loading "
            "(`load_model(path, custom_objects={'name': fn})`), or rewrite the "
            "Lambda as a layer class registered with "
            "`@keras.saving.register_keras_serializable()`."
        )
    key = entry.get("config")
    found = None
    for candidate in (key, entry.get("registered_name")):
        if isinstance(candidate, str) and candidate != "function":
            found = get_registered_object(candidate, custom_objects)
            if found is not None:
                break
    if found is None or not callable(found):
        raise FileFormatError(
            f"The `Lambda` layer {layer!r} calls the function {key!r}, which is "
            "neither registered nor in `custom_objects`. Pass it when loading: "
            f"`load_model(path, custom_objects={{{key!r}: {key}}})`, or decorate it "
            "with `@keras.saving.register_keras_serializable()` before loading."
        )
    return found
