"""A row of handwritten digits, cut into candidate pieces for the number reader.

The page is brought to a working size, its ink split into connected components
("blobs"), noise dropped, and each blob offered to the classifier whole and cut at
candidate columns: the minima of its column ink profile (where two touching digits
usually meet) and a regular grid (where strokes touch too thickly for a minimum to
show). ``_segment_search`` then picks the cuts the classifier is most sure of.
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
# _MIN_WIDTH and _MAX_WIDTH row heights wide (MNIST's widest digits are about one
# row height wide, its thinnest ones about a tenth).
_GRID = 6
_MIN_WIDTH = 0.1
MAX_WIDTH = 1.4


@dataclass(frozen=True)
class Row:
    """The page at working size: light ink on black, its components and sizes."""

    ink: np.ndarray  # (H, W) float32, 0..255
    labels: np.ndarray  # (H, W) int32: 0 background, else the blob's id
    blobs: tuple[Blob, ...]  # left to right, by centre
    height: float  # typical digit height (working pixels)
    scale: float  # working pixels per input pixel (<= 1)


@dataclass(frozen=True)
class Blob:
    """One connected stroke: its id in ``Row.labels`` and its box (end exclusive)."""

    id: int
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
    """A candidate digit: the ink of ``ids`` between columns ``a`` and ``b``, as the
    classifier sees it (``image``, 28x28 in [0, 1]) and where it lies (``box``:
    x, y, width, height in working pixels)."""

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
    # Relabel: dropped components become background.
    lookup = np.zeros(count + 1, np.int32)
    lookup[1:][keep] = np.arange(1, int(keep.sum()) + 1)
    labels = lookup[labels]
    blobs = [
        Blob(i + 1, int(x0), int(y0), int(x1), int(y1))
        for i, (x0, y0, x1, y1) in enumerate(boxes[keep])
    ]
    blobs.sort(key=lambda b: b.x0 + b.x1)
    heights = np.array([b.height for b in blobs], float)
    # The typical digit height: the median of the tall blobs, so that fragments (a
    # 5's flag) do not pull it down.
    height = float(np.median(heights[heights >= 0.5 * heights.max()]))
    return Row(ink, labels, tuple(blobs), max(height, 1.0), scale)


def candidate_cuts(row: Row, blob: Blob) -> list[int]:
    """Columns (working pixels, ``blob.x0`` and ``blob.x1`` included) where the blob
    may be cut between two digits."""
    region = row.labels[blob.y0 : blob.y1, blob.x0 : blob.x1] == blob.id
    profile = (row.ink[blob.y0 : blob.y1, blob.x0 : blob.x1] * region).sum(axis=0)
    min_width = max(2, round(_MIN_WIDTH * row.height))
    if blob.width < 2 * min_width:
        return [blob.x0, blob.x1]
    reach = max(1, round(row.height / 10))
    inner = range(min_width, blob.width - min_width + 1)
    # Local minima of the ink profile: where two touching digits usually meet.
    minima = [
        x
        for x in inner
        if profile[x] <= profile[max(0, x - reach) : x + reach + 1].min()
    ]
    step = max(2, round(row.height / _GRID))
    grid = list(range(min_width, blob.width - min_width + 1, step))
    cuts = [0]
    for x in sorted(set(minima) | set(grid)):
        if x - cuts[-1] >= min_width // 2 + 1:
            cuts.append(x)
        elif profile[x] < profile[cuts[-1]] and len(cuts) > 1:
            cuts[-1] = x  # of two close candidates, keep the one with less ink
    if blob.width - cuts[-1] < min_width // 2 + 1:
        cuts.pop()
    return [blob.x0 + x for x in cuts[:]] + [blob.x1]


def piece(row: Row, ids: tuple[int, ...], a: int, b: int) -> Piece | None:
    """The ink of blobs ``ids`` between columns ``a`` and ``b``, framed like MNIST;
    ``None`` if there is none."""
    region = np.isin(row.labels[:, a:b], ids)
    ink = row.ink[:, a:b] * region
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    digit = center_like_mnist(ink[y0:y1, x0:x1]) / 255.0
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
