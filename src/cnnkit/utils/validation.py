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

from collections.abc import Iterable, Sequence
from typing import Any

from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError

Shape = tuple[int | None, ...]


def format_shape(shape: Sequence[int | None]) -> str:
    """Render a shape the way Keras does: ``(None, 28, 28, 1)``."""
    parts = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


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


def describe_layer(layer: Any) -> str:
    """``Conv2D 'conv2d_1'`` plus its position when a model is building it."""
    from cnnkit.layers.base.context import current_build_context

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
