"""Parsing of the per-axis ``(before, after)`` amounts of ZeroPadding and Cropping.

Keras accepts three forms for 2-D/3-D layers: an int (the same amount everywhere), a
tuple of ``rank`` ints (symmetric per axis), or a tuple of ``rank`` pairs
(``((top, bottom), (left, right))``). 1-D layers take an int or one pair.

Example:
    >>> normalize_amounts(1, 2, "padding")
    ((1, 1), (1, 1))
    >>> normalize_amounts((1, 2), 2, "padding")
    ((1, 1), (2, 2))
    >>> normalize_amounts(((0, 1), (2, 3)), 2, "padding")
    ((0, 1), (2, 3))
"""

from __future__ import annotations

from typing import Any

from cnnkit.errors import InvalidArgumentError

Pairs = tuple[tuple[int, int], ...]

_AXES = {2: ("height", "width"), 3: ("dim1", "dim2", "dim3")}


def _forms(rank: int, name: str) -> str:
    axes = _AXES[rank]
    symmetric = ", ".join(f"symmetric_{axis}_{name}" for axis in axes)
    pairs = ", ".join(f"(before_{axis}, after_{axis})" for axis in axes)
    return f"an int, a tuple of {rank} ints ({symmetric}) or a tuple of {rank} pairs ({pairs})"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def normalize_pair(value: Any, name: str) -> tuple[int, int]:
    """A 1-D amount: an int ``p`` means ``(p, p)``; a pair is ``(before, after)``."""
    pair = (value, value) if _is_int(value) else value
    if (
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(_is_int(v) and v >= 0 for v in pair)
    ):
        return (int(pair[0]), int(pair[1]))
    raise InvalidArgumentError(
        f"`{name}` must be a non-negative int or a pair of non-negative ints "
        f"(before, after); received {name}={value!r}."
    )


def normalize_amounts(value: Any, rank: int, name: str) -> Pairs:
    """Normalise an N-D ``padding``/``cropping`` argument to ``rank`` pairs."""
    error = InvalidArgumentError(
        f"`{name}` must be {_forms(rank, name)}, with non-negative values; "
        f"received {name}={value!r}."
    )
    entries = (value,) * rank if _is_int(value) else value
    if not isinstance(entries, list | tuple) or len(entries) != rank:
        raise error
    pairs = []
    for entry in entries:
        pair = (entry, entry) if _is_int(entry) else entry
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(_is_int(v) and v >= 0 for v in pair)
        ):
            raise error
        pairs.append((int(pair[0]), int(pair[1])))
    return tuple(pairs)
