"""The einsum equations of multi-head attention, for any rank and attention axes.

Projected tensors are ``(batch, <other axes>, <attention axes>, heads, channels)``;
letters ``a, b, c, ...`` name the axes in order, as Keras names them, so the
projection kernels have Keras' shapes (query ``(dim, heads, key_dim)``, output
``(heads, value_dim, dim)``).

Example:
    >>> projection_equation(free_dims=2, bound_dims=1, output_dims=2)
    ('abc,cde->abde', 'de', 4)
    >>> attention_equations(rank=4, attention_axes=(1,))
    ('aecd,abcd->acbe', 'acbe,aecd->abcd', 4)
"""

from __future__ import annotations

import string

_LETTERS = string.ascii_lowercase


def projection_equation(
    free_dims: int, bound_dims: int, output_dims: int
) -> tuple[str, str, int]:
    """``(equation, bias_axes, output_rank)`` of a projection that keeps the first
    ``free_dims`` axes, contracts the next ``bound_dims`` and adds ``output_dims``."""
    free = _LETTERS[:free_dims]
    bound = _LETTERS[free_dims : free_dims + bound_dims]
    new = _LETTERS[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{new}->{free}{new}", new, len(free) + len(new)


def attention_equations(
    rank: int, attention_axes: tuple[int, ...]
) -> tuple[str, str, int]:
    """``(scores_equation, combine_equation, scores_rank)`` for projected tensors of
    ``rank`` axes attending over ``attention_axes``.

    Scores: ``einsum(scores_equation, key, query)`` gives
    ``(<batch axes>, heads, <query attention axes>, <key attention axes>)``;
    ``einsum(combine_equation, scores, value)`` gives the query's layout back.
    """
    target = _LETTERS[:rank]
    batch_axes = [i for i in range(rank - 1) if i not in attention_axes]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_axes or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[offset]
            offset += 1
    product = "".join(
        [target[i] for i in batch_axes]
        + [target[i] for i in attention_axes]
        + [source[i] for i in attention_axes]
    )
    return (
        f"{source},{target}->{product}",
        f"{product},{source}->{target}",
        len(product),
    )
