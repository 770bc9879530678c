"""Argument normalisers and the wording of cnnkit's errors.

All user-facing messages are built here so they read the same everywhere: the argument
in backticks, the value received as ``name=value``, what is allowed, and a fix.

Example:
    >>> to_tuple(3, 2, "kernel_size")
    (3, 3)
    >>> normalize_padding("SAME", ("valid", "same"))
    'same'
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError

Shape = tuple[int | None, ...]


def format_shape(shape: Sequence[int | None]) -> str:
    """Render a shape the way Keras does: ``(None, 28, 28, 1)``."""
    parts = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _fits(shape: Sequence[int | None], expected: Sequence[int | None]) -> bool:
    """Same rank, and every known size of ``expected`` equals the one in ``shape``."""
    return len(shape) == len(expected) and all(
        e is None or d is None or e == d for e, d in zip(expected, shape)
    )


def missing_batch_axis_hint(
    shape: Sequence[int | None], batch_shape: Sequence[int | None]
) -> str | None:
    """Explain data that is one sample given without its batch axis, else ``None``.

    ``(28, 28, 1)`` for ``(None, 28, 28, 1)`` is one image: its sizes are those of a
    sample. Keras' own fix for a rank off by one (a trailing axis of size 1 added,
    as ``(N, 28, 28)`` gets for ``Input((28, 28, 1))``) is tried first and wins
    whenever it makes the data fit, so such data keeps working as in Keras.

    Example:
        >>> hint = missing_batch_axis_hint((28, 28, 1), (None, 28, 28, 1))
        >>> print(hint)  # doctest: +ELLIPSIS
        The batch axis is missing: (28, 28, 1) is one sample, ... (shape (1, 28, 28, 1)).
        >>> missing_batch_axis_hint((16, 28, 28), (None, 28, 28, 1)) is None
        True
    """
    shape, batch_shape = tuple(shape), tuple(batch_shape)
    if not shape or len(shape) != len(batch_shape) - 1:
        return None
    if not _fits(shape, batch_shape[1:]):
        return None
    if batch_shape[-1] == 1 and _fits((*shape, 1), batch_shape):
        return None  # Keras reads it as a batch without its channel axis
    one = format_shape((1, *shape))
    return (
        f"The batch axis is missing: {format_shape(shape)} is one sample, but "
        "models take batches of shape (batch, ...). To pass a single sample, add "
        f"the batch axis: `x = x[None]` or `x = np.expand_dims(x, 0)` (shape {one})."
    )


def non_numeric_message(array: np.ndarray) -> str | None:
    """Why ``array`` cannot be model input (text, objects, dates), or ``None``.

    Example:
        >>> print(non_numeric_message(np.array([1.0, 2.0])))
        None
        >>> print(non_numeric_message(np.array(["a.png"])))  # doctest: +ELLIPSIS
        Received an array of strings (dtype '<U5', shape (1,)), but images ...
    """
    kind, shape = array.dtype.kind, format_shape(array.shape)
    if kind in "biufc":
        return None
    if kind in "US":
        return (
            f"Received an array of strings (dtype {array.dtype.str!r}, shape {shape}), "
            "but images and the other model inputs must be numeric. If these are "
            "image file paths, load each one with `cnnkit.utils.load_img(path)` and "
            "`cnnkit.utils.img_to_array(img)`; if they are numbers stored as text, "
            "convert them with `x = x.astype('float32')`. Text class labels become "
            "integer ids with `classes, y = np.unique(labels, return_inverse=True)`."
        )
    if kind == "O":
        return (
            f"Received an array of Python objects (dtype=object) of shape {shape}, "
            "but images and the other model inputs must be numeric arrays. This "
            "usually means images of different sizes, or a mix of types: give every "
            "image the same size (`cnnkit.utils.load_img(path, target_size=(28, 28))`"
            "), then make one numeric array with "
            "`x = np.stack(list(x)).astype('float32')`."
        )
    return (
        f"Received an array of dtype {array.dtype.str!r} (shape {shape}), but images "
        "and the other model inputs must be numeric: convert it with "
        "`x = x.astype('float32')`."
    )


def to_tuple(
    value: int | Sequence[int], n: int, name: str, *, allow_zero: bool = False
) -> tuple[int, ...]:
    """Broadcast an int to an ``n``-tuple, or check a sequence has length ``n``."""
    if isinstance(value, bool):
        raise InvalidTypeError(
            f"`{name}` must be an int or a tuple of {n} ints; received {name}={value!r}."
        )
    if isinstance(value, int):
        result: tuple[int, ...] = (value,) * n
    elif isinstance(value, Iterable) and not isinstance(value, str):
        result = tuple(value)
        if len(result) != n or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in result
        ):
            raise InvalidArgumentError(
                f"`{name}` must be an int or a tuple of {n} ints; "
                f"received {name}={value!r}."
            )
    else:
        raise InvalidTypeError(
            f"`{name}` must be an int or a tuple of {n} ints; received {name}={value!r}."
        )
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in result):
        bound = "non-negative" if allow_zero else "positive"
        raise InvalidArgumentError(
            f"`{name}` values must be {bound}; received {name}={value!r}."
        )
    return result


def normalize_padding(value: Any, allowed: Sequence[str], name: str = "padding") -> str:
    """Lower-case a padding string and check it is one of ``allowed``."""
    if not isinstance(value, str) or value.lower() not in allowed:
        raise InvalidArgumentError(
            f"`{name}` must be one of {list(allowed)}; received {name}={value!r}."
        )
    return value.lower()


def check_positive_int(value: Any, name: str) -> int:
    """Return ``value`` if it is an int > 0, else raise a teaching error."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(
            f"`{name}` must be a positive integer; received {name}={value!r}."
        )
    return value


def check_rate(value: Any, name: str = "rate") -> float:
    """A probability-like rate in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(
            f"`{name}` must be a float in [0, 1]; received {value!r}."
        )
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidArgumentError(
            f"`{name}` must be a float in [0, 1]; received {name}={value!r}."
        )
    return float(value)


def check_choice(value: Any, allowed: Sequence[Any], name: str) -> Any:
    """Check ``value`` is one of ``allowed`` (listed in the error)."""
    if value not in allowed:
        raise InvalidArgumentError(
            f"`{name}` must be one of {list(allowed)}; received {name}={value!r}."
        )
    return value


# Where a model is in building its layers, per thread, for error messages: a
# plain stack of descriptions, so the layers' errors can name the position
# without this module knowing about models.
_build_positions = threading.local()


def current_build_context() -> str | None:
    """E.g. ``"layer 3 of Sequential 'model'"`` while a model builds its layers."""
    stack = getattr(_build_positions, "where", None)
    return stack[-1] if stack else None


@contextlib.contextmanager
def build_context(description: str) -> Iterator[None]:
    """Name the position of the layer being built, for error messages."""
    stack = getattr(_build_positions, "where", None)
    if stack is None:
        stack = _build_positions.where = []
    stack.append(description)
    try:
        yield
    finally:
        stack.pop()


def describe_layer(layer: Any) -> str:
    """``Conv2D 'conv2d_1'`` plus its position when a model is building it."""
    where = current_build_context()
    suffix = f" ({where})" if where else ""
    return f"{type(layer).__name__} '{getattr(layer, 'name', '?')}'{suffix}"


def shape_error(
    layer: Any,
    input_shape: Any,
    rule: str,
    fix: str,
    because: dict[str, Any] | None = None,
) -> IncompatibleShapeError:
    """Build the five-part shape error of STYLE.md §4 (who, rule, received, because, fix).

    Example:
        >>> class Conv2D: name = "conv2d_1"
        >>> print(shape_error(Conv2D(), (None, 3, 3, 16), "the output would be -1",
        ...       "Use padding='same'.", {"kernel_size": (5, 5)}))
        Conv2D 'conv2d_1' cannot process input of shape (None, 3, 3, 16): with kernel_size=(5, 5) the output would be -1. Use padding='same'.
    """
    received = _render_shape_structure(input_shape)
    config = ""
    if because:
        config = "with " + ", ".join(f"{k}={v!r}" for k, v in because.items()) + " "
    return IncompatibleShapeError(
        f"{describe_layer(layer)} cannot process input of shape {received}: "
        f"{config}{rule}. {fix}"
    )


def _render_shape_structure(shape: Any) -> str:
    if isinstance(shape, list) or (
        isinstance(shape, tuple) and shape and isinstance(shape[0], tuple | list)
    ):
        return "[" + ", ".join(_render_shape_structure(s) for s in shape) + "]"
    if isinstance(shape, dict):
        inner = ", ".join(
            f"{k!r}: {_render_shape_structure(v)}" for k, v in shape.items()
        )
        return "{" + inner + "}"
    return format_shape(shape)


def unknown_kwargs_error(cls_name: str, kwargs: dict[str, Any]) -> InvalidArgumentError:
    """Keras' wording for stray keyword arguments, plus a hint for common typos."""
    return InvalidArgumentError(
        f"Unrecognized keyword arguments passed to {cls_name}: {kwargs}. "
        f"Check the spelling against {cls_name}'s documented arguments."
    )
