"""The models a server may show: one file, or the ``.keras`` files of one folder.

A page names a model by the name :meth:`ModelShelf.names` lists (a path relative to
the folder); nothing else is ever opened, so no request can reach a file outside
the folder, symlinks included. Files load once, lazily, in safe mode (no code from
a file is run), and stay loaded; the least recently used is dropped past
``max_loaded``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from cnnkit.errors import InvalidArgumentError
from cnnkit.web.errors import WebError

__all__ = ["InputKind", "ModelShelf", "ServedModel", "input_kind"]

InputKind = Literal["image", "flat-image", "signal", "volume", "other"]
# Folders are searched this deep: a models folder, not a whole disk.
_SEARCH_DEPTH = 3
_MAX_LISTED = 500


def input_kind(shape: tuple[int | None, ...]) -> InputKind:
    """What a page can draw for an input of ``shape`` (no batch axis, channels last).

    Example:
        >>> input_kind((28, 28, 1)), input_kind((784,)), input_kind((128, 3))
        ('image', 'flat-image', 'signal')
        >>> input_kind((16, 32, 32, 1)), input_kind((5, 5, 5, 5, 5))
        ('volume', 'other')
    """
    if len(shape) == 3 and shape[-1] in (1, 3):
        return "image"
    if (
        len(shape) == 1
        and shape[0] is not None
        and math.isqrt(shape[0]) ** 2 == shape[0]
    ):
        return "flat-image"  # an MLP on flattened MNIST: draw a square picture
    if len(shape) == 2:
        return "signal"
    if len(shape) == 4:
        return "volume"
    return "other"


@dataclass
class ServedModel:
    """One loaded model and what the page needs to know about it.

    Attributes:
        name: The name pages use for it.
        model: The cnnkit model (never compiled: the server only runs it).
        input_shape: Its input shape without the batch axis.
        kind: What the page draws for it (see :func:`input_kind`).
        class_names: One name per output unit (the saved names, else indices).
        lock: Held while the model runs: one call at a time, whatever the thread.
    """

    name: str
    model: Any
    input_shape: tuple[int | None, ...]
    kind: InputKind
    class_names: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, name: str, path: Path) -> ServedModel:
        """Load ``path`` in safe mode.

        Raises:
            WebError: 400 when the file is not a model cnnkit can load.
        """
        from cnnkit import saving

        try:
            model = saving.load_model(path, compile=False, safe_mode=True)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise WebError(
                400, f"The model {name!r} cannot be loaded: {first_line or exc!r}"
            ) from exc
        input_shape = tuple(model.input_shape[1:])
        outputs = int(model.output_shape[-1] or 0)
        saved = getattr(model, "class_names", None)
        names = (
            [str(n) for n in saved]
            if saved is not None and len(saved) == outputs
            else [str(i) for i in range(outputs)]
        )
        return cls(name, model, input_shape, input_kind(input_shape), names)

    @cached_property
    def description(self) -> dict[str, Any]:
        """What ``GET /api/model`` answers: input, classes and every layer."""
        from cnnkit import explain

        with self.lock:  # analyze runs the model once
            rows = explain.analyze(self.model).rows
        layers = [
            {
                "name": row.name,
                "class_name": row.kind,
                "output_shape": None
                if row.output_shape is None
                else list(row.output_shape),
            }
            for row in rows
        ]
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "kind": self.kind,
            "classes": self.class_names,
            "layers": layers,
        }


class ModelShelf:
    """The model a server was started with, or the models of a folder.

    Args:
        model_path: One ``.keras`` (or ``.h5``) file: the default model.
        folder: A folder whose ``.keras`` files the page may choose from.
        max_loaded: How many models stay loaded at once.

    Raises:
        InvalidArgumentError: Neither is given, or a path is missing.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        folder: Path | None = None,
        max_loaded: int = 4,
    ) -> None:
        if model_path is None and folder is None:
            raise InvalidArgumentError(
                "Nothing to serve: give a model file (`cnnkit serve model.keras`) or a "
                "models folder (`--models-dir FOLDER`)."
            )
        self._folder = None if folder is None else folder.resolve()
        if self._folder is not None and not self._folder.is_dir():
            raise InvalidArgumentError(
                f"The models folder {str(folder)!r} is not a folder: give one that "
                "holds .keras files."
            )
        self._default = None if model_path is None else model_path.resolve()
        if self._default is not None and not self._default.is_file():
            raise InvalidArgumentError(
                f"There is no model file at {str(model_path)!r}. Train one with "
                "`make demo` (it writes runs/demo/model.keras) or `cnnkit train`."
            )
        self._max_loaded = max_loaded
        self._loaded: OrderedDict[str, ServedModel] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def default_name(self) -> str:
        """The name of the model a page shows first."""
        if self._default is not None:
            return self._name_of(self._default)
        names = self.names()
        if not names:
            raise WebError(
                404,
                f"The models folder {str(self._folder)!r} holds no .keras file. Train "
                "one with `cnnkit train --output-dir FOLDER`, or copy one there.",
            )
        return names[0]

    def _name_of(self, path: Path) -> str:
        if self._folder is not None and path.is_relative_to(self._folder):
            return path.relative_to(self._folder).as_posix()
        return path.name

    def names(self) -> list[str]:
        """The models a page may ask for: the default, then the folder's, sorted."""
        found = [] if self._default is None else [self._name_of(self._default)]
        if self._folder is not None:
            found += [
                name for name in sorted(self._folder_files()) if name not in found
            ]
        return found

    def _folder_files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        if self._folder is None:
            return files
        for depth in range(_SEARCH_DEPTH):
            for path in self._folder.glob("/".join(["*"] * depth + ["*.keras"])):
                real = path.resolve()
                # A symlink out of the folder is not the folder's.
                if real.is_file() and real.is_relative_to(self._folder):
                    files[path.relative_to(self._folder).as_posix()] = real
                if len(files) >= _MAX_LISTED:
                    return files
        return files

    def _path_of(self, name: str) -> Path:
        if self._default is not None and name == self._name_of(self._default):
            return self._default
        if self._folder is not None:
            path = self._folder_files().get(name)
            if path is not None:
                return path
        raise WebError(
            404,
            f"There is no model named {name!r} here; the models are {self.names()}.",
        )

    def get(self, name: str | None = None) -> ServedModel:
        """The loaded model ``name`` (``None``: the default), loading it if needed.

        Raises:
            WebError: 404 for a name :meth:`names` does not list; 400 when the file
                does not load.
        """
        name = self.default_name if name is None else name
        with self._lock:
            served = self._loaded.get(name)
            if served is not None:
                self._loaded.move_to_end(name)
                return served
        served = ServedModel.load(name, self._path_of(name))
        with self._lock:
            self._loaded[name] = served
            while len(self._loaded) > self._max_loaded:
                self._loaded.popitem(last=False)
        return served
