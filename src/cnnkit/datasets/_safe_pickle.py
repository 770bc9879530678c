"""Unpickling that builds numpy arrays and plain containers, and nothing else.

Dataset files in the pickle format (CIFAR batches, ``mnist.pkl.gz``) come from the
network. A plain ``pickle.load`` would run whatever callable the file names, so a
tampered file could run code on the user's machine. This unpickler resolves only the
globals that a numpy array needs; every other global is refused before it is
imported.

Example:
    >>> import io, pickle
    >>> import numpy as np
    >>> blob = pickle.dumps({"data": np.arange(3, dtype=np.uint8), "labels": [1, 2]})
    >>> safe_load(io.BytesIO(blob), what="an example")["data"]
    array([0, 1, 2], dtype=uint8)
"""

from __future__ import annotations

import pickle
from typing import IO, Any

import numpy as np

from cnnkit.errors import FileFormatError

__all__ = ["safe_load"]

try:  # numpy >= 2 moved the implementation; pickles name either module.
    from numpy._core.multiarray import _reconstruct
    from numpy._core.numeric import _frombuffer  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct  # type: ignore[no-redef]
    from numpy.core.numeric import _frombuffer  # type: ignore[no-redef]


def _numeric_dtype(*args: Any) -> np.dtype:
    # An object dtype would let the payload smuggle arbitrary pickled objects back in.
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise FileFormatError(
            f"Refusing to unpickle an array of dtype {dtype}: only numeric arrays "
            "are accepted in dataset files."
        )
    return dtype


# Mapped to objects directly rather than imported by name, so that the deprecated
# ``numpy.core`` alias (written by numpy 1.x pickles) is never touched.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    # Pickle protocol 5 rebuilds arrays from a buffer with this one instead.
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _numeric_dtype,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], what: str) -> None:
        # latin1 is the documented way to read Python 2 pickles holding numpy data.
        super().__init__(file, encoding="latin1")
        self._what = what

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in _ALLOWED)
            raise FileFormatError(
                f"Refusing to unpickle `{module}.{name}` from {self._what}: dataset "
                f"files may only contain numpy arrays, lists, dicts, strings and "
                f"numbers (allowed globals: {allowed}). The file is corrupted or "
                "was tampered with; delete it so that a fresh copy is fetched."
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise FileFormatError(
            f"Refusing to unpickle a persistent reference from {self._what}: "
            "dataset files never contain one. The file is corrupted or was "
            "tampered with; delete it so that a fresh copy is fetched."
        )


def safe_load(file: IO[bytes], *, what: str) -> Any:
    """Unpickle ``file``, admitting only numpy arrays and builtin containers.

    Args:
        file: A binary file object positioned at the start of a pickle.
        what: Human description of the file, used in error messages.

    Returns:
        The unpickled object.

    Raises:
        FileFormatError: The pickle names any global other than what a numeric numpy
            array needs (for example ``os.system``), or uses persistent ids.
    """
    return _NumpyOnlyUnpickler(file, what).load()
