"""Connected components of a binary ink mask, in numpy (cnnkit does not depend on
scipy or OpenCV).

Pixels are grouped by 8-connectivity, as a pen stroke is continuous diagonally too.
The mask is read as horizontal runs of ink; runs in neighbouring rows that touch
(including diagonally) are joined with a union-find over runs, so the Python work
grows with the number of runs (strokes x rows), not with the pixels.

Example:
    >>> mask = np.zeros((4, 7), bool)
    >>> mask[0:3, 1] = True; mask[3, 2] = True  # one stroke, joined diagonally
    >>> mask[1:3, 5:7] = True                   # a second blob
    >>> labels, count = label_components(mask)
    >>> count
    2
    >>> labels[3, 2] == labels[0, 1], labels[1, 5] == labels[0, 1]
    (np.True_, np.False_)
"""

from __future__ import annotations

import numpy as np

__all__ = ["label_components"]


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 8-connected components of a 2-D boolean ``mask``.

    Returns:
        ``(labels, count)``: an int32 array the shape of ``mask``, 0 on background
        and 1..count on the components (numbered by their first run, top to bottom,
        left to right), and the number of components.
    """
    rows, starts, ends = _runs(mask)
    if rows.size == 0:
        return np.zeros(mask.shape, np.int32), 0
    parent = list(range(rows.size))
    for a, b in _touching_runs(rows, starts, ends):
        _union(parent, a, b)
    roots = np.array([_find(parent, i) for i in range(rows.size)])
    # Renumber the roots 1..count in order of first appearance.
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    run_labels = (order[inverse] + 1).astype(np.int32)
    labels = np.zeros(mask.shape, np.int32)
    lengths = ends - starts
    offsets = np.arange(lengths.sum()) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    labels[np.repeat(rows, lengths), np.repeat(starts, lengths) + offsets] = np.repeat(
        run_labels, lengths
    )
    return labels, int(first.size)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every horizontal run of ink as (row, start, end) arrays, end exclusive, in
    row-major order."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)  # +1 where a run starts, -1 after it ends
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    return rows, starts, ends


def _touching_runs(
    rows: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> list[tuple[int, int]]:
    """Pairs of run indices in consecutive rows that touch, diagonals included."""
    pairs: list[tuple[int, int]] = []
    bounds = np.searchsorted(rows, np.arange(rows.max() + 2))
    for row in range(int(rows.max())):
        a0, a1 = bounds[row], bounds[row + 1]
        b0, b1 = bounds[row + 1], bounds[row + 2]
        if a0 == a1 or b0 == b1:
            continue
        # 8-connected: [s_a, e_a) and [s_b, e_b) touch if they overlap once each is
        # widened by one pixel.
        touch = (starts[a0:a1, None] <= ends[None, b0:b1]) & (
            starts[None, b0:b1] <= ends[a0:a1, None]
        )
        ia, ib = np.nonzero(touch)
        pairs.extend(zip((ia + a0).tolist(), (ib + b0).tolist()))
    return pairs


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving keeps the trees shallow
        i = parent[i]
    return i


def _union(parent: list[int], a: int, b: int) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)
