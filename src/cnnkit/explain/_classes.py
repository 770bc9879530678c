"""``class_index``: which class score each sample's explanation is about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError

ClassIndex = int | Sequence[int] | np.ndarray | torch.Tensor | None

_WHAT = (
    "`class_index` must be None (each sample's predicted class), an int (the same "
    "class for every sample), or a 1-D sequence of ints (one per sample)"
)


def plan(class_index: Any, batch: int) -> np.ndarray | None:
    """Check ``class_index`` against the batch: one class per sample, or ``None``."""
    if class_index is None:
        return None
    if isinstance(class_index, bool):
        raise InvalidTypeError(f"{_WHAT}; received class_index={class_index!r}.")
    if isinstance(class_index, int | np.integer):
        return np.full((batch,), int(class_index), dtype=np.int64)
    if isinstance(class_index, torch.Tensor):
        class_index = class_index.detach().cpu().numpy()
    if not isinstance(class_index, Sequence | np.ndarray) or isinstance(
        class_index, str
    ):
        raise InvalidTypeError(
            f"{_WHAT}; received class_index={class_index!r} of type "
            f"{type(class_index).__name__}."
        )
    values = np.asarray(class_index)
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
        raise InvalidTypeError(f"{_WHAT}; received class_index={class_index!r}.")
    if len(values) != batch:
        raise InvalidArgumentError(
            f"`class_index` has {len(values)} entries but `x` has {batch} samples; "
            "give one class per sample, or a single int for all of them."
        )
    return values.astype(np.int64)


def pick(planned: np.ndarray | None, rows: slice, scores: torch.Tensor) -> torch.Tensor:
    """The class of each sample of this chunk (its argmax when none was given)."""
    if planned is None:
        return scores.detach().argmax(dim=1)
    chosen = planned[rows]
    classes = scores.shape[1]
    bad = chosen[(chosen < 0) | (chosen >= classes)]
    if bad.size:
        raise InvalidArgumentError(
            f"`class_index` must lie in [0, {classes}): the model outputs {classes} "
            f"class scores; received {sorted(set(bad.tolist()))}."
        )
    return torch.from_numpy(chosen).to(scores.device)


def selected(scores: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """``scores[i, classes[i]]`` for each sample ``i``."""
    return scores.gather(1, classes[:, None])[:, 0]
