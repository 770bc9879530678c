"""The number reader's choice of cuts: a dynamic program over segmentations.

Every candidate piece of the row (a blob cut between two candidate columns, a blob
whole, or two or three neighbouring blobs joined: a digit drawn in separate
strokes) is classified in one batch. A segmentation's score is the sum, over its
pieces, of the classifier's log-probability of its best class plus a log prior on
the piece's shape; the best segmentation with at most ``max_digits`` digits wins.

Why this prior: the sum of log-probabilities alone already prefers fewer, confident
pieces (cutting a 0 into two arcs costs two doubtful readings), so the prior only
has to stop the opposite mistake, two touching digits read as one wide "0" or "8":
pieces much wider than a digit is tall, or much shorter than the row's digits, are
unlikely. A small stroke may also be left out (a dash, a stray mark) at a fixed cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnkit.utils._digit_row import MAX_WIDTH, Blob, Piece, Row, candidate_cuts, piece

# Log prior of a piece's width (in row heights): flat up to _WIDE, then falling off
# over _WIDE_SCALE; of its height: flat down to _SHORT, then falling off.
_WIDE, _WIDE_SCALE = 1.0, 0.2
_SHORT, _SHORT_SCALE = 0.6, 0.15
# Joining blobs that do not overlap horizontally: a cost per gap, plus its width.
_GAP_COST, _GAP_SCALE = 1.0, 10.0
# Leaving out a blob shorter than half the row: log(0.37), a doubtful reading.
_SKIP_SHORTER, _SKIP_COST = 0.5, -1.0
_MAX_GROUP = 3
_NEG = -math.inf

# A candidate: ("cut", blob, i, j) is the blob between its cuts i and j;
# ("group", blob, size) is `size` whole blobs from `blob` on.
Key = tuple[object, ...]


@dataclass(frozen=True)
class Reading:
    """One digit of the chosen segmentation: its piece and its class probabilities."""

    piece: Piece
    probabilities: np.ndarray


def best_segmentation(
    row: Row, max_digits: int, classify: Callable[[np.ndarray], np.ndarray]
) -> list[Reading]:
    """The pieces, left to right, of the best segmentation of ``row``.

    ``classify`` maps a (N, 28, 28, 1) batch to (N, 10) probabilities; it is called
    once, on every candidate piece.
    """
    cuts = [candidate_cuts(row, blob) for blob in row.blobs]
    keys, pieces = _candidates(row, cuts)
    if not pieces:
        return []
    probs = classify(np.stack([p.image for p in pieces])[..., None])
    scores = {key: _score(row, p, pr) for key, p, pr in zip(keys, pieces, probs)}
    found = dict(zip(keys, zip(pieces, probs)))
    chosen = _best_path(row, cuts, scores, max_digits)
    return [Reading(*found[key]) for key in chosen]


def _candidates(row: Row, cuts: list[list[int]]) -> tuple[list[Key], list[Piece]]:
    keys: list[Key] = []
    pieces: list[Piece] = []
    widest = MAX_WIDTH * row.height
    for index, (blob, blob_cuts) in enumerate(zip(row.blobs, cuts)):
        for i, a in enumerate(blob_cuts):
            for j in range(i + 1, len(blob_cuts)):
                b = blob_cuts[j]
                whole = i == 0 and j == len(blob_cuts) - 1
                if b - a > widest and not whole:
                    break
                found = piece(row, (blob.id,), a, b)
                if found is not None:
                    keys.append(("cut", index, i, j))
                    pieces.append(found)
        for size in range(2, _MAX_GROUP + 1):
            group = row.blobs[index : index + size]
            if len(group) < size:
                break
            x0 = min(b.x0 for b in group)
            x1 = max(b.x1 for b in group)
            if x1 - x0 > widest:
                break
            found = piece(row, tuple(b.id for b in group), x0, x1)
            if found is not None:
                keys.append(("group", index, size))
                pieces.append(found)
    return keys, pieces


def _score(row: Row, found: Piece, probabilities: np.ndarray) -> float:
    _, _, width, height = found.box
    score = math.log(max(float(probabilities.max()), 1e-12))
    wide = width / row.height - _WIDE
    if wide > 0:
        score -= (wide / _WIDE_SCALE) ** 2
    short = _SHORT - height / row.height
    if short > 0:
        score -= (short / _SHORT_SCALE) ** 2
    return score


def _gap_cost(row: Row, group: tuple[Blob, ...]) -> float:
    cost, right = 0.0, group[0].x1
    for blob in group[1:]:
        gap = blob.x0 - right
        if gap > 0:
            cost += _GAP_COST + _GAP_SCALE * gap / row.height
        right = max(right, blob.x1)
    return cost


def _blob_options(
    cuts: list[int], index: int, scores: dict[Key, float], limit: int
) -> list[tuple[float, list[Key]]]:
    """For k = 0..limit digits, the best score (and pieces) cutting one blob into k."""
    m = len(cuts) - 1
    best = [[_NEG] * (limit + 1) for _ in range(m + 1)]
    back: list[list[int]] = [[-1] * (limit + 1) for _ in range(m + 1)]
    best[0][0] = 0.0
    for j in range(1, m + 1):
        for i in range(j):
            s = scores.get(("cut", index, i, j))
            if s is None:
                continue
            for k in range(1, limit + 1):
                if best[i][k - 1] + s > best[j][k]:
                    best[j][k], back[j][k] = best[i][k - 1] + s, i
    options: list[tuple[float, list[Key]]] = [(_NEG, [])]
    for k in range(1, limit + 1):
        path: list[Key] = []
        j, kk = m, k
        while kk > 0 and back[j][kk] >= 0:
            i = back[j][kk]
            path.append(("cut", index, i, j))
            j, kk = i, kk - 1
        options.append((best[m][k], path[::-1]))
    return options


def _best_path(
    row: Row,
    cuts: list[list[int]],
    scores: dict[Key, float],
    max_digits: int,
) -> list[Key]:
    """Over the blobs left to right: each is cut into k digits, left out (if small),
    or joined with its next neighbours into one digit."""
    count = len(row.blobs)
    best = [[_NEG] * (max_digits + 1) for _ in range(count + 1)]
    back: list[list[tuple[int, int, list[Key]] | None]] = [
        [None] * (max_digits + 1) for _ in range(count + 1)
    ]
    best[0][0] = 0.0

    def offer(t: int, n: int, score: float, step: tuple[int, int, list]) -> None:
        if score > best[t][n]:
            best[t][n], back[t][n] = score, step

    for t in range(1, count + 1):
        blob = row.blobs[t - 1]
        options = _blob_options(cuts[t - 1], t - 1, scores, max_digits)
        for n in range(max_digits + 1):
            for k, (score, path) in enumerate(options):
                if k <= n and best[t - 1][n - k] > _NEG and score > _NEG:
                    offer(t, n, best[t - 1][n - k] + score, (t - 1, n - k, path))
            if blob.height < _SKIP_SHORTER * row.height and best[t - 1][n] > _NEG:
                offer(t, n, best[t - 1][n] + _SKIP_COST, (t - 1, n, []))
            for size in range(2, min(_MAX_GROUP, t) + 1):
                s = scores.get(("group", t - size, size))
                if s is None or n == 0 or best[t - size][n - 1] == _NEG:
                    continue
                s -= _gap_cost(row, row.blobs[t - size : t])
                offer(
                    t,
                    n,
                    best[t - size][n - 1] + s,
                    (t - size, n - 1, [("group", t - size, size)]),
                )
    final = max(range(max_digits + 1), key=lambda n: best[count][n])
    if best[count][final] == _NEG:
        return []
    keys: list[Key] = []
    t, n = count, final
    while t > 0:
        step = back[t][n]
        if step is None:
            break
        t, n, path = step
        keys[:0] = path
    return keys
