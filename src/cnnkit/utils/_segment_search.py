"""The number reader's choice of cuts: a dynamic program over segmentations.

Every candidate piece of the row (the ink between two candidate cuts inside one run
of inked columns) is classified in one batch. Each run is then cut into the k
pieces that score best, for every k, and the runs' choices are combined into the
best reading of at most ``max_digits`` digits. A piece scores the log-probability
of its best class (tempered, see ``_score``) less a cost for the stroke the cuts
around it sever; a run cut into k digits also scores the log-likelihood of its
width under k digit widths. Two neighbouring runs may also be read as one digit
(a stroke drawn apart), at a cost per blank gap.

Why the width prior carries the weight: a classifier trained on single digits is
sure of pieces holding two touching digits too ("61" reads as a confident 6), so
the classifier alone cannot tell one wide digit from two narrow ones. Digit widths
can: MNIST digits are 0.8 heights wide (sd 0.17), ones about 0.3; a run 1.5
heights wide is two digits far more often than one. The classifier then decides where to cut and
what each piece is, and overrules the prior when it is much surer.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnkit.utils._digit_row import MAX_WIDTH, Cuts, Piece, Row, candidate_cuts, piece

# Softmax temperature for scoring pieces (see `_score`).
_TEMPERATURE = 3.0
# Every digit read costs _DIGIT_COST, here negative: a bonus that offsets the sum
# of log-probabilities' bias towards fewer pieces (tuned on touching MNIST digits,
# bench/reader_accuracy.py). Every cut costs _CUT_COST per row height of stroke it
# severs (touching digits meet at a point; a cut through one digit crosses strokes).
_DIGIT_COST = -1.0
_CUT_COST = 1.0
# The widths of one digit, in row heights: a mixture of ones and the rest (MNIST's
# training set: 11% ones, median width 0.4, taken thinner and wider spread since a
# thin pen draws thinner ones; the others 0.8, sd about 0.17).
_ONES, _ONE_WIDTH, _ONE_SD = 0.11, 0.3, 0.15
_DIGIT_WIDTH, _DIGIT_SD = 0.82, 0.17
# Touching digits overlap a little: k of them are (k - 1) * _OVERLAP narrower.
_OVERLAP = 0.1
_PRIOR_WEIGHT = 1.0
# A piece much shorter than the row's digits is unlikely: flat down to _SHORT row
# heights, then falling off over _SHORT_SCALE.
_SHORT, _SHORT_SCALE = 0.6, 0.15
# A run of ink shorter than half the row (a dash, a stray mark) may be left out at
# this cost: log(0.37), a doubtful reading.
_SKIP_SHORTER, _SKIP_COST = 0.5, -1.0
# Joining two runs of ink into one digit: a cost, plus one per row height of gap.
_GAP_COST, _GAP_SCALE = 1.0, 20.0
_NEG = -math.inf

Span = tuple[int, int]  # a piece: between cut i and cut j (indices into Cuts)


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
    cuts = candidate_cuts(row)
    spans, pieces = _candidates(row, cuts)
    if not pieces:
        return []
    probs = classify(np.stack([p.image for p in pieces])[..., None])
    found = dict(zip(spans, zip(pieces, probs)))
    edges = {
        (i, j): _score(row, p, pr) - _CUT_COST * cuts.severed[j]
        for (i, j), p, pr in zip(spans, pieces, probs)
    }
    chosen = _best_path(row, cuts, edges, found, max_digits)
    return [Reading(*found[span]) for span in chosen]


def _candidates(row: Row, cuts: Cuts) -> tuple[list[Span], list[Piece]]:
    """Every piece between two cuts of one run, no wider than a digit can be (and
    each run whole, so that some segmentation always exists)."""
    spans: list[Span] = []
    pieces: list[Piece] = []
    widest = MAX_WIDTH * row.height
    x = cuts.positions
    for first, last in cuts.runs:
        for i in range(first, last):
            for j in range(i + 1, last + 1):
                if x[j] - x[i] > widest and (i, j) != (first, last):
                    break
                found = piece(row, x[i], x[j])
                if found is not None:
                    spans.append((i, j))
                    pieces.append(found)
        if x[last] - x[first] > widest and (first, last) not in spans:
            found = piece(row, x[first], x[last])
            if found is not None:
                spans.append((first, last))
                pieces.append(found)
    # Two neighbouring runs as one digit: a digit drawn in two strokes (a 5's flag,
    # a 4's two halves) with a blank column between them.
    for (first, _), (_, last) in zip(cuts.runs, cuts.runs[1:]):
        if x[last] - x[first] <= widest:
            found = piece(row, x[first], x[last])
            if found is not None:
                spans.append((first, last))
                pieces.append(found)
    return spans, pieces


def _score(row: Row, found: Piece, probabilities: np.ndarray) -> float:
    """The log-probability of the piece's best class at temperature T, less the
    prior's cost for a piece too short to be a digit of the row.

    Tempered because a softmax saturates: 0.98 and 0.99999 both read as "sure",
    but a digit with a neighbour's stroke attached has a much smaller logit margin
    than a clean one; at T > 1 the margin decides.
    """
    logits = np.log(np.maximum(probabilities, 1e-30)) / _TEMPERATURE
    top = float(logits.max())
    score = -math.log(float(np.exp(logits - top).sum())) - _DIGIT_COST
    short = _SHORT - found.box[3] / row.height
    if short > 0:
        score -= (short / _SHORT_SCALE) ** 2
    return score


def _run_options(
    row: Row,
    cuts: Cuts,
    run: tuple[int, int],
    edges: dict[Span, float],
    found: dict[Span, tuple[Piece, np.ndarray]],
    limit: int,
) -> list[tuple[float, list[Span]]]:
    """For k = 0..limit digits, the best score (and pieces) reading one run as k."""
    first, last = run
    m = last - first
    best = [[_NEG] * (limit + 1) for _ in range(m + 1)]
    back = [[-1] * (limit + 1) for _ in range(m + 1)]
    best[0][0] = 0.0
    for j in range(1, m + 1):
        for i in range(j):
            score = edges.get((first + i, first + j))
            if score is None:
                continue
            for k in range(1, limit + 1):
                if best[i][k - 1] + score > best[j][k]:
                    best[j][k], back[j][k] = best[i][k - 1] + score, i
    width = (cuts.positions[last] - cuts.positions[first]) / row.height
    options: list[tuple[float, list[Span]]] = [(_NEG, [])]
    whole = found.get((first, last))
    if whole is not None and whole[0].box[3] < _SKIP_SHORTER * row.height:
        options[0] = (_SKIP_COST, [])
    for k in range(1, limit + 1):
        path: list[Span] = []
        j, kk = m, k
        while kk > 0 and back[j][kk] >= 0:
            i = back[j][kk]
            path.append((first + i, first + j))
            j, kk = i, kk - 1
        prior = _PRIOR_WEIGHT * _log_width_density(k, width)
        options.append((best[m][k] + prior, path[::-1]))
    return options


def _best_path(
    row: Row,
    cuts: Cuts,
    edges: dict[Span, float],
    found: dict[Span, tuple[Piece, np.ndarray]],
    max_digits: int,
) -> list[Span]:
    """The runs left to right, each read as some number of digits (none for a
    small mark), or two neighbours joined into one, at most ``max_digits`` in all."""
    # states[t][n]: the best score (and pieces) reading the first t runs as n digits
    empty: list[tuple[float, list[Span]]] = [(_NEG, [])] * (max_digits + 1)
    states: list[list[tuple[float, list[Span]]]] = [[(0.0, []), *empty[1:]]]
    for t, run in enumerate(cuts.runs):
        options = _run_options(row, cuts, run, edges, found, max_digits)
        state = list(empty)
        for n, (before, path) in enumerate(states[t]):
            if before == _NEG:
                continue
            for k, (score, pieces) in enumerate(options[: max_digits - n + 1]):
                if before + score > state[n + k][0]:
                    state[n + k] = (before + score, path + pieces)
        joined = (cuts.runs[t - 1][0], run[1]) if t > 0 else None
        if joined in edges:
            score = edges[joined] + _join_prior(row, cuts, t)
            for n, (before, path) in enumerate(states[t - 1][:max_digits]):
                if before > _NEG and before + score > state[n + 1][0]:
                    state[n + 1] = (before + score, [*path, joined])
        states.append(state)
    best, path = max(states[-1], key=lambda option: option[0])
    return path if best > _NEG else []


def _join_prior(row: Row, cuts: Cuts, t: int) -> float:
    """Runs t - 1 and t as one digit: its width prior, less a cost for the gap."""
    x = cuts.positions
    (first, end), (start, last) = cuts.runs[t - 1], cuts.runs[t]
    width = (x[last] - x[first]) / row.height
    gap = (x[start] - x[end]) / row.height
    return _PRIOR_WEIGHT * _log_width_density(1, width) - _GAP_COST - _GAP_SCALE * gap


@functools.lru_cache(maxsize=64)
def _width_densities(k: int) -> tuple[np.ndarray, float]:
    """The density of the width of k digits side by side, on a grid of _STEP."""
    grid = np.arange(0.0, 1.6, _STEP)
    one = _ONES * _normal(grid, _ONE_WIDTH, _ONE_SD) + (1 - _ONES) * _normal(
        grid, _DIGIT_WIDTH, _DIGIT_SD
    )
    one /= one.sum()
    density = one
    for _ in range(k - 1):
        density = np.convolve(density, one)
    shift = round((k - 1) * _OVERLAP / _STEP)  # touching digits overlap a little
    return density / _STEP, -shift * _STEP


_STEP = 0.02


def _log_width_density(k: int, width: float) -> float:
    density, offset = _width_densities(k)
    index = round((width - offset) / _STEP)
    value = float(density[index]) if 0 <= index < density.size else 0.0
    return math.log(value + 1e-6)


def _normal(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / sd) ** 2)
