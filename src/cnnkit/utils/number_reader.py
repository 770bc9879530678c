"""Read a whole number (a cheque amount, a postcode) from a row of handwritten digits.

How (so that digits that touch are still split):

1. The page is made light-ink-on-black like MNIST (dark ink on paper is detected
   and inverted), brought to a working size, and noise dropped: specks, and
   frames or dust along the border (connected components, in numpy).
2. Candidate cuts run down the row: the blank gaps, and inside each run of inked
   columns the columns where a cut severs the least stroke, plus a regular grid.
3. Every piece between two cuts, no wider than a digit can be, is framed like
   MNIST (20x20 box, centre of mass in 28x28) and classified in one batch.
4. A dynamic program reads each run as the k pieces the classifier is surest of
   (tempered log-probabilities, a cost per severed stroke), weighs k by how
   likely the run's width is for k digits (MNIST's digit widths), and combines
   the runs into at most ``max_digits`` digits.

Connected components alone cannot split touching digits, and the classifier alone
cannot either: trained on single digits, it is sure of a piece holding two. The
width prior decides how many digits a run holds; the classifier where to cut and
what each piece is.

Example:
    >>> import numpy as np
    >>> class Ones:  # a stand-in classifier: "1" for a thin upright stroke
    ...     def predict(self, batch, verbose=0):
    ...         cols = (batch[..., 0] > 0.3).any(axis=1).sum(axis=1)
    ...         p = np.full((len(batch), 10), 0.01)
    ...         p[:, 1] = np.where(cols <= 8, 0.91, 0.01)
    ...         return p / p.sum(axis=1, keepdims=True)
    >>> page = np.full((40, 60), 255, np.uint8)  # white paper
    >>> page[8:32, 10:13] = 0                    # two dark strokes
    >>> page[8:32, 40:43] = 0
    >>> reading = read_number(Ones(), page)
    >>> reading.number
    '11'
    >>> reading.to_json()["digits"][0]["box"]
    [10, 8, 3, 24]
"""

from __future__ import annotations

import inspect
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.utils._digit_row import MAX_WIDTH, Row, prepare_row
from cnnkit.utils._segment_search import best_segmentation
from cnnkit.utils.digit_image import light_on_dark, open_on_paper

__all__ = ["DigitReading", "NumberReading", "read_number"]


@dataclass(frozen=True)
class DigitReading:
    """One digit read: its class, the classifier's probability for it, and its box
    ``(x, y, width, height)`` in the input image's pixels."""

    digit: int
    confidence: float
    box: tuple[int, int, int, int]

    def to_json(self) -> dict[str, Any]:
        """``{"digit": 2, "confidence": 0.99, "box": [x, y, w, h]}``."""
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "box": list(self.box),
        }


@dataclass(frozen=True)
class NumberReading:
    """The number read (``""`` for a blank page) and its digits, left to right."""

    number: str
    digits: tuple[DigitReading, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain Python types: ``{"number": "2024", "digits": [...]}``."""
        return {"number": self.number, "digits": [d.to_json() for d in self.digits]}


def read_number(
    model: Any,
    image: np.ndarray | str | os.PathLike[str],
    *,
    max_digits: int = 12,
) -> NumberReading:
    """Read the row of handwritten digits in ``image``.

    Args:
        model: A digit classifier: ``model.predict(batch, verbose=0)`` takes
            ``(N, 28, 28, 1)`` float images in [0, 1], light ink on black as in
            MNIST, and returns ``(N, 10)`` class probabilities (logits are put
            through a softmax). Any cnnkit model trained on MNIST fits.
        image: A 2-D array ``(height, width)`` of grey levels (uint8 0..255, or
            float in [0, 1] or [0, 255]), dark ink on light paper or light ink on
            dark; or the path of an image file.
        max_digits: The most digits the image may hold; bounds the work.

    Returns:
        A ``NumberReading``; ``to_json()`` gives what the web page returns.

    Raises:
        InvalidTypeError: ``model`` has no ``predict``, or ``image`` or
            ``max_digits`` has the wrong type.
        InvalidArgumentError: A bad ``max_digits`` or ``image``, an unreadable file,
            more than ``max_digits`` digits, or predictions of the wrong shape.
    """
    _check_max_digits(max_digits)
    if not callable(getattr(model, "predict", None)):
        raise InvalidTypeError(
            "`model` must have a `predict(batch, verbose=0)` method returning "
            f"(N, 10) digit probabilities; received model={type(model).__name__}. "
            "Pass a trained cnnkit model, e.g. "
            "`cnnkit.saving.load_model('runs/demo/model.keras')`."
        )
    gray = _as_gray(image)
    row = prepare_row(light_on_dark(gray))
    if row is None:
        return NumberReading("", ())
    _check_digit_count(row, max_digits)
    readings = best_segmentation(row, max_digits, lambda batch: _predict(model, batch))
    digits = tuple(
        DigitReading(
            int(r.probabilities.argmax()),
            float(r.probabilities.max()),
            _input_box(r.piece.box, row.scale, gray.shape),
        )
        for r in readings
    )
    return NumberReading("".join(str(d.digit) for d in digits), digits)


def _check_max_digits(max_digits: Any) -> None:
    if isinstance(max_digits, bool) or not isinstance(max_digits, int | np.integer):
        raise InvalidTypeError(
            "`max_digits` must be a positive int; received "
            f"max_digits={max_digits!r} ({type(max_digits).__name__}). "
            "Pass e.g. max_digits=12."
        )
    if max_digits < 1:
        raise InvalidArgumentError(
            f"`max_digits` must be at least 1; received max_digits={max_digits!r}. "
            "Pass the most digits the image may hold, e.g. max_digits=12."
        )


def _as_gray(image: Any) -> np.ndarray:
    """The image as a (H, W) float32 array of grey levels 0..255."""
    if isinstance(image, str | os.PathLike):
        return np.asarray(open_on_paper(image).convert("L"), dtype=np.float32)
    if not isinstance(image, np.ndarray):
        raise InvalidTypeError(
            "`image` must be a 2-D numpy array (height, width) of grey levels or "
            f"the path of an image file; received {type(image).__name__}. Convert "
            "a PIL image with `np.asarray(img.convert('L'))`."
        )
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]  # (H, W, 1), as img_to_array gives
    if image.ndim != 2 or image.size == 0:
        raise InvalidArgumentError(
            "`image` must be a non-empty 2-D array (height, width) of grey levels; "
            f"received shape {image.shape}. For a colour image pass "
            "`image.mean(axis=-1)`; for a batch, read one image at a time."
        )
    if image.dtype.kind not in "buif":
        raise InvalidTypeError(
            f"`image` must hold numbers; received dtype {image.dtype.str!r}. "
            "Convert it with `image.astype('float32')`."
        )
    gray = image.astype(np.float32)
    if not np.isfinite(gray).all() or gray.min() < 0 or gray.max() > 255:
        raise InvalidArgumentError(
            "`image` values must be grey levels in [0, 1] or [0, 255]; received "
            f"values from {float(np.nanmin(gray))} to {float(np.nanmax(gray))}"
            f"{' and NaN/inf' if not np.isfinite(gray).all() else ''}. "
            "Rescale it, e.g. `255 * (x - x.min()) / (x.max() - x.min())`."
        )
    if image.dtype.kind in "bf" and gray.max() <= 1.0:
        gray *= 255.0  # floats in [0, 1] (and booleans) are fractions of white
    return gray


def _check_digit_count(row: Row, max_digits: int) -> None:
    """Refuse before classifying when the strokes cannot be max_digits digits."""
    tall = [b for b in row.blobs if b.height >= 0.5 * row.height]
    width = sum(b.width for b in tall)
    at_least = max(len(tall), math.ceil(width / (MAX_WIDTH * row.height)))
    if at_least > max_digits:
        raise InvalidArgumentError(
            f"The image holds at least {at_least} digits ({len(tall)} separate "
            f"strokes), more than max_digits={max_digits}. Pass a larger "
            "`max_digits`, or crop the image to the number."
        )


def _predict(model: Any, batch: np.ndarray) -> np.ndarray:
    kwargs: dict[str, Any] = {"verbose": 0}
    if _takes_batch_size(model.predict):
        # One forward pass for all candidates: Keras' default of 32 per batch
        # means several, and small batches are slow on a busy CPU.
        kwargs["batch_size"] = len(batch)
    probs = np.asarray(model.predict(batch, **kwargs), dtype=np.float64)
    if probs.shape != (len(batch), 10):
        raise InvalidArgumentError(
            f"`model.predict` must return (N, 10) digit probabilities; for a batch "
            f"of shape {batch.shape} it returned shape {probs.shape}. Pass a "
            "10-class digit classifier taking (N, 28, 28, 1) images (MNIST)."
        )
    is_probability = probs.min() >= 0 and np.allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    if not is_probability:  # logits: a model without a softmax output
        probs = np.exp(probs - probs.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
    return probs


def _takes_batch_size(predict: Any) -> bool:
    try:
        parameters = inspect.signature(predict).parameters
    except (TypeError, ValueError):  # a builtin or C extension: no signature
        return False
    return "batch_size" in parameters


def _input_box(
    box: tuple[int, int, int, int], scale: float, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """A working-size box in the input image's pixels, kept inside the image."""
    x, y, w, h = box
    height, width = shape
    x0 = min(width - 1, max(0, math.floor(x / scale)))
    y0 = min(height - 1, max(0, math.floor(y / scale)))
    x1 = max(x0 + 1, min(width, math.ceil((x + w) / scale)))
    y1 = max(y0 + 1, min(height, math.ceil((y + h) / scale)))
    return (x0, y0, x1 - x0, y1 - y0)
