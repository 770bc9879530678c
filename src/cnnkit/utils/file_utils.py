"""``get_file``: download a file once into Keras' cache, verify it, extract it.

The cache is Keras' own (``$KERAS_HOME``, else ``~/.keras``; ``/tmp/.keras`` when that
is not writable), with the same sub-folders and file names, so a file Keras already
downloaded (``~/.keras/models/resnet50_weights_tf_dim_ordering_tf_kernels.h5``) is
used as it is, and a file put there by hand on an offline machine is found.
Downloads go to a temporary file renamed into place only once complete and
verified; archives are extracted member by member, refusing any path or link that
would land outside the target folder.

Example:
    >>> import os, pathlib, tempfile
    >>> home = tempfile.mkdtemp()
    >>> source = pathlib.Path(home, "hello.txt")
    >>> _ = source.write_text("hi")
    >>> path = get_file(origin=source.as_uri(), cache_dir=home)  # doctest: +ELLIPSIS
    Downloading data from file:///...hello.txt
    >>> os.path.relpath(path, home), pathlib.Path(path).read_text()
    ('datasets/hello.txt', 'hi')
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from cnnkit.errors import DatasetError, FileFormatError, InvalidArgumentError

__all__ = ["get_file", "hash_file", "validate_file"]

_CHUNK = 1 << 16
# Far above any published Keras file (the largest weights are ~550 MB): a bound that
# stops a misbehaving server from filling the disk, not a limit users meet.
MAX_DOWNLOAD_BYTES = 8 << 30
_TIMEOUT_S = 30.0


def keras_home() -> str:
    """Keras' cache folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` when
    the home folder is not writable), as Keras decides it."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    return hashlib.md5()  # Keras' legacy default for any other hash length


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The hex ``sha256`` (or ``md5``) of the file at ``fpath``."""
    _check_algorithm(algorithm)
    hasher = _hasher(algorithm)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest())


def validate_file(
    fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535
) -> bool:
    """Whether the file's hash is ``file_hash`` (``"auto"``: sha256 for 64 hex
    digits, else md5)."""
    _check_algorithm(algorithm)
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest()) == str(file_hash)


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ("auto", "sha256", "md5"):
        raise InvalidArgumentError(
            "get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5'; "
            f"received hash_algorithm={algorithm!r}."
        )


def _cache_folder(cache_dir: str | None, cache_subdir: str) -> str:
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    # Not ours to create? The writability test below falls back then.
    with contextlib.suppress(OSError):
        os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = os.path.join(
            "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras"
        )
    folder = os.path.join(base, cache_subdir)  # an absolute subdir wins, as in Keras
    os.makedirs(folder, exist_ok=True)
    return folder


def _targets(
    fname: str | None, origin: str, folder: str, extract: bool
) -> tuple[str, str | None]:
    """``(download_target, extraction_dir)`` named as Keras 3 names them."""
    name = os.fspath(fname) if fname else ""
    if not name:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise InvalidArgumentError(
                f"get_file: cannot take a file name from origin={origin!r}; pass "
                "`fname='name.ext'`."
            )
    elif os.sep in name:
        raise InvalidArgumentError(
            "get_file: `fname` is a file name, not a path; put the folder in "
            f"`cache_dir=` (or `cache_subdir=`). Received fname={name!r}."
        )
    if not extract:
        return os.path.join(folder, name), None
    if fname and "." in name:
        stem = name[: name.find(".")]
        return os.path.join(folder, name), os.path.join(folder, f"{stem}_extracted")
    return os.path.join(folder, f"{name}_archive"), os.path.join(folder, name)


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: Any = "auto",
    cache_dir: str | None = None,
    force_download: bool = False,
) -> str:
    """Download ``origin`` into the Keras cache unless it is there already.

    Args:
        fname: The local file name (default: the last part of ``origin``'s path).
            With ``extract=True``, a name without an extension names the
            extraction folder.
        origin: The URL (``https://``, ``http://`` or ``file://``).
        untar: Deprecated spelling of ``extract=True`` with ``archive_format="tar"``.
        md5_hash: Deprecated spelling of ``file_hash=`` with ``hash_algorithm="md5"``.
        file_hash: The expected sha256 (64 hex digits) or md5 of the file. A cached
            file with another hash is downloaded again; a download with another
            hash is refused.
        cache_subdir: Folder under the cache (``"datasets"``, ``"models"``); an
            absolute path is used as it is.
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: Extract the archive (tar, tar.gz, tar.bz2, zip) and return the
            extraction folder.
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``, a list of
            them, or ``None``.
        cache_dir: The cache folder (default ``$KERAS_HOME`` or ``~/.keras``).
        force_download: Download again even when the file is cached.

    Returns:
        The path of the file, or of the extraction folder with ``extract=True``.

    Raises:
        DatasetError: If the file is not cached and cannot be downloaded; the
            message names the path to put it at by hand (and its hash).
        FileFormatError: If the downloaded file's hash differs from ``file_hash``.
    """
    if origin is None:
        raise InvalidArgumentError(
            "get_file: pass `origin=`, the URL of the file to download."
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _check_algorithm(hash_algorithm)
    algorithm_name = _hasher(hash_algorithm, file_hash).name  # "auto" resolved
    folder = _cache_folder(cache_dir, cache_subdir)
    target, extraction_dir = _targets(fname, origin, folder, bool(extract or untar))
    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print(
            f"A local file was found at {target}, but its {algorithm_name} hash "
            f"is not {file_hash} (incomplete or outdated): downloading it again."
        )
        download = True
    if download:
        print(f"Downloading data from {origin}")
        _download(origin, target, file_hash, hash_algorithm)
    if extraction_dir is None:
        return target
    if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
        warnings.warn(
            f"get_file: could not extract {target!r} (not a {archive_format} archive).",
            UserWarning,
            stacklevel=2,
        )
    return extraction_dir


def _download(origin: str, target: str, file_hash: str | None, algorithm: str) -> None:
    handle, part = tempfile.mkstemp(
        prefix=os.path.basename(target) + ".",
        suffix=".part",
        dir=os.path.dirname(target),
    )
    hasher = _hasher(algorithm, file_hash)
    try:
        with os.fdopen(handle, "wb") as out:
            received = 0
            with urllib.request.urlopen(origin, timeout=_TIMEOUT_S) as response:
                while chunk := response.read(_CHUNK):
                    received += len(chunk)
                    if received > MAX_DOWNLOAD_BYTES:
                        raise DatasetError(
                            f"get_file: {origin} sent more than "
                            f"{MAX_DOWNLOAD_BYTES} bytes; refusing the download."
                        )
                    out.write(chunk)
                    hasher.update(chunk)
        if file_hash is not None and hasher.hexdigest() != str(file_hash):
            raise FileFormatError(
                f"get_file: the file downloaded from {origin} has {hasher.name} hash "
                f"{hasher.hexdigest()}, not the expected {file_hash}: it is "
                "incomplete or corrupted, or the origin changed. Nothing was kept; "
                "try again, or check `file_hash`."
            )
        os.replace(part, target)
    except (OSError, http.client.HTTPException, ValueError) as error:
        if isinstance(error, (FileFormatError, DatasetError)):
            raise
        raise DatasetError(
            _offline_message(origin, target, file_hash, error)
        ) from error
    finally:
        if os.path.exists(part):
            os.remove(part)


def _offline_message(
    origin: str, target: str, file_hash: str | None, error: BaseException
) -> str:
    if isinstance(error, urllib.error.HTTPError):
        why = f"HTTP error {error.code} ({error.reason})"
    elif isinstance(error, urllib.error.URLError):
        why = f"network error: {error.reason}"
    else:
        why = f"{type(error).__name__}: {error}"
    check = f" Its hash must be {file_hash}." if file_hash else ""
    return (
        f"get_file could not download {origin} ({why}). On a machine without "
        f"network, fetch that file elsewhere and put it at {target}.{check}"
    )


# ------------------------------------------------------------------ archives


def _inside(base: str, relative: str) -> bool:
    path = os.path.realpath(os.path.join(base, relative))
    return os.path.commonpath([path, base]) == base


def _safe_tar_members(archive: tarfile.TarFile, base: str) -> Iterator[tarfile.TarInfo]:
    for member in archive:
        if member.issym() or member.islnk():
            # Hard links resolve from the root, symbolic ones from their folder.
            where = "" if member.islnk() else os.path.dirname(member.name)
            ok = _inside(base, member.name) and _inside(
                base, os.path.join(where, member.linkname)
            )
        else:
            ok = (member.isfile() or member.isdir()) and _inside(base, member.name)
        if ok:
            yield member
        else:
            warnings.warn(
                f"Skipping unsafe archive member {member.name!r} (it would land "
                "outside the extraction folder, or is not a file or folder).",
                UserWarning,
                stacklevel=3,
            )


def _safe_zip_members(archive: zipfile.ZipFile, base: str) -> Iterator[zipfile.ZipInfo]:
    for member in archive.infolist():
        if _inside(base, member.filename):
            yield member
        else:
            warnings.warn(
                f"Skipping unsafe archive member {member.filename!r} (it would land "
                "outside the extraction folder).",
                UserWarning,
                stacklevel=3,
            )


def extract_archive(
    file_path: str, path: str = ".", archive_format: Any = "auto"
) -> bool:
    """Extract a tar or zip archive into ``path``, skipping unsafe members.

    Returns:
        Whether ``file_path`` was an archive of one of the formats (and extracted).
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    if isinstance(formats, str):
        formats = [formats]
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise InvalidArgumentError(
                "get_file: `archive_format` must be 'auto', 'tar', 'zip', a list of "
                f"them, or None; received archive_format={archive_format!r}."
            )
    base = os.path.realpath(path)
    for kind in formats:
        try:
            if kind == "tar" and tarfile.is_tarfile(file_path):
                with tarfile.open(file_path) as tar:
                    kwargs: dict[str, Any] = {}
                    if sys.version_info < (3, 14) and hasattr(tarfile, "data_filter"):
                        kwargs = {"filter": "data"}  # the stdlib's own checks too
                    tar.extractall(base, members=_safe_tar_members(tar, base), **kwargs)
                return True
            if kind == "zip" and zipfile.is_zipfile(file_path):
                with zipfile.ZipFile(file_path) as archive:
                    archive.extractall(base, members=_safe_zip_members(archive, base))
                return True
        except (tarfile.TarError, zipfile.BadZipFile, RuntimeError):
            if os.path.isdir(path):
                shutil.rmtree(path)
            raise
    return False
