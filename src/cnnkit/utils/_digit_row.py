"""A row of handwritten digits, cut into candidate pieces for the number reader.

The page is brought to a working size and its ink split into connected components
("blobs") so that noise can be dropped. Candidate cuts run down the whole row: the
gaps between blobs (free), and inside the ink the columns where a cut severs the
least stroke (where two touching digits usually meet) plus a regular grid (where
strokes touch too thickly for a minimum to show). A piece is all the ink between
two cuts, so a digit broken into strokes, or one whose edge touches its neighbour,
is still one piece. ``_segment_search`` picks the cuts the classifier is most sure
of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnkit.utils._ink_components import label_components
from cnnkit.utils.digit_image import center_like_mnist

# Grey level (of 255, light ink on black) above which a pixel is ink: the level
# `center_like_mnist` crops at, so a piece's box is the ink the classifier sees.
INK_LEVEL = 30
# Rows of digits are worked on at most this tall (in pixels of ink): MNIST digits
# are 20 pixels tall, so more detail only costs time.
_WORK_HEIGHT = 64
# A component smaller than this fraction of the largest one is a speck of noise.
_SPECK = 0.02
# The outer band of the page, as a fraction of its smaller side: ink lying wholly
# inside it is a scanner edge, a frame line or dust, not a digit.
_MARGIN = 0.06
# Candidate cuts: a grid step of row_height / _GRID, and pieces between
# _MIN_WIDTH and MAX_WIDTH row heights wide (MNIST's widest digits are about one
# row height wide, its thinnest ones about a tenth).
_GRID = 6
_MIN_WIDTH = 0.1
MAX_WIDTH = 1.4


@dataclass(frozen=True)
class Row:
    """The page at working size: light ink on black, what counts as ink, sizes."""

    ink: np.ndarray  # (H, W) float32, 0..255
    mask: np.ndarray  # (H, W) bool: ink of the kept blobs (noise removed)
    blobs: tuple[Blob, ...]  # left to right, by centre
    height: float  # typical digit height (working pixels)
    scale: float  # working pixels per input pixel (<= 1)


@dataclass(frozen=True)
class Blob:
    """One connected stroke's box (working pixels, ends exclusive)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Piece:
    """A candidate digit: the ink between two cuts as the classifier sees it
    (``image``, 28x28 in [0, 1]) and where it lies (``box``: x, y, width, height
    in working pixels)."""

    image: np.ndarray
    box: tuple[int, int, int, int]


def prepare_row(ink: np.ndarray) -> Row | None:
    """Scale the page (light ink on black) to working size and find its blobs;
    ``None`` when it holds no ink."""
    scale = _working_scale(ink)
    if scale < 1.0:
        ink = _resized(ink, scale)
    mask = _clear_border_lines(ink > INK_LEVEL)
    labels, count = label_components(mask)
    if count == 0:
        return None
    boxes, areas = _component_stats(labels, count)
    keep = _not_noise(boxes, areas, ink.shape)
    if not keep.any():
        return None
    mask = np.concatenate([[False], keep])[labels]
    blobs = sorted(
        (Blob(*(int(v) for v in box)) for box in boxes[keep]),
        key=lambda b: b.x0 + b.x1,
    )
    return Row(ink, mask, tuple(blobs), _digit_height(mask, blobs), scale)


def _digit_height(mask: np.ndarray, blobs: list[Blob]) -> float:
    """The typical digit height: the median, over inked columns, of the ink's
    height within a third of a digit either side. A blob's own height would do
    for separate digits, but touching ones at different heights make one blob
    taller than any of its digits."""
    heights = np.array([b.height for b in blobs], float)
    # A first guess from the tall blobs, so that fragments (a 5's flag) do not
    # pull it down; it only sets the window.
    guess = float(np.median(heights[heights >= 0.5 * heights.max()]))
    reach = max(1, round(guess / 3))
    inked = mask.any(axis=0)
    rows = np.arange(mask.shape[0])[:, None]
    top = np.where(mask, rows, mask.shape[0]).min(axis=0)
    bottom = np.where(mask, rows, -1).max(axis=0)
    pad_top = np.pad(top, reach, constant_values=mask.shape[0])
    pad_bottom = np.pad(bottom, reach, constant_values=-1)
    window = 2 * reach + 1
    tops = np.lib.stride_tricks.sliding_window_view(pad_top, window).min(axis=1)
    bottoms = np.lib.stride_tricks.sliding_window_view(pad_bottom, window).max(axis=1)
    return max(1.0, float(np.median((bottoms - tops + 1)[inked])))


@dataclass(frozen=True)
class Cuts:
    """Candidate cut columns, left to right, and what a cut at each severs: the
    stroke pixels it crosses, in row heights (0 in a gap between strokes)."""

    positions: list[int]
    severed: list[float]
    runs: list[tuple[int, int]]  # each run of inked columns: (first, last) cut index


def candidate_cuts(row: Row) -> Cuts:
    """Where the row may be cut between two digits (its first and last ink
    columns included)."""
    severed = _severed(row.mask) / row.height
    has_ink = np.concatenate([[False], row.mask.any(axis=0), [False]])
    edges = np.flatnonzero(np.diff(has_ink.astype(np.int8)))
    positions: list[int] = []
    costs: list[float] = []
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[::2], edges[1::2]):  # runs of inked columns
        inner = _inner_cuts(severed, int(start), int(end), row.height)
        runs.append((len(positions), len(positions) + len(inner) + 1))
        positions += [int(start), *inner, int(end)]
        costs += [0.0, *(float(severed[x]) for x in inner), 0.0]
    return Cuts(positions, costs, runs)


def _inner_cuts(severed: np.ndarray, start: int, end: int, height: float) -> list[int]:
    """Cuts inside one run of inked columns [start, end)."""
    min_width = max(2, round(_MIN_WIDTH * height))
    if end - start < 2 * min_width:
        return []
    reach = max(1, round(height / 10))
    inner = range(start + min_width, end - min_width + 1)
    # Local minima of what a cut severs: where two touching digits usually meet.
    minima = {
        x
        for x in inner
        if severed[x] <= severed[max(0, x - reach) : x + reach + 1].min()
    }
    # A grid too: where strokes overlap, the junction need not be a minimum.
    step = max(2, round(height / _GRID))
    grid = set(range(start + min_width, end - min_width + 1, step))
    spacing = min_width // 2 + 1
    cuts = [start]
    for x in sorted(minima | grid):
        if x - cuts[-1] >= spacing:
            cuts.append(x)
        elif len(cuts) > 1 and severed[x] < severed[cuts[-1]]:
            cuts[-1] = x  # of two close candidates, keep the one severing less
    if len(cuts) > 1 and end - cuts[-1] < spacing:
        cuts.pop()
    return cuts[1:]


def _severed(mask: np.ndarray) -> np.ndarray:
    """For each column x, the stroke pixels a cut between columns x - 1 and x
    separates (8-connected: diagonal neighbours count)."""
    right = mask[:, 1:].copy()
    right[1:] |= mask[:-1, 1:]
    right[:-1] |= mask[1:, 1:]
    crossings = (mask[:, :-1] & right).sum(axis=0)
    return np.concatenate([[0], crossings, [0]]).astype(np.float64)


def piece(row: Row, a: int, b: int) -> Piece | None:
    """The ink between columns ``a`` and ``b``, framed like MNIST; ``None`` if
    there is none."""
    region = row.mask[:, a:b]
    rows = np.flatnonzero(region.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(region.any(axis=0))
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    ink = row.ink[y0:y1, a + x0 : a + x1] * region[y0:y1, x0:x1]
    digit = center_like_mnist(ink) / 255.0
    return Piece(digit.astype(np.float32), (a + x0, y0, x1 - x0, y1 - y0))


def _working_scale(ink: np.ndarray) -> float:
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    if rows.size == 0:
        return 1.0
    return min(1.0, _WORK_HEIGHT / (rows[-1] - rows[0] + 1))


def _resized(ink: np.ndarray, scale: float) -> np.ndarray:
    from PIL import Image

    height, width = ink.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # BOX averages the pixels each working pixel covers: thin strokes stay visible.
    image = Image.fromarray(ink.astype(np.float32), mode="F")
    return np.asarray(image.resize(size, Image.Resampling.BOX), dtype=np.float32)


def _component_stats(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each component's box (x0, y0, x1, y1; ends exclusive) and pixel count."""
    ys, xs = np.nonzero(labels)
    ids = labels[ys, xs] - 1
    boxes = np.empty((count, 4), np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    np.minimum.at(boxes[:, 0], ids, xs)
    np.minimum.at(boxes[:, 1], ids, ys)
    np.maximum.at(boxes[:, 2], ids, xs + 1)
    np.maximum.at(boxes[:, 3], ids, ys + 1)
    return boxes, np.bincount(ids, minlength=count)


def _clear_border_lines(mask: np.ndarray) -> np.ndarray:
    """Erase rows and columns of the outer band that are mostly ink: a frame or a
    scanner edge, which would otherwise join every digit it touches."""
    mask = mask.copy()
    band = _band(mask.shape)
    for axis in (0, 1):
        fraction = mask.mean(axis=1 - axis)  # ink fraction of each row / column
        lines = np.flatnonzero(fraction > 0.5)
        lines = lines[(lines < band) | (lines >= mask.shape[axis] - band)]
        if axis == 0:
            mask[lines, :] = False
        else:
            mask[:, lines] = False
    return mask


def _band(shape: tuple[int, ...]) -> int:
    return max(2, round(_MARGIN * min(shape)))


def _not_noise(
    boxes: np.ndarray, areas: np.ndarray, shape: tuple[int, ...]
) -> np.ndarray:
    """Which components to keep: not specks, and not lying wholly along an edge."""
    height, width = shape
    band = _band(shape)
    x0, y0, x1, y1 = boxes.T
    along_edge = (
        (y1 <= band) | (y0 >= height - band) | (x1 <= band) | (x0 >= width - band)
    )
    speck = areas < max(3.0, _SPECK * float(areas.max()))
    return ~(along_edge | speck)
