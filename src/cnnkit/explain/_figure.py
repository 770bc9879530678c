"""Shared plotting plumbing: the lazy matplotlib import, figures, images, PNG bytes.

matplotlib is the optional extra ``viz``, so it is imported inside the functions
that draw. Figures are made with ``matplotlib.figure.Figure`` directly, never
through ``pyplot``: no GUI backend, no global "current figure", safe in threads and
on a server; ``fig.savefig`` renders with Agg.

Example:
    >>> import numpy as np
    >>> display_image(np.zeros((4, 4, 1)), "channels_last")[0].shape
    (4, 4)
    >>> png_bytes(new_figure(1, 1))[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnkit.errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HEAT_CMAP = "jet"
MAP_CMAP = "viridis"
FILTER_CMAP = "RdBu_r"


def new_figure(width: float, height: float) -> Figure:
    """A blank figure of ``width`` x ``height`` inches, with constrained layout.

    Raises:
        MissingDependencyError: matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise MissingDependencyError(
            "cnnkit's plots need matplotlib, the optional extra `viz`, which is not "
            "installed. Install it with `pip install 'cnnkit[viz]'` (or `pip install "
            "matplotlib`). The numbers behind the plots (explain.confusion_matrix, "
            "explain.worst_errors, ...) work without it."
        ) from error
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """The figure rendered as PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def channels_last(sample: np.ndarray, data_format: str) -> np.ndarray:
    """One sample without the batch axis, channels moved last."""
    return np.moveaxis(sample, 0, -1) if data_format == "channels_first" else sample


def _unit(array: np.ndarray) -> np.ndarray:
    low, high = float(np.min(array)), float(np.max(array))
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def display_image(
    sample: np.ndarray, data_format: str
) -> tuple[np.ndarray, str | None]:
    """A 2D sample ``(H, W, C)`` as something ``imshow`` draws, and its colormap.

    One channel: gray; three: RGB scaled to [0, 1] if it is not already; any other
    count: the mean of the channels, gray.
    """
    image = channels_last(np.asarray(sample, dtype=np.float64), data_format)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 3:
        rgb = image if image.min() >= 0 and image.max() <= 1 else _unit(image)
        return rgb, None
    return image.mean(axis=-1), "gray"


def hide_ticks(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def grid_shape(count: int, columns: int) -> tuple[int, int]:
    """Rows and columns of a grid holding ``count`` panels, at most ``columns`` wide."""
    cols = max(1, min(count, columns))
    return -(-count // cols), cols


def class_name(index: int, names: Any) -> str:
    """``names[index]`` when names are given, else the index itself."""
    if names is not None and 0 <= index < len(names):
        return str(names[index])
    return str(index)


def middle_slices(depth: int, count: int = 3) -> list[int]:
    """``count`` evenly spread slice indices of a volume, e.g. 25 %, 50 %, 75 %."""
    return sorted({int(depth * (i + 1) / (count + 1)) for i in range(count)})
