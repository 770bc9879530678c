"""Plain-text rendering of an analysis: aligned columns, a totals row.

Plain text rather than rich (which ``summary()`` uses) so the table reads the same
in a log file, a notebook and a test.

Example:
    >>> _axes((5, 5)), _axes((0.5, 0.5)), _axes(None)
    ('5x5', '0.5x0.5', '-')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cnnkit.models.summary import readable_memory_size
from cnnkit.utils.validation import format_shape

if TYPE_CHECKING:
    from cnnkit.explain.analyze import LayerRow

_HEADERS = ("Layer (type)", "Output shape", "Params", "MACs", "FLOPs", "Output",
            "RF", "Jump")  # fmt: skip
_RIGHT = {2, 3, 4, 5}  # numbers are right-aligned


def _axes(values: Sequence[float] | None) -> str:
    if values is None:
        return "-"
    if not values:
        return "1"  # no spatial axes: each unit sees itself
    return "x".join(f"{v:g}" for v in values)


def _bytes(count: int) -> str:
    text = readable_memory_size(count)
    # "40.00 B" reads better as "40 B"; keep one decimal above bytes.
    number, unit = text.split()
    return f"{int(float(number))} B" if unit == "B" else f"{float(number):.1f} {unit}"


def _cells(row: LayerRow) -> list[str]:
    label = f"{row.name} ({row.kind})" if row.kind else row.name
    shape = "?" if row.output_shape is None else format_shape(row.output_shape)
    return [
        label,
        "" if not row.kind else shape,
        f"{row.params:,}",
        f"{row.macs:,}",
        f"{row.flops:,}",
        _bytes(row.activation_bytes),
        _axes(row.receptive_field),
        _axes(row.jump),
    ]


def render(rows: list[LayerRow], total: LayerRow) -> str:
    """The table as text, one line per row, then the totals."""
    body = [_cells(row) for row in rows]
    last = _cells(total)
    widths = [
        max(len(line[i]) for line in [list(_HEADERS), *body, last])
        for i in range(len(_HEADERS))
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in _RIGHT else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(_HEADERS), rule, *(line(c) for c in body), rule, line(last)])
