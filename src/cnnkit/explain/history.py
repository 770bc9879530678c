"""Training curves from wherever they were kept: History, dict, CSV file or model.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> csv = Path(tempfile.mkdtemp()) / "history.csv"
    >>> _ = csv.write_text("epoch,accuracy,loss,val_loss\\n0,0.5,1.5,NA\\n1,0.75,0.5,NA\\n")
    >>> load_history(csv)
    {'accuracy': [0.5, 0.75], 'loss': [1.5, 0.5]}
    >>> load_history({"loss": [2, 1]})
    {'loss': [2.0, 1.0]}
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["load_history"]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan  # CSVLogger writes "NA" for a log an epoch did not have


def _from_csv(path: Path) -> dict[str, list[float]]:
    if not path.is_file():
        raise InvalidArgumentError(
            f"`history`: no file at {str(path)!r}. Pass the CSV that "
            "`callbacks.CSVLogger` (or `cnnkit train`, as history.csv) wrote, a "
            "History, or a dict of lists."
        )
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "epoch" not in rows[0]:
        raise InvalidArgumentError(
            f"`history`: {str(path)!r} is not a CSVLogger file (it needs a header "
            "row starting with 'epoch' and one row per epoch)."
        )
    keys = [k for k in rows[0] if k != "epoch"]
    return {k: [_number(row.get(k) or "") for row in rows] for k in keys}


def load_history(source: Any) -> dict[str, list[float]]:
    """The epoch logs of a training run, as a dict of lists of floats.

    Args:
        source: The ``History`` that ``fit`` returns (or ``model.history`` of a
            loaded model), a model that was trained (its ``history``), a dict of
            lists, or the path of a CSV written by ``callbacks.CSVLogger``.

    Returns:
        ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``, one value
        per epoch. Logs that hold no number at all (CSVLogger's ``NA`` columns when
        there was no validation) are left out.

    Raises:
        InvalidArgumentError: A path that is not a CSVLogger file, or a dict whose
            values are not lists of numbers.
        InvalidTypeError: ``source`` is none of the kinds above.
    """
    if isinstance(source, str | os.PathLike):
        logs = _from_csv(Path(source))
    else:
        inner = getattr(source, "history", source)
        # A trained model's `history` is a History, whose `history` is the dict.
        inner = getattr(inner, "history", inner)
        if not isinstance(inner, dict):
            raise InvalidTypeError(
                "`history` must be a History (what `fit` returns), a trained model, "
                "a dict of lists, or a CSVLogger file path; received "
                f"{type(source).__name__}."
            )
        logs = {}
        for key, values in inner.items():
            try:
                logs[str(key)] = [float(v) for v in values]
            except (TypeError, ValueError) as error:
                raise InvalidArgumentError(
                    f"`history`[{key!r}] must be a list of numbers, one per epoch; "
                    f"received {values!r}."
                ) from error
    return {k: v for k, v in logs.items() if any(math.isfinite(x) for x in v)}
