"""Our loaders against Keras' own loaders, run on the same synthetic files.

Keras' ``get_file`` is replaced by a function that returns our local files, so the
rest of Keras' loading code (npz reading, IDX offsets, CIFAR batches, reshapes,
transposes, dtypes) runs unchanged.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest
from dataset_builders import (
    IDX_NAMES,
    cifar_like,
    digest,
    mnist_like,
    write_cifar10_tar,
    write_cifar100_tar,
    write_idx_folder,
    write_npz,
)

from cnnkit.datasets import _sources, cifar10, cifar100, fashion_mnist, mnist

pytestmark = pytest.mark.oracle


def _compare(ours: tuple, theirs: tuple) -> None:
    for our_split, their_split in zip(ours, theirs):
        for a, b in zip(our_split, their_split):
            assert a.shape == b.shape
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def _extract(archive: Path, dest: Path) -> str:
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return str(dest)


def test_mnist_matches_keras(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras.src.datasets.mnist as keras_mnist

    arrays = mnist_like()
    path = write_npz(tmp_path / "mnist.npz", arrays)
    monkeypatch.setattr(keras_mnist, "get_file", lambda **kw: str(path))
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", digest(arrays))
    _compare(mnist.load_data(path=path), keras_mnist.load_data())


def test_fashion_mnist_matches_keras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras.src.datasets.fashion_mnist as keras_fashion

    arrays = mnist_like(seed=3)
    folder = write_idx_folder(_sources.cache_dir() / "fashion-mnist", arrays)
    monkeypatch.setattr(
        keras_fashion, "get_file", lambda fname, **kw: str(folder / fname)
    )
    monkeypatch.setattr(fashion_mnist, "ARRAYS_SHA256", digest(arrays))
    assert sorted(IDX_NAMES) == sorted(p.name for p in folder.iterdir())
    _compare(fashion_mnist.load_data(), keras_fashion.load_data())


def test_cifar100_matches_keras_including_int64_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras.src.datasets.cifar100 as keras_cifar100

    base, coarse = cifar_like(6, 3, classes=100), cifar_like(6, 3, classes=20, seed=4)
    arrays = {
        "x_train": base["x_train"],
        "y_train_fine": base["y_train"],
        "y_train_coarse": coarse["y_train"],
        "x_test": base["x_test"],
        "y_test_fine": base["y_test"],
        "y_test_coarse": coarse["y_test"],
    }
    archive = write_cifar100_tar(_sources.cache_dir() / cifar100.ARCHIVE, arrays)
    extracted = _extract(archive, tmp_path / "keras")
    monkeypatch.setattr(keras_cifar100, "get_file", lambda **kw: extracted)
    monkeypatch.setattr(cifar100, "ARRAYS_SHA256", digest(arrays, cifar100.KEYS))
    for mode in ("fine", "coarse"):
        _compare(cifar100.load_data(mode), keras_cifar100.load_data(mode))


@pytest.mark.slow  # Keras' CIFAR-10 loader insists on 5 batches of 10,000 images
def test_cifar10_matches_keras(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras.src.datasets.cifar10 as keras_cifar10

    def images(n: int) -> np.ndarray:
        # Distinct per image and per pixel, yet cheap to compress (uint8 wraps).
        rows = (np.arange(n) % 256).astype(np.uint8)[:, None]
        cols = (np.arange(32 * 32 * 3) % 256).astype(np.uint8)[None, :]
        return (rows + cols).reshape(n, 32, 32, 3)

    rng = np.random.default_rng(0)
    arrays = {
        "x_train": images(50000),
        "y_train": rng.integers(0, 10, (50000, 1), dtype=np.uint8),
        "x_test": images(10000)[::-1].copy(),
        "y_test": rng.integers(0, 10, (10000, 1), dtype=np.uint8),
    }
    archive = write_cifar10_tar(
        _sources.cache_dir() / cifar10.ARCHIVE, arrays, compresslevel=1
    )
    extracted = _extract(archive, tmp_path / "keras")
    monkeypatch.setattr(keras_cifar10, "get_file", lambda **kw: extracted)
    monkeypatch.setattr(cifar10, "ARRAYS_SHA256", digest(arrays))
    _compare(cifar10.load_data(), keras_cifar10.load_data())
