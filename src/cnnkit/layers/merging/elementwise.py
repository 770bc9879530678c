"""Elementwise merges: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``, and their lowercase functional forms (``add([a, b])``).

Example:
    >>> import torch
    >>> a, b = torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])
    >>> Maximum()([a, b]), subtract([a, b])
    (tensor([[3., 5.]]), tensor([[-2.,  3.]]))
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import torch

from cnnkit.layers.merging.base_merge import Merge


class Add(Merge):
    """Sums a list of tensors (e.g. a residual connection ``x + f(x)``).

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of the same shape (size-1 axes broadcast).

    Output shape:
        That common shape.

    Example:
        >>> import cnnkit
        >>> from cnnkit import layers
        >>> x = cnnkit.Input((8, 8, 4))
        >>> Add()([x, layers.Conv2D(4, 3, padding="same")(x)]).shape
        (None, 8, 8, 4)
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.add, inputs)


class Subtract(Merge):
    """Computes ``inputs[0] - inputs[1]`` (exactly two inputs).

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of two tensors of the same shape (size-1 axes broadcast).

    Output shape:
        That common shape.

    Example:
        >>> import torch
        >>> Subtract()([torch.ones(1, 2), torch.ones(1, 2)])
        tensor([[0., 0.]])
    """

    _min_inputs = 2
    _max_inputs = 2

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of tensors elementwise (e.g. an attention gate).

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of the same shape (size-1 axes broadcast, so a
        ``(batch, 1, 1, channels)`` gate scales a ``(batch, h, w, channels)`` map).

    Output shape:
        The broadcast shape.

    Example:
        >>> import torch
        >>> Multiply()([torch.ones(2, 4, 4, 3), torch.zeros(2, 1, 1, 3)]).shape
        torch.Size([2, 4, 4, 3])
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.mul, inputs)


class Average(Merge):
    """Averages a list of tensors elementwise.

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of the same shape (size-1 axes broadcast).

    Output shape:
        That common shape.

    Example:
        >>> import torch
        >>> Average()([torch.zeros(1, 2), torch.ones(1, 2)])
        tensor([[0.5000, 0.5000]])
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.add, inputs) / len(inputs)


class Maximum(Merge):
    """Elementwise maximum of a list of tensors.

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of the same shape (size-1 axes broadcast).

    Output shape:
        That common shape.

    Example:
        >>> import torch
        >>> Maximum()([torch.tensor([[1.0, 4.0]]), torch.tensor([[2.0, 3.0]])])
        tensor([[2., 4.]])
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.maximum, inputs)


class Minimum(Merge):
    """Elementwise minimum of a list of tensors.

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of the same shape (size-1 axes broadcast).

    Output shape:
        That common shape.

    Example:
        >>> import torch
        >>> Minimum()([torch.tensor([[1.0, 4.0]]), torch.tensor([[2.0, 3.0]])])
        tensor([[1., 3.]])
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.minimum, inputs)


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Add`: ``add([x1, x2])``.

    Args:
        inputs: A list of tensors (real or symbolic).
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        The sum of the inputs.

    Example:
        >>> import torch
        >>> add([torch.ones(1, 2), torch.ones(1, 2)])
        tensor([[2., 2.]])
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Subtract`: ``subtract([x1, x2])`` is ``x1 - x2``.

    Args:
        inputs: A list of exactly two tensors.
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        ``inputs[0] - inputs[1]``.

    Example:
        >>> import torch
        >>> subtract([torch.ones(1, 2), torch.ones(1, 2)])
        tensor([[0., 0.]])
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Multiply`.

    Args:
        inputs: A list of tensors.
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        The elementwise product.

    Example:
        >>> import torch
        >>> multiply([torch.full((1, 2), 2.0), torch.full((1, 2), 3.0)])
        tensor([[6., 6.]])
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Average`.

    Args:
        inputs: A list of tensors.
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        The elementwise mean.

    Example:
        >>> import torch
        >>> average([torch.zeros(1, 2), torch.full((1, 2), 4.0)])
        tensor([[2., 2.]])
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Maximum`.

    Args:
        inputs: A list of tensors.
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        The elementwise maximum.

    Example:
        >>> import torch
        >>> maximum([torch.zeros(1, 2), torch.ones(1, 2)])
        tensor([[1., 1.]])
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Minimum`.

    Args:
        inputs: A list of tensors.
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        The elementwise minimum.

    Example:
        >>> import torch
        >>> minimum([torch.zeros(1, 2), torch.ones(1, 2)])
        tensor([[0., 0.]])
    """
    return Minimum(**kwargs)(inputs)
