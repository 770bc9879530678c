"""Decoders from the container formats datasets are distributed in to numpy arrays.

Every decoder returns a dict of uint8 arrays with the dataset's cache keys, or raises
``FileFormatError`` saying what is wrong with the file. None of them trusts the file:
sizes are checked against headers and pickles go through ``safe_load``.

Example:
    >>> import struct
    >>> raw = struct.pack(">4B1I", 0, 0, 8, 1, 3) + bytes([7, 8, 9])
    >>> parse_idx(raw, "labels")
    array([7, 8, 9], dtype=uint8)
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from cnnkit.datasets._safe_pickle import safe_load
from cnnkit.errors import FileFormatError

__all__ = [
    "IDX_FILES",
    "decode_cifar_archive",
    "decode_idx_files",
    "decode_mnist_pickle",
    "decode_npz",
    "parse_idx",
    "read_npz",
]

# Order matters: decode_idx_files receives the paths in this order.
IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_IDX_UBYTE = 0x08


# The biggest dataset file cnnkit reads decompressed (CIFAR-100's arrays, MNIST's
# IDX files) is under 200 MB; a gzip bomb stops here instead of at RAM's end.
MAX_DECOMPRESSED_BYTES = 1 << 30
_CHUNK_BYTES = 1 << 20


def _gunzip(stream: IO[bytes], what: str) -> bytes:
    """Inflate a gzip stream a chunk at a time, refusing more than
    ``MAX_DECOMPRESSED_BYTES``."""
    chunks: list[bytes] = []
    total = 0
    with gzip.open(stream) as unzipped:
        while chunk := unzipped.read(_CHUNK_BYTES):
            total += len(chunk)
            if total > MAX_DECOMPRESSED_BYTES:
                raise FileFormatError(
                    f"{what} inflates to more than {MAX_DECOMPRESSED_BYTES} "
                    "bytes, more than any dataset cnnkit reads: a corrupted "
                    "download or a decompression bomb. Delete it and download again."
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _read_maybe_gzip(path: Path) -> bytes:
    data = path.read_bytes()
    # The same loader accepts the .gz files and their decompressed copies.
    return _gunzip(io.BytesIO(data), path.name) if data[:2] == _GZIP_MAGIC else data


def parse_idx(data: bytes, what: str) -> np.ndarray:
    """Parse an IDX file (the MNIST container) of unsigned bytes.

    Args:
        data: The decompressed file contents.
        what: Name used in error messages.

    Returns:
        A writable uint8 array with the shape the header declares.

    Raises:
        FileFormatError: Bad magic number, non-byte payload or wrong payload size.
    """
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != _IDX_UBYTE:
        raise FileFormatError(
            f"{what} is not an IDX file of unsigned bytes: its header is "
            f"{data[:4]!r}, expected b'\\x00\\x00\\x08' followed by the rank."
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise FileFormatError(
            f"{what} declares shape {dims} ({expected} bytes) but holds "
            f"{len(data) - header} bytes: the file is truncated or corrupted."
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims).copy()


def decode_idx_files(paths: list[Path]) -> dict[str, np.ndarray]:
    """Decode the four IDX files (order of ``IDX_FILES``) of MNIST or Fashion-MNIST."""
    images_tr, labels_tr, images_te, labels_te = (
        parse_idx(_read_maybe_gzip(p), p.name) for p in paths
    )
    return {
        "x_train": images_tr,
        "y_train": labels_tr,
        "x_test": images_te,
        "y_test": labels_te,
    }


def read_npz(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Read ``keys`` (those present) from an ``.npz``, never unpickling anything."""
    with open(path, "rb") as f:  # our handle: np.load leaks its own on bad zips
        if f.read(4) != _ZIP_MAGIC:
            raise FileFormatError(f"{path.name} is not an .npz file (no zip header).")
        try:
            f.seek(0)
            _check_npz_sizes(f, path)
            f.seek(0)
            with np.load(f, allow_pickle=False) as npz:
                return {k: npz[k] for k in keys if k in npz.files}
        except NotImplementedError as error:  # zipfile: an unknown compression
            raise FileFormatError(
                f"{path.name} is a damaged or unsupported zip archive ({error}). "
                "Delete it and download again."
            ) from error


def _check_npz_sizes(f: IO[bytes], path: Path) -> None:
    """Refuse an ``.npz`` member whose ``.npy`` header declares more bytes than
    the member holds: ``np.load`` would allocate the declared array first."""
    # A bad zip raises as np.load would (the source list labels it).
    with zipfile.ZipFile(f) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > MAX_DECOMPRESSED_BYTES:
                # An honest but enormous member (zeros deflate ~1000:1): np.load
                # would inflate it whole.
                raise FileFormatError(
                    f"{path.name}: array {info.filename!r} inflates to "
                    f"{info.file_size} bytes, more than the {MAX_DECOMPRESSED_BYTES} "
                    "cnnkit reads from a dataset file; it was not read. Delete the "
                    "file and download again."
                )
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = read_header(member)
            declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if declared > info.file_size:
                raise FileFormatError(
                    f"{path.name}: array {info.filename!r} declares shape "
                    f"{shape} ({declared} bytes) but the member holds only "
                    f"{info.file_size} bytes: the file is corrupted. Delete it "
                    "and download again."
                )


def decode_npz(paths: list[Path], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read ``keys`` from one ``.npz`` file (as Keras' ``mnist.npz``)."""
    (path,) = paths
    arrays = read_npz(path, keys)
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise FileFormatError(
            f"{path.name} lacks the arrays {missing}; it holds {sorted(arrays)}."
        )
    return arrays


def _as_uint8(value: Any, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "f":
        # mnist.pkl.gz stores byte/256 as float32: scaling by 256 is exact.
        scaled = np.multiply(array, np.float32(256), dtype=np.float32)
        if not np.array_equal(scaled, np.rint(scaled)):
            raise FileFormatError(
                f"{what}: pixels are not multiples of 1/256, so they are not the "
                "original bytes / 256."
            )
        array = scaled
    if array.size and (array.min() < 0 or array.max() > 255):
        raise FileFormatError(
            f"{what}: values span [{array.min()}, {array.max()}], outside 0..255."
        )
    return array.astype(np.uint8)


def decode_mnist_pickle(stream: IO[bytes]) -> dict[str, np.ndarray]:
    """Decode deeplearning.net's ``mnist.pkl.gz`` (train 50k, valid 10k, test 10k).

    Training and validation are the first 50,000 and last 10,000 images of the
    original training set, so concatenating them restores Keras' 60,000 in order.
    """
    unzipped = io.BytesIO(_gunzip(stream, "mnist.pkl.gz"))
    splits = safe_load(unzipped, what="mnist.pkl.gz")
    if not (isinstance(splits, tuple) and len(splits) == 3):
        raise FileFormatError(
            "mnist.pkl.gz should hold a (train, valid, test) tuple; it holds "
            f"{type(splits).__name__}."
        )
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    # Convert each part to bytes before joining: 4x less memory than floats.
    x_train = np.concatenate([_as_uint8(x_tr, "x_train"), _as_uint8(x_va, "x_valid")])
    return {
        "x_train": x_train.reshape(-1, 28, 28),
        "y_train": np.concatenate(
            [_as_uint8(y_tr, "y_train"), _as_uint8(y_va, "y_valid")]
        ),
        "x_test": _as_uint8(x_te, "x_test").reshape(-1, 28, 28),
        "y_test": _as_uint8(y_te, "y_test"),
    }


def _cifar_batch(tar: tarfile.TarFile, member: str) -> dict[str, Any]:
    try:
        handle = tar.extractfile(member)
    except KeyError:
        names = [m.name for m in tar.getmembers() if m.isfile()][:12]
        raise FileFormatError(
            f"The CIFAR archive has no member {member!r}; it holds {names}."
        ) from None
    if handle is None:
        raise FileFormatError(f"{member!r} in the CIFAR archive is not a file.")
    size = tar.getmember(member).size
    if size > MAX_DECOMPRESSED_BYTES:
        # The tar header's size is read before a byte of the member is inflated.
        raise FileFormatError(
            f"{member!r} in the CIFAR archive declares {size} bytes, more than the "
            f"{MAX_DECOMPRESSED_BYTES} any CIFAR batch holds: the download is "
            "corrupted. Delete it and download again."
        )
    batch = safe_load(io.BytesIO(handle.read()), what=member)
    if not isinstance(batch, Mapping):
        raise FileFormatError(f"{member!r} should be a pickled dict.")
    # Python 2 pickles give str keys under latin1; Python 3 ones may give bytes.
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}


def decode_cifar_archive(
    paths: list[Path],
    members: Mapping[str, list[str]],
    label_keys: Mapping[str, str],
) -> dict[str, np.ndarray]:
    """Decode ``cifar-10-python.tar.gz`` / ``cifar-100-python.tar.gz``.

    Args:
        paths: The archive, alone in a list.
        members: ``{"train": [...], "test": [...]}`` member names inside the tar.
        label_keys: Output suffix to pickle key, e.g. ``{"": "labels"}`` for CIFAR-10
            or ``{"_fine": "fine_labels", "_coarse": "coarse_labels"}``.

    Returns:
        ``x_<split>`` as ``(N, 32, 32, 3)`` uint8 and ``y_<split><suffix>`` as
        ``(N, 1)`` uint8 for both splits.
    """
    (path,) = paths
    out: dict[str, np.ndarray] = {}
    # Members are read straight from the tar: nothing is extracted to disk, so a
    # crafted member name cannot write outside the cache.
    with tarfile.open(path, "r:gz") as tar:
        for split, names in members.items():
            batches = [_cifar_batch(tar, name) for name in names]
            data = np.concatenate(
                [_as_uint8(b["data"], f"{split} data") for b in batches]
            )
            # (N, 3072) is the CHW pixels of each image, flattened.
            out[f"x_{split}"] = np.ascontiguousarray(
                data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            )
            for suffix, key in label_keys.items():
                labels = np.concatenate(
                    [_as_uint8(b[key], f"{split} {key}") for b in batches]
                )
                out[f"y_{split}{suffix}"] = labels.reshape(-1, 1)
    return out
