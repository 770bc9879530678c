"""Argument checks shared by the optimizers and the schedules (names: ``cnnkit.naming``).

Every message names the argument, says what is allowed, echoes what was received
and, where one exists, suggests the fix, so the wording reads the same everywhere.

Example:
    >>> check_float(0.9, "beta_1", "Adam")
    0.9
"""

from __future__ import annotations

import numbers
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.optimizers.schedules import LearningRateSchedule

__all__ = [
    "LearningRate",
    "check_float",
    "check_in_range",
    "check_learning_rate",
    "check_positive_int",
    "optional_float",
    "pop_legacy_kwargs",
    "to_float32",
    "user_stacklevel",
]

LearningRate = float | LearningRateSchedule | Callable[[], float]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def is_real(value: object) -> bool:
    """True for ints, floats and numpy scalars, but not for bools."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_float(value: object, name: str, owner: str) -> float:
    """Return ``value`` as a Python float, or raise a teaching ``InvalidTypeError``."""
    if not is_real(value):
        raise InvalidTypeError(
            f"{owner}: `{name}` must be a number (int or float); received "
            f"{name}={value!r} of type {type(value).__name__}. "
            f"Pass a plain number, e.g. {name}=0.9."
        )
    return float(value)  # type: ignore[arg-type]


def check_in_range(
    value: object,
    name: str,
    owner: str,
    low: float,
    high: float,
    *,
    low_inclusive: bool = True,
) -> float:
    """Check that a number lies in ``[low, high]`` (or ``(low, high]``)."""
    number = check_float(value, name, owner)
    above_low = number >= low if low_inclusive else number > low
    if not (above_low and number <= high):
        bracket = "[" if low_inclusive else "("
        raise InvalidArgumentError(
            f"{owner}: `{name}` must be in the range {bracket}{low}, {high}]; "
            f"received {name}={value!r}."
        )
    return number


def check_positive_int(value: object, name: str, owner: str, minimum: int) -> int:
    """Check an integer setting such as ``gradient_accumulation_steps``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidTypeError(
            f"{owner}: `{name}` must be an integer >= {minimum} or None; received "
            f"{name}={value!r} of type {type(value).__name__}."
        )
    if value < minimum:
        raise InvalidArgumentError(
            f"{owner}: `{name}` must be an integer >= {minimum} or None; "
            f"received {name}={value!r}."
        )
    return int(value)


def to_float32(value: float) -> float:
    """Round a Python float to float32 precision, as a Keras float32 variable does.

    Example:
        >>> to_float32(0.001)
        0.0010000000474974513
    """
    return float(np.float32(value))


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside this package.

    Optimizer constructors are nested (``SGD.__init__`` -> ``Optimizer.__init__``), so a
    fixed ``stacklevel`` would blame cnnkit instead of the line the user wrote.
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == (
        _PACKAGE_DIR
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def optional_float(value: object, name: str, owner: str) -> float | None:
    """``check_float`` that lets None through (an unset option)."""
    return None if value is None else check_float(value, name, owner)


def check_learning_rate(value: object, owner: str) -> LearningRate:
    """Accept a number (stored as float32), a schedule, or a zero-argument callable."""
    if isinstance(value, LearningRateSchedule):
        return value
    if is_real(value):
        return to_float32(float(value))  # type: ignore[arg-type]
    if callable(value) and not isinstance(value, type):
        return value
    raise InvalidTypeError(
        f"{owner}: `learning_rate` must be a float, a LearningRateSchedule or a "
        "zero-argument callable returning a float; received "
        f"learning_rate={value!r} of type {type(value).__name__}. "
        "Example: learning_rate=0.001."
    )


def pop_legacy_kwargs(
    kwargs: dict[str, Any],
    learning_rate: LearningRate,
    owner: str,
    allowed: list[str],
) -> LearningRate:
    """Handle Keras 2 arguments still found in tutorials; reject anything else.

    ``lr=`` replaces ``learning_rate`` (Keras 3 rejects it; cnnkit warns instead),
    ``decay=`` is ignored with a warning, and any other name is an error.
    """
    if "lr" in kwargs:
        learning_rate = kwargs.pop("lr")
        warnings.warn(
            f"{owner}: `lr` is deprecated; use `learning_rate` instead "
            f"({owner}(learning_rate={learning_rate!r})). Keras 3 rejects `lr`.",
            DeprecationWarning,
            stacklevel=user_stacklevel(),
        )
    decay = kwargs.pop("decay", None)
    # decay=0.0 (the Keras 2 default, often written out) changes nothing: no noise.
    if decay:
        warnings.warn(
            f"{owner}: `decay` is no longer supported and is ignored (received "
            f"decay={decay!r}). For the same effect use learning_rate="
            "cnnkit.optimizers.schedules.InverseTimeDecay(<lr>, decay_steps=1, "
            f"decay_rate={decay!r}).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if kwargs:
        raise InvalidArgumentError(
            f"{owner}: Argument(s) not recognized: {kwargs!r}. Check the spelling "
            f"against {owner}'s arguments: {sorted(allowed)}."
        )
    return learning_rate
