"""Digits as pen strokes, the way a person draws them on the page.

Each digit is a list of strokes, each stroke a list of points in a unit box (x to
the right, y down). The browser tests replay them as mouse drags; ``render`` draws
the same strokes with Pillow (the page's pen: round, 20 px on a 280-px pad) so a
test can check what the model makes of them without a browser.
"""

from __future__ import annotations

import math

import numpy as np

Point = tuple[float, float]
Stroke = list[Point]


def _arc(
    cx: float, cy: float, rx: float, ry: float, start: float, stop: float
) -> Stroke:
    """Points on an ellipse from angle ``start`` to ``stop`` (degrees, y down)."""
    steps = max(2, int(abs(stop - start) / 12))
    return [
        (
            cx + rx * math.cos(math.radians(start + (stop - start) * i / steps)),
            cy + ry * math.sin(math.radians(start + (stop - start) * i / steps)),
        )
        for i in range(steps + 1)
    ]


DIGITS: dict[str, list[Stroke]] = {
    "0": [_arc(0.5, 0.5, 0.27, 0.38, -90, 270)],
    "1": [[(0.38, 0.24), (0.52, 0.12), (0.52, 0.88)]],
    "2": [[*_arc(0.5, 0.32, 0.24, 0.2, 195, 370), (0.25, 0.86), (0.8, 0.86)]],
    "3": [
        _arc(0.48, 0.3, 0.22, 0.18, 200, 450) + _arc(0.48, 0.68, 0.25, 0.2, 270, 520)
    ],
    "4": [[(0.58, 0.12), (0.22, 0.62), (0.82, 0.62)], [(0.62, 0.36), (0.62, 0.9)]],
    "7": [[(0.22, 0.14), (0.8, 0.14), (0.42, 0.9)]],
}

PAD = 280  # the page's one-digit pad, in pixels
PEN = 20  # the page's pen width on that pad


def placed(digit: str, left: float, top: float, size: float) -> list[Stroke]:
    """The strokes of ``digit`` in a ``size``-pixel box at ``(left, top)``."""
    return [[(left + x * size, top + y * size) for x, y in s] for s in DIGITS[digit]]


def number_strokes(
    text: str, cell: float, gap: float, height: float = PAD
) -> list[Stroke]:
    """Strokes writing ``text`` left to right, one ``cell``-wide box per digit."""
    strokes: list[Stroke] = []
    top = (height - cell) / 2
    for i, digit in enumerate(text):
        strokes += placed(digit, gap + i * cell, top, cell)
    return strokes


def render(strokes: list[Stroke], width: int = PAD, height: int = PAD) -> np.ndarray:
    """The strokes drawn black on white with the page's pen, as uint8 pixels."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=0, width=PEN, joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round caps
            draw.ellipse((x - PEN / 2, y - PEN / 2, x + PEN / 2, y + PEN / 2), fill=0)
    return np.asarray(image)
