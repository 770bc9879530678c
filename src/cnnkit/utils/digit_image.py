"""An image file as one input sample: what ``cnnkit predict`` and the web page feed
a model.

RGB models get the picture resized. Grayscale models get it the way MNIST was made:
light ink on black (dark ink on paper is inverted, and measured against the paper's
own brightness under uneven light), cropped to the ink, scaled into a 20x20 box and
centred by its centre of mass in 28x28 (or the same proportions at another size).

Example:
    >>> import numpy as np
    >>> from PIL import Image
    >>> import tempfile, os
    >>> page = np.full((100, 80), 255, np.uint8)
    >>> page[20:70, 35:45] = 0  # a dark stroke on white paper: a "1"
    >>> path = os.path.join(tempfile.mkdtemp(), "one.png")
    >>> Image.fromarray(page).save(path)
    >>> x = load_image_as_input(path, (28, 28, 1))
    >>> x.shape, float(x.max()), float(x[0, 0, 0])
    ((28, 28, 1), 1.0, 0.0)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from cnnkit.errors import FileFormatError, InvalidArgumentError

__all__ = [
    "center_like_mnist",
    "image_as_input",
    "light_on_dark",
    "load_image_as_input",
    "open_on_paper",
]

# MNIST's recipe: the digit is scaled to fit a 20x20 box, then placed in a 28x28
# image with its centre of mass in the middle (LeCun et al., the MNIST page).
_MNIST_BOX = 20 / 28
_INK_LEVEL = 30  # of 255: darker pixels are background when cropping to the digit
_UNEVEN_LIGHT = 30  # grey levels across the paper's border: a photo's shading


def load_image_as_input(path: str, input_shape: tuple[int | None, ...]) -> np.ndarray:
    """Load ``path`` as one sample of shape ``input_shape`` (H, W, C), values in [0, 1].

    Raises:
        InvalidArgumentError: The input has no fixed size or an unusual channel
            count, or the file is not an image.
    """
    _image_size(input_shape)  # checked before the file is opened
    return image_as_input(open_on_paper(path), input_shape)


def image_as_input(image: Any, input_shape: tuple[int | None, ...]) -> np.ndarray:
    """A decoded PIL image as one sample of shape ``input_shape`` (H, W, C) in [0, 1].

    The recipe of :func:`load_image_as_input`, for images that are already in
    memory (an upload, a drawing): transparency becomes white paper, RGB models get
    the picture resized, grayscale models get it the MNIST way.

    Raises:
        InvalidArgumentError: The input has no fixed size or an unusual channel
            count.
    """
    from PIL import Image

    height, width, channels = _image_size(input_shape)
    image = _on_paper(image)
    if channels == 3:
        rgb = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        return np.asarray(rgb, dtype="float32") / 255.0
    gray = light_on_dark(np.asarray(image.convert("L"), dtype="float32"))
    if gray.shape != (height, width):
        gray = center_like_mnist(gray, height, width)
    return (gray / 255.0)[..., None]


def _without_faint_background(gray: np.ndarray) -> np.ndarray:
    """Zero what is far fainter than a photo's ink: paper grain, JPEG noise.

    The cut is half of Otsu's threshold (the grey level that best splits the
    histogram into ink and background): faint specks away from the digit would
    otherwise widen the box the digit is cropped to, while the stroke's soft
    edges, brighter than that, keep their softness (MNIST's strokes have it too).
    Only photos get it: clean drawings and MNIST-style images pass as they are.
    """
    counts = np.bincount(np.clip(gray, 0, 255).astype(np.int64).ravel(), minlength=256)
    levels = np.arange(256, dtype="float64")
    weight = np.cumsum(counts, dtype="float64")
    mass = np.cumsum(counts * levels)
    total, total_mass = weight[-1], mass[-1]
    background, ink = weight, total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * background - total * mass) ** 2 / (background * ink)
    between[~np.isfinite(between)] = 0.0
    cut = float(np.argmax(between)) / 2
    return np.where(gray > cut, gray, 0.0).astype(gray.dtype)


def _image_size(input_shape: tuple[int | None, ...]) -> tuple[int, int, int]:
    """``(height, width, channels)`` of an image model's input, checked."""
    height, width, channels = input_shape
    if height is None or width is None:
        raise InvalidArgumentError(
            "The model's input has no fixed height/width; cannot resize images for it."
        )
    if channels not in (1, 3):
        raise InvalidArgumentError(
            "Images can feed grayscale (1 channel) or RGB (3 channels) models; "
            f"this model takes {channels} channels."
        )
    return height, width, channels


def open_on_paper(path: str | os.PathLike[str]) -> Any:
    """Decode the image file at ``path`` (a PIL image), refusing oversized ones before
    decoding; a transparent background becomes white paper.

    Raises:
        InvalidArgumentError: The file is not an image, cannot be read, or declares
            more pixels than ``cnnkit.utils.image_utils.MAX_PIXELS``.
    """
    from PIL import Image

    from cnnkit.utils.image_utils import check_pixels

    try:
        with Image.open(path) as file:
            check_pixels(file, path)
            return _on_paper(file)
    except FileFormatError as exc:
        raise InvalidArgumentError(str(exc)) from exc
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidArgumentError(f"Cannot read image {path}: {exc}") from exc


def _on_paper(image: Any) -> Any:
    """A copy of the decoded image; a transparent background becomes white paper."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Drawing apps save strokes on a transparent canvas.
        paper = Image.new("RGBA", image.size, "white")
        return Image.alpha_composite(paper, image.convert("RGBA"))
    image.load()
    return image.copy()


def light_on_dark(gray: np.ndarray) -> np.ndarray:
    """Make ink light on a black background, and stretch it so the ink reaches 255.

    ``gray`` is a 2-D array of grey levels 0..255 (float). Dark ink on paper is
    inverted. Under uneven light (a photo: the paper's border spans more than
    ``_UNEVEN_LIGHT`` grey levels) the ink is measured against the paper's own
    brightness around it, so shadows do not read as ink.
    """
    border = _border(gray)
    # The median, not the mean: a thin frame or scanner edge along the border must
    # not flip the decision.
    if np.median(border) > 127:  # light background: a pen drawing, not MNIST-style
        if np.percentile(border, 95) - np.percentile(border, 5) > _UNEVEN_LIGHT:
            paper = _paper_brightness(gray)
            gray = np.clip(255.0 * (1.0 - gray / np.maximum(paper, 1.0)), 0.0, 255.0)
            gray = _without_faint_background(gray)
        else:
            gray = 255.0 - gray
        border = _border(gray)
    # A grey background would otherwise read as faint ink.
    background = float(np.median(border))
    ink = float(gray.max()) - background
    if ink <= 0:
        return np.zeros_like(gray)
    return np.clip((gray - background) * (255.0 / ink), 0.0, 255.0)


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels of a ring along the edges, 1/20 of the smaller side wide (at least
    one pixel): what the paper (or MNIST's black) looks like."""
    ring = max(1, min(gray.shape) // 20)
    return np.concatenate(
        [
            gray[:ring].ravel(),
            gray[-ring:].ravel(),
            gray[:, :ring].ravel(),
            gray[:, -ring:].ravel(),
        ]
    )


def _paper_brightness(gray: np.ndarray) -> np.ndarray:
    """The paper's brightness at each pixel: a maximum filter wider than a pen
    stroke removes the ink, a blur smooths what is left (the light falling on it).
    Computed on a small copy: lighting varies slowly."""
    from PIL import Image, ImageFilter

    height, width = gray.shape
    scale = min(1.0, 96 / max(height, width))
    small = Image.fromarray(gray.astype("uint8")).resize(
        (max(1, round(width * scale)), max(1, round(height * scale))),
        Image.Resampling.BOX,
    )
    window = 2 * max(1, round(min(small.size) / 12)) + 1
    paper = small.filter(ImageFilter.MaxFilter(window)).filter(
        ImageFilter.GaussianBlur(window)
    )
    full = paper.resize((width, height), Image.Resampling.BILINEAR)
    return np.maximum(np.asarray(full, dtype="float32"), gray)


def center_like_mnist(
    gray: np.ndarray, height: int = 28, width: int = 28
) -> np.ndarray:
    """MNIST's framing of one digit: crop ``gray`` (light ink on black, 0..255) to its
    ink, scale it to fit a box of 20/28 of ``height``/``width``, and place it on a
    black ``(height, width)`` canvas with its centre of mass in the middle.

    Example:
        >>> stroke = np.zeros((90, 60), np.float32)
        >>> stroke[10:80, 25:35] = 255.0
        >>> digit = center_like_mnist(stroke)
        >>> digit.shape, int((digit.max(axis=1) > 30).sum())  # 20 rows of ink
        ((28, 28), 20)
    """
    from PIL import Image

    rows, cols = np.nonzero(gray > _INK_LEVEL)
    if rows.size:
        gray = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    box = max(1, round(min(height, width) * _MNIST_BOX))
    scale = box / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    digit = np.asarray(
        Image.fromarray(gray.astype("uint8")).resize(size, Image.Resampling.LANCZOS),
        dtype="float32",
    )
    dh, dw = digit.shape
    mass = digit.sum()
    cy, cx = ((dh - 1) / 2, (dw - 1) / 2)
    if mass > 0:
        cy = float((digit.sum(axis=1) * np.arange(dh)).sum() / mass)
        cx = float((digit.sum(axis=0) * np.arange(dw)).sum() / mass)
    # Put the centre of mass in the middle, but never push ink off the canvas.
    top = int(np.clip(round((height - 1) / 2 - cy), 0, height - dh))
    left = int(np.clip(round((width - 1) / 2 - cx), 0, width - dw))
    canvas = np.zeros((height, width), dtype="float32")
    canvas[top : top + dh, left : left + dw] = digit
    return canvas
