"""File-level helpers shared by every format: what a file really is, atomic writes.

Every model or weights file is written to a temporary file in the destination's
directory and moved into place with ``os.replace`` (atomic on POSIX and Windows), so
a crash or an exception during a save leaves the previous file untouched and never a
half-written one. Before reading, the first bytes are checked, so a pickle renamed
``.h5`` or a text file named ``.keras`` is refused with a message that names the file
and says what it actually is.

Example:
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "notes.txt")
    >>> with atomic_write(path) as tmp:
    ...     with open(tmp, "w") as handle:
    ...         _ = handle.write("hello")
    >>> Path(path).read_text(), sniff_kind(path)
    ('hello', 'text')
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from cnnkit.errors import FileFormatError, InvalidArgumentError, InvalidTypeError

__all__ = [
    "FileKind",
    "atomic_write",
    "check_overwrite",
    "expect_kind",
    "path_string",
    "sniff_kind",
]

FileKind = Literal["zip", "hdf5", "pickle", "text", "empty", "unknown"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# HDF5 files may start with a user block: the signature then sits at 512, 1024, ...
_HDF5_OFFSETS = (0, 512, 1024, 2048, 4096)


def path_string(filepath: Any) -> str:
    """``str``/``Path``/``os.PathLike`` → ``str``; anything else is a type error.

    Raises:
        InvalidTypeError: If ``filepath`` is not a path.
    """
    if isinstance(filepath, str | os.PathLike):
        return str(os.fspath(filepath))
    raise InvalidTypeError(
        "`filepath` must be a str or pathlib.Path; received "
        f"{filepath!r} of type {type(filepath).__name__}."
    )


def sniff_kind(path: str) -> FileKind:
    """What the bytes of ``path`` are, whatever its extension says."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if not head:
            return "empty"
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            return "zip"
        for offset in _HDF5_OFFSETS:
            handle.seek(offset)
            if handle.read(8) == _HDF5_SIGNATURE:
                return "hdf5"
    # Protocol 2+ pickles start with PROTO (0x80); protocol 0/1 ones with an opcode
    # such as '(' or ']' followed by more opcodes: the common case is the first.
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "text"


_DESCRIPTIONS = {
    "zip": "a zip archive",
    "hdf5": "an HDF5 file",
    "pickle": (
        "a Python pickle (for example from `torch.save` or `pickle.dump`); cnnkit "
        "never unpickles files, because unpickling can run arbitrary code"
    ),
    "text": "a text file",
    "empty": "an empty file (0 bytes), probably from an interrupted copy or save",
    "unknown": "neither a zip archive nor an HDF5 file",
}


def expect_kind(path: str, expected: FileKind, what: str) -> None:
    """Refuse ``path`` unless its bytes are of kind ``expected``.

    Args:
        path: The file to check (it must exist).
        expected: ``"zip"`` for ``.keras``, ``"hdf5"`` for ``.h5`` files.
        what: How the caller names the format, e.g. ``"a Keras `.keras` model"``.

    Raises:
        FileFormatError: If the file is of another kind.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}.")
    if os.path.isdir(path):
        raise FileFormatError(
            f"{path!r} is a directory, not {what}. cnnkit does not read SavedModel "
            "directories; pass the path of a `.keras`, `.weights.h5` or `.h5` file."
        )
    kind = sniff_kind(path)
    if kind == expected:
        return
    hint = ""
    if kind == "hdf5" and expected == "zip":
        hint = " If it is a legacy Keras HDF5 model, give it the `.h5` extension."
    elif kind == "zip" and expected == "hdf5":
        hint = " If it is a Keras v3 model, give it the `.keras` extension."
    raise FileFormatError(
        f"Cannot read {path!r} as {what}: the file is {_DESCRIPTIONS[kind]}.{hint}"
    )


def check_overwrite(path: str, overwrite: bool) -> None:
    """With ``overwrite=False``, refuse to replace an existing file.

    Keras asks on the terminal; a library call must not block on input, so cnnkit
    raises instead.

    Raises:
        InvalidArgumentError: If ``path`` exists and ``overwrite`` is False.
    """
    if not overwrite and os.path.exists(path):
        raise InvalidArgumentError(
            f"{path!r} already exists and overwrite=False. Pass overwrite=True to "
            "replace it, or choose another file name."
        )


def _current_umask() -> int:
    # The umask can only be read by setting it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary file lives in the same directory, so the final ``os.replace`` is
    a rename within one file system (atomic). If the body raises, the temporary
    file is removed and ``path`` is left as it was. Missing parent directories are
    created.
    """
    directory = os.path.dirname(os.path.abspath(path))
    Path(directory).mkdir(parents=True, exist_ok=True)
    if os.path.isdir(path):
        raise InvalidArgumentError(
            f"{path!r} is an existing directory; give a file path to save to."
        )
    handle, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    os.close(handle)
    try:
        yield tmp
        # The data must be on disk before the rename, or a power cut could leave a
        # renamed but empty file.
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        # mkstemp makes the file private (0600); a saved model should get the
        # permissions any other file the user writes gets (0666 less the umask).
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
