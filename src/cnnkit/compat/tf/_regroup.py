"""How ``tf.data`` transformations regroup elements, as plain iterator functions:
``interleave``'s cycle order, ``padded_batch``'s padding and ``group_by_window``'s
windows. ``data.Dataset`` wraps them; nothing here knows about datasets.

Example:
    >>> import torch
    >>> padded = pad_and_stack([torch.tensor([1, 2]), torch.tensor([3])], None, 0)
    >>> padded.tolist()
    [[1, 2], [3, 0]]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

import torch

from cnnkit.compat.tf._common import to_tensor
from cnnkit.compat.tf._elements import stack_batch
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError

__all__ = [
    "chosen", "fill_unknown", "group_windows", "interleaved", "pad_and_stack",
    "padded_batch", "sampled",
]  # fmt: skip


def interleaved(
    inputs: Iterator[Any],
    open_element: Callable[[Any], Iterator[Any]],
    cycle_length: int,
    block_length: int,
) -> Iterator[Any]:
    """TF's interleave order: ``block_length`` elements from each of
    ``cycle_length`` open iterators in turn; an exhausted one is replaced, in its
    slot, by the iterator of the next input element."""
    slots: list[Iterator[Any] | None] = [None] * cycle_length
    index = block = 0
    open_count = 0
    end_of_input = False
    while not end_of_input or open_count:
        current = slots[index]
        if current is not None:
            try:
                item = next(current)
            except StopIteration:
                slots[index] = None
                open_count -= 1
                index, block = (index + 1) % cycle_length, 0
                continue
            yield item
            block += 1
            if block == block_length:
                index, block = (index + 1) % cycle_length, 0
        elif not end_of_input:
            try:
                slots[index] = open_element(next(inputs))
                open_count += 1
            except StopIteration:
                end_of_input = True
        else:
            index, block = (index + 1) % cycle_length, 0


def _dims(spec: Any, rank: int) -> list[int | None]:
    """A padded shape (list, tuple, torch.Size, 1-D tensor, None) as its dims."""
    if spec is None:
        return [None] * rank
    if isinstance(spec, torch.Tensor):
        spec = spec.tolist()
    if isinstance(spec, int):
        spec = [spec]
    dims = [None if d is None or int(d) < 0 else int(d) for d in spec]
    if len(dims) != rank:
        raise IncompatibleShapeError(
            f"Dataset.padded_batch: `padded_shapes` {list(spec)} has rank {len(dims)} "
            f"but the element's component has rank {rank}; give one size (or None "
            "for the longest in the batch) per dimension."
        )
    return dims


def pad_and_stack(items: list[Any], spec: Any, value: Any) -> Any:
    """One component of a batch: each item padded with ``value`` to ``spec``'s
    shape (None dimensions: the batch's longest), then stacked.

    Raises:
        InvalidArgumentError: An item is larger than a fixed padded size.
    """
    first = items[0]
    if isinstance(first, str | bytes) or to_tensor(first).dim() == 0:
        return stack_batch(items)
    tensors = [to_tensor(i) for i in items]
    rank = tensors[0].dim()
    if any(t.dim() != rank for t in tensors):
        ranks = sorted({t.dim() for t in tensors})
        raise IncompatibleShapeError(
            f"Dataset.padded_batch: the elements of a batch must have one rank; "
            f"received ranks {ranks}."
        )
    dims = _dims(spec, rank)
    longest = [max(int(t.shape[d]) for t in tensors) for d in range(rank)]
    for d, (fixed, need) in enumerate(zip(dims, longest)):
        if fixed is not None and fixed < need:
            raise InvalidArgumentError(
                f"Dataset.padded_batch: an element has size {need} in dimension {d}, "
                f"more than its padded size {fixed}; raise `padded_shapes` there or "
                "use None (the batch's longest)."
            )
    shape = [need if fixed is None else fixed for fixed, need in zip(dims, longest)]
    fill = 0 if value is None else to_tensor(value).item()
    out = tensors[0].new_full((len(tensors), *shape), fill)
    for i, t in enumerate(tensors):
        index: tuple[int | slice, ...] = (i, *(slice(0, int(s)) for s in t.shape))
        out[index] = t
    return out


def padded_batch(elements: list[Any], shapes: Any, values: Any) -> Any:
    """A batch of same-structured elements, each component padded and stacked.

    ``shapes`` and ``values`` follow the element's structure (a tuple of shapes for
    tuple elements); a single padding value applies to every component.
    """
    first = elements[0]
    if isinstance(first, tuple | list | dict):
        keys = list(first) if isinstance(first, dict) else list(range(len(first)))
        parts = {
            key: padded_batch(
                [e[key] for e in elements],
                None if shapes is None else shapes[key],
                values[key] if isinstance(values, tuple | list | dict) else values,
            )
            for key in keys
        }
        return parts if isinstance(first, dict) else tuple(parts.values())
    return pad_and_stack(elements, shapes, values)


def fill_unknown(shapes: Any, element: Any, size: int) -> Any:
    """``shapes`` with None dimensions set to ``size``; without ``shapes``, the
    first dimension of each non-scalar component of ``element`` (its sequence)."""
    if isinstance(element, tuple | list | dict):
        keys = list(element) if isinstance(element, dict) else range(len(element))
        parts = {
            k: fill_unknown(None if shapes is None else shapes[k], element[k], size)
            for k in keys
        }
        return parts if isinstance(element, dict) else tuple(parts.values())
    if isinstance(element, str | bytes):
        return []
    rank = to_tensor(element).dim()
    if shapes is None:
        return [size] + [None] * (rank - 1) if rank else []
    return [size if d is None else d for d in _dims(shapes, rank)]


def sampled(
    iterators: list[Iterator[Any]],
    weights: list[float],
    stream: torch.Generator | None,
    stop_on_empty: bool,
) -> Iterator[Any]:
    """Elements from iterators picked at random by ``weights``; an exhausted one
    ends everything (``stop_on_empty``) or drops out, the others' weights renormalised."""
    alive = list(range(len(iterators)))
    while alive:
        chances = torch.tensor([weights[i] for i in alive], dtype=torch.float64)
        if float(chances.sum()) <= 0:
            return
        pick = alive[int(torch.multinomial(chances, 1, generator=stream))]
        try:
            yield next(iterators[pick])
        except StopIteration:
            if stop_on_empty:
                return
            alive.remove(pick)


def chosen(
    iterators: list[Iterator[Any]], choices: Iterator[Any], stop_on_empty: bool
) -> Iterator[Any]:
    """The next element of ``iterators[c]`` for each choice ``c``.

    Raises:
        InvalidArgumentError: A choice is not an index into the datasets.
    """
    for choice in choices:
        index = int(choice)
        if not 0 <= index < len(iterators):
            raise InvalidArgumentError(
                f"Dataset.choose_from_datasets: the choice {index} is not an index "
                f"into the {len(iterators)} datasets; `choice_dataset` must give "
                f"int64 scalars in [0, {len(iterators)})."
            )
        try:
            yield next(iterators[index])
        except StopIteration:
            if stop_on_empty:
                return


def group_windows(
    elements: Iterator[Any],
    key_of: Callable[[Any], Hashable],
    size_of: Callable[[Hashable], int],
) -> Iterator[tuple[Hashable, list[Any]]]:
    """``(key, window)`` pairs: elements gathered by key, a window given out when it
    reaches its key's size; what is left at the end, in first-seen key order."""
    windows: dict[Hashable, list[Any]] = {}
    for element in elements:
        key = key_of(element)
        window = windows.setdefault(key, [])
        window.append(element)
        if len(window) >= size_of(key):
            yield key, windows.pop(key)
    yield from windows.items()
