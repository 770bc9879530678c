"""Fashion-MNIST clothing images, the same arrays as ``keras.datasets.fashion_mnist``.

Sources, in order: the cache, the four IDX files put by hand in
``$CNNKIT_HOME/datasets/fashion-mnist/`` (Keras' cache layout), Debian's
``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist/``),
``$CNNKIT_DATASET_MIRROR``, then the download folders in ``MIRRORS``.

Example:
    >>> from cnnkit.datasets import fashion_mnist
    >>> fashion_mnist.SYSTEM_DIRS[0]
    PosixPath('/usr/share/datasets/fashion-mnist')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnkit.datasets import _sources
from cnnkit.datasets._formats import IDX_FILES, decode_idx_files
from cnnkit.datasets._sources import (
    Cache,
    DatasetSpec,
    Download,
    LoadReport,
    LocalFiles,
    Source,
)

__all__ = ["CLASS_NAMES", "load_data"]

# Zalando's names for labels 0-9.
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

KEYS = ("x_train", "y_train", "x_test", "y_test")
# Digest of the arrays decoded from Zalando's IDX files (as shipped by Debian's
# dataset-fashion-mnist 0.0~git20200523); Keras serves the same files unchanged.
ARRAYS_SHA256: str | None = (
    "82aa995a3fccbc9bfb41fa0853f4a48f92e8e42aeb13f78237dd85be83c6e51e"
)
MIRRORS: list[str] = [
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]
MIRROR_PATH = "fashion_mnist/"
SYSTEM_DIRS: list[Path] = [Path("/usr/share/datasets/fashion-mnist")]
MANUAL_DIR = "fashion-mnist"


def spec() -> DatasetSpec:
    """The dataset description (digest, cache file, how to fix a failed load)."""
    manual = _sources.cache_dir() / MANUAL_DIR
    return DatasetSpec(
        name="fashion_mnist",
        title="Fashion-MNIST",
        keys=KEYS,
        arrays_sha256=ARRAYS_SHA256,
        canonical_sha256=frozenset(),
        mirror_path=MIRROR_PATH + " (the four IDX .gz files)",
        cache_name="fashion_mnist.npz",
        manual_hint=(
            "on Debian or Ubuntu run `sudo apt-get install dataset-fashion-mnist`; "
            f"or download {', '.join(IDX_FILES)} from "
            f"{MIRRORS[0] if MIRRORS else 'a Fashion-MNIST mirror'} and put them in "
            f"{manual}/."
        ),
    )


def sources() -> list[Source]:
    """Every source ``load_data()`` tries, in order."""
    manual = _sources.cache_dir() / MANUAL_DIR
    found: list[Source] = [
        Cache(spec().cache_path),
        LocalFiles("placed by hand", [manual / n for n in IDX_FILES], decode_idx_files),
    ]
    found += [
        LocalFiles("system package", [d / n for n in IDX_FILES], decode_idx_files)
        for d in SYSTEM_DIRS
    ]
    found += [
        Download(url if url.endswith("/") else url + "/", IDX_FILES, decode_idx_files)
        for url in _sources.mirror_urls(MIRROR_PATH, MIRRORS)
    ]
    return found


def load_report() -> tuple[dict[str, np.ndarray], LoadReport]:
    """Load the verified arrays and say which source provided them."""
    return _sources.load(spec(), sources())


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST: 60,000 training and 10,000 test images of clothing.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 of shape
        ``(N, 28, 28)``, ``y`` uint8 of shape ``(N,)`` with classes 0-9
        (0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
        7 Sneaker, 8 Bag, 9 Ankle boot).

    Raises:
        DatasetError: No source worked; the message lists each one and how to put
            the files in place by hand.

    Example:
        >>> (x_train, y_train), _ = fashion_mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (60000, 28, 28)
    """
    arrays, _ = load_report()
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
