"""What a model learned on the way, kept in its ``.keras`` file: history, snapshots
and the names of its classes.

``fit`` leaves ``model.history`` (the epoch logs) and, with the ``WatchLearning``
callback, ``model.learning_snapshots`` (the first convolution's filters and one
probe image's feature maps, once per epoch). ``save`` writes both under a
``"cnnkit"`` key of ``metadata.json``; Keras 3 never reads that member back, so the
file still loads there. ``load_model`` puts them back on the model, so a report can
draw the training curves of a model trained elsewhere. ``model.class_names`` (a
list of strings that ``cnnkit train`` sets, or you do) travels the same way, so a
report or the web page can say "Sneaker" rather than "7".

Arrays travel as float16 bytes in base64: a few kilobytes per epoch, and exact
enough for pictures. The section is read as untrusted data: every array is checked
against its declared shape, and nothing but numbers and strings is accepted.

Example:
    >>> import numpy as np
    >>> record = SavedHistory({"loss": [0.5, 0.25]}, [0, 1], {"epochs": 2})
    >>> encoded = encode_record(record, None)
    >>> decode_record(encoded, "m.keras")[0].history
    {'loss': [0.5, 0.25]}
    >>> snaps = LearningSnapshots("conv2d", [0], [np.ones((3, 3, 1, 2))], [], None)
    >>> decode_record(encode_record(None, snaps), "m.keras")[1].filters[0].shape
    (3, 3, 1, 2)
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnkit.errors import FileFormatError

__all__ = [
    "LearningSnapshots",
    "SavedHistory",
    "class_names_of",
    "decode_record",
    "encode_record",
    "record_of",
    "restore_record",
]

KEY = "cnnkit"
# A probe's feature maps for hundreds of epochs fit far below this; a larger claim
# is a malformed (or hostile) file, refused before numpy allocates it.
_MAX_ARRAY_VALUES = 1 << 24
# ImageNet-21k has ~21,800 classes; a longer list, or a longer name, is not a label.
_MAX_CLASS_NAMES = 100_000
_MAX_NAME_CHARS = 500


@dataclass
class SavedHistory:
    """The ``History`` of a saved model, as ``load_model`` restores it.

    The same attributes as :class:`cnnkit.callbacks.History` that users read, so
    ``model.history.history["loss"]`` works before and after a round trip.

    Attributes:
        history: Dict of lists, one value per epoch for each log key.
        epoch: The 0-based indices of the recorded epochs.
        params: The run parameters (``epochs``, ``steps``, ``verbose``).
    """

    history: dict[str, list[float]]
    epoch: list[int] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class LearningSnapshots:
    """Per-epoch pictures of one convolution, recorded by ``WatchLearning``.

    Attributes:
        layer: The name of the convolution watched.
        epochs: The 0-based epoch of each snapshot.
        filters: One kernel per snapshot, Keras layout (``(kh, kw, in, out)`` for
            2D), possibly only the first filters.
        activations: One feature map per snapshot of the probe image, in the
            layer's layout without the batch axis (``(H, W, C)``); empty without a
            probe.
        probe: The probe image (no batch axis), or ``None``.
    """

    layer: str
    epochs: list[int]
    filters: list[np.ndarray]
    activations: list[np.ndarray]
    probe: np.ndarray | None


def _number(value: Any) -> float | None:
    try:
        number = float(np.asarray(value))
    except (TypeError, ValueError):
        return None
    # JSON has no NaN: a diverged epoch is written as null and read back as NaN.
    return number if math.isfinite(number) else None


def _encode_array(array: np.ndarray) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype="<f2")
    return {
        "dtype": "float16",
        "shape": list(data.shape),
        "base64": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def encode_record(
    history: Any,
    snapshots: LearningSnapshots | None,
    class_names: Any = None,
) -> dict[str, Any] | None:
    """The JSON-ready ``"cnnkit"`` section for a history, snapshots and class names,
    or ``None`` when there is nothing to keep.

    ``history`` is anything with ``.history`` (dict of lists), ``.epoch`` and
    ``.params``: the ``History`` from ``fit`` or a :class:`SavedHistory`.
    """
    section: dict[str, Any] = {}
    logs = getattr(history, "history", None)
    if isinstance(logs, dict) and logs:
        params = getattr(history, "params", None) or {}
        section["history"] = {
            "history": {str(k): [_number(v) for v in vs] for k, vs in logs.items()},
            "epoch": [int(e) for e in getattr(history, "epoch", None) or []],
            "params": {
                str(k): v
                for k, v in params.items()
                if isinstance(v, int | float | str | bool) or v is None
            },
        }
    if snapshots is not None and snapshots.epochs:
        section["learning_snapshots"] = {
            "layer": snapshots.layer,
            "epochs": [int(e) for e in snapshots.epochs],
            "filters": [_encode_array(a) for a in snapshots.filters],
            "activations": [_encode_array(a) for a in snapshots.activations],
            "probe": None
            if snapshots.probe is None
            else _encode_array(snapshots.probe),
        }
    if class_names is not None:
        section["class_names"] = [str(name) for name in class_names]
    return section or None


def record_of(model: Any) -> dict[str, Any] | None:
    """The ``"cnnkit"`` metadata section for ``model``, or ``None`` (never trained)."""
    snapshots = getattr(model, "learning_snapshots", None)
    return encode_record(
        getattr(model, "history", None),
        snapshots if isinstance(snapshots, LearningSnapshots) else None,
        getattr(model, "class_names", None),
    )


# ------------------------------------------------------------------ reading


def _bad(path: str, what: str) -> FileFormatError:
    return FileFormatError(
        f"{path!r}: metadata.json's {KEY!r} section is malformed ({what}). The "
        "weights are fine: remove that key from metadata.json (or re-save the model) "
        "to load it without its training history."
    )


def _decode_array(value: Any, path: str) -> np.ndarray:
    if not isinstance(value, dict) or value.get("dtype") != "float16":
        raise _bad(path, "an array is not a float16 record")
    shape = value.get("shape")
    if not (
        isinstance(shape, list)
        and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        )
        and math.prod(shape) <= _MAX_ARRAY_VALUES
    ):
        raise _bad(path, f"an array declares the shape {shape!r}")
    try:
        raw = base64.b64decode(str(value.get("base64", "")), validate=True)
    except ValueError as error:
        raise _bad(path, f"an array is not valid base64: {error}") from error
    if len(raw) != 2 * math.prod(shape):
        raise _bad(path, f"an array of shape {shape} holds {len(raw)} bytes")
    return np.frombuffer(raw, dtype="<f2").reshape(shape).astype("float32")


def _decode_history(value: Any, path: str) -> SavedHistory:
    if not isinstance(value, dict) or not isinstance(value.get("history"), dict):
        raise _bad(path, "'history' is not an object of lists")
    logs: dict[str, list[float]] = {}
    for key, values in value["history"].items():
        if not isinstance(values, list) or not all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool))
            for v in values
        ):
            raise _bad(path, f"the history of {key!r} is not a list of numbers")
        logs[key] = [math.nan if v is None else float(v) for v in values]
    epoch = value.get("epoch", [])
    if not isinstance(epoch, list) or not all(isinstance(e, int) for e in epoch):
        raise _bad(path, "'epoch' is not a list of ints")
    params = value.get("params", {})
    if not isinstance(params, dict):
        raise _bad(path, "'params' is not an object")
    return SavedHistory(logs, list(epoch), dict(params))


def _decode_snapshots(value: Any, path: str) -> LearningSnapshots:
    if not isinstance(value, dict):
        raise _bad(path, "'learning_snapshots' is not an object")
    epochs = value.get("epochs")
    filters, maps = value.get("filters"), value.get("activations")
    if not (
        isinstance(value.get("layer"), str)
        and isinstance(epochs, list)
        and all(isinstance(e, int) for e in epochs)
        and isinstance(filters, list)
        and isinstance(maps, list)
        and len(filters) == len(epochs)
        and len(maps) in (0, len(epochs))
    ):
        raise _bad(path, "'learning_snapshots' lacks a layer or one array per epoch")
    probe = value.get("probe")
    return LearningSnapshots(
        layer=value["layer"],
        epochs=list(epochs),
        filters=[_decode_array(a, path) for a in filters],
        activations=[_decode_array(a, path) for a in maps],
        probe=None if probe is None else _decode_array(probe, path),
    )


def _decode_class_names(value: Any, path: str) -> list[str]:
    if not isinstance(value, list) or len(value) > _MAX_CLASS_NAMES:
        raise _bad(
            path, f"class_names must be a list of at most {_MAX_CLASS_NAMES} strings"
        )
    for name in value:
        if not isinstance(name, str) or len(name) > _MAX_NAME_CHARS:
            raise _bad(
                path,
                f"each class name must be a string of at most {_MAX_NAME_CHARS} "
                f"characters; found {str(name)[:40]!r}",
            )
    return list(value)


def class_names_of(metadata: Any, path: str) -> list[str] | None:
    """The class names kept in a loaded file's metadata, or ``None``.

    Raises:
        FileFormatError: If the ``"cnnkit"`` section's class names are malformed.
    """
    if not isinstance(metadata, dict) or not isinstance(metadata.get(KEY), dict):
        return None
    names = metadata[KEY].get("class_names")
    return None if names is None else _decode_class_names(names, path)


def decode_record(
    section: Any, path: str
) -> tuple[SavedHistory | None, LearningSnapshots | None]:
    """The history and snapshots of a ``"cnnkit"`` section read from ``path``.

    Raises:
        FileFormatError: If the section is not what ``encode_record`` writes.
    """
    if not isinstance(section, dict):
        raise _bad(path, f"expected an object, found {type(section).__name__}")
    history = section.get("history")
    snapshots = section.get("learning_snapshots")
    return (
        None if history is None else _decode_history(history, path),
        None if snapshots is None else _decode_snapshots(snapshots, path),
    )


def restore_record(model: Any, metadata: Any, path: str) -> None:
    """Put the history, snapshots and class names of a loaded file's metadata back
    on ``model``.

    Raises:
        FileFormatError: If the ``"cnnkit"`` section is malformed.
    """
    if not isinstance(metadata, dict) or KEY not in metadata:
        return
    history, snapshots = decode_record(metadata[KEY], path)
    if history is not None:
        model.history = history
    if snapshots is not None:
        model.learning_snapshots = snapshots
    names = class_names_of(metadata, path)
    if names is not None:
        model.class_names = names
