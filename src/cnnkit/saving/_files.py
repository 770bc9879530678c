"""File-level helpers shared by every format: what a file really is, atomic writes.

Every model or weights file is written to a temporary file in the destination's
directory and moved into place with ``os.replace`` (atomic on POSIX and Windows), so
a crash or an exception during a save leaves the previous file untouched and never a
half-written one. HDF5 files are built in memory first (:func:`h5_bytes`): h5py
writing to a full disk segfaults, while a failing :func:`write_bytes` raises
:class:`SaveError` naming the file and the cause. Temporaries left by a process
killed mid-save are removed by the next save into the same folder. Before reading, the first bytes are checked, so a pickle renamed
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
import errno
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import h5py

from cnnkit.errors import (
    CnnkitError,
    FileFormatError,
    InvalidArgumentError,
    InvalidTypeError,
)

__all__ = [
    "FileKind",
    "SaveError",
    "atomic_write",
    "check_overwrite",
    "clean_stale_temps",
    "expect_kind",
    "h5_bytes",
    "path_string",
    "sniff_kind",
    "write_bytes",
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


class SaveError(CnnkitError, OSError):
    """A file could not be written: the disk is full, a size limit, no permission.

    An ``OSError`` (``errno`` is the system's), so ``except OSError`` still catches
    it; the message names the file, the cause and what to do.
    """


# Why a write failed, in words, and what the user can do about it.
_CAUSES = {
    errno.ENOSPC: ("the disk is full", "free some space or save elsewhere"),
    errno.EDQUOT: ("the disk quota is exhausted", "free some space or save elsewhere"),
    errno.EFBIG: (
        "the file is larger than the file-size limit allows (`ulimit -f`)",
        "raise the limit or save a smaller file",
    ),
    errno.EACCES: ("permission denied", "save into a folder you can write to"),
    errno.EPERM: ("permission denied", "save into a folder you can write to"),
    errno.EROFS: ("the file system is read-only", "save elsewhere"),
    errno.ENOTDIR: (
        "a parent of the path is a file, not a folder",
        "choose a path whose parents are folders",
    ),
    errno.EEXIST: (
        "a parent of the path is a file, not a folder",
        "choose a path whose parents are folders",
    ),
}


def _save_error(path: str, error: OSError) -> SaveError:
    code = error.errno if error.errno is not None else errno.EIO
    cause, fix = _CAUSES.get(code, (error.strerror or str(error), "check the path"))
    return SaveError(
        code,
        f"Could not save {path!r}: {cause} ({type(error).__name__}: {error}). "
        f"The previous file, if any, is unchanged; {fix}.",
    )


# mkstemp names our temporaries ".<name>.<8 random chars>.tmp" (see atomic_write).
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
# A temporary younger than this may belong to a save running right now in another
# process; one older was left by a process killed mid-save (SIGKILL, power cut).
STALE_AFTER_S = 60.0
# This process' own temporaries in flight (threads may save concurrently).
_OWN_TEMPS: set[str] = set()


def clean_stale_temps(
    directory: str,
    older_than_s: float = STALE_AFTER_S,
    targets: tuple[str, ...] | None = None,
) -> list[str]:
    """Remove temporaries of our naming pattern left in ``directory`` by dead saves.

    Only files named like ours, older than ``older_than_s`` and not being written
    by this process are removed (with ``targets``, only the temporaries of those
    file names); errors are ignored (cleaning is best effort: a save must not
    fail because an old temporary could not be deleted).

    Returns:
        The paths removed.
    """
    removed: list[str] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not _TEMP_NAME.match(entry.name) or entry.path in _OWN_TEMPS:
            continue
        if targets is not None and not entry.name.startswith(
            tuple(f".{name}." for name in targets)
        ):
            continue
        with contextlib.suppress(OSError):
            if not entry.is_file(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < older_than_s:
                continue
            os.remove(entry.path)
            removed.append(entry.path)
    return removed


def _fsync_directory(directory: str) -> None:
    # The rename itself lives in the directory entry: sync it so a power cut
    # cannot bring back the old name. Not possible on Windows; best effort.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary file lives in the same directory, so the final ``os.replace`` is
    a rename within one file system (atomic). If the body raises, the temporary
    file is removed and ``path`` is left as it was. Missing parent directories are
    created. Stale temporaries from saves killed earlier in that directory are
    removed first (see :func:`clean_stale_temps`).

    Raises:
        InvalidArgumentError: If ``path`` is an existing directory.
        SaveError: If the file cannot be written (disk full, file-size limit,
            permission denied, a parent that is a file); the message names
            ``path`` and the cause.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InvalidArgumentError(
            f"{path!r} is an existing directory; give a file path to save to."
        )
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        clean_stale_temps(directory)
        handle, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
        )
    except OSError as error:
        raise _save_error(path, error) from error
    os.close(handle)
    _OWN_TEMPS.add(tmp)
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
        _fsync_directory(directory)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(error, OSError) and not isinstance(error, CnnkitError):
            raise _save_error(path, error) from error
        raise
    finally:
        _OWN_TEMPS.discard(tmp)


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: checked write, flush, fsync, rename.

    Raises:
        SaveError: If the bytes cannot all be written; ``path`` is unchanged and
            no temporary file is left.
    """
    with atomic_write(path) as tmp, open(tmp, "wb") as handle:
        # A buffered file writes every byte or raises (ENOSPC, EFBIG), and the
        # flush inside the block makes a failure surface here, not in a close
        # whose error could be lost.
        handle.write(data)
        handle.flush()


def h5_bytes(fill: Callable[[h5py.File], None]) -> bytes:
    """Build an HDF5 file in memory with ``fill`` and return its bytes.

    HDF5 writing straight to disk crashes the process (a segfault in h5py's
    close) when the disk fills or a size limit is hit; in memory nothing can fail
    but memory, and the bytes then go to disk through :func:`write_bytes`, whose
    errors are ordinary exceptions.
    """
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        fill(h5)
    return buffer.getvalue()
