"""CIFAR-10 small colour images, the same arrays as ``keras.datasets.cifar10``.

Sources, in order: the cache, ``cifar-10-python.tar.gz`` put by hand in
``$CNNKIT_HOME/datasets/``, ``$CNNKIT_DATASET_MIRROR``, then ``MIRRORS``. The
archive's pickled batches are read with an unpickler that admits numpy arrays only.

Example:
    >>> from cnnkit.datasets import cifar10
    >>> cifar10.ARCHIVE
    'cifar-10-python.tar.gz'
"""

from __future__ import annotations

from functools import partial

import numpy as np

from cnnkit.datasets import _cifar, _sources
from cnnkit.datasets._formats import decode_cifar_archive
from cnnkit.datasets._sources import DatasetSpec, LoadReport, Source

__all__ = ["CLASS_NAMES", "load_data"]

# The dataset's batches.meta names for labels 0-9.
CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip

KEYS = ("x_train", "y_train", "x_test", "y_test")
# No digest of the decoded arrays is known yet, so downloads are trusted when the
# archive is byte-identical to the official one (sha256 from Keras).
ARRAYS_SHA256: str | None = None
CANONICAL_SHA256 = frozenset(
    {"6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"}
)
ARCHIVE = "cifar-10-python.tar.gz"
MIRRORS: list[str] = ["https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"]
MIRROR_PATH = "cifar10/" + ARCHIVE
_MEMBERS = {
    "train": [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)],
    "test": ["cifar-10-batches-py/test_batch"],
}
_decode = partial(decode_cifar_archive, members=_MEMBERS, label_keys={"": "labels"})


def spec() -> DatasetSpec:
    """The dataset description (digest, cache file, how to fix a failed load)."""
    return DatasetSpec(
        name="cifar10",
        title="CIFAR-10",
        keys=KEYS,
        arrays_sha256=ARRAYS_SHA256,
        canonical_sha256=CANONICAL_SHA256,
        mirror_path=MIRROR_PATH,
        cache_name="cifar10.npz",
        manual_hint=_cifar.manual_hint(ARCHIVE, MIRRORS, "163 MB"),
    )


def sources() -> list[Source]:
    """Every source ``load_data()`` tries, in order."""
    return _cifar.archive_sources("cifar10.npz", ARCHIVE, MIRROR_PATH, MIRRORS, _decode)


def load_report() -> tuple[dict[str, np.ndarray], LoadReport]:
    """Load the verified arrays and say which source provided them."""
    return _sources.load(spec(), sources())


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-10: 50,000 training and 10,000 test 32x32 colour images, 10 classes.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 of shape
        ``(N, 32, 32, 3)`` (``(N, 3, 32, 32)`` when ``image_data_format()`` is
        ``'channels_first'``), ``y`` uint8 of shape ``(N, 1)`` with classes 0-9.

    Raises:
        DatasetError: No source worked; the message lists each one and how to put
            the archive in place by hand.

    Example:
        >>> (x_train, y_train), _ = cifar10.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.shape  # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1))
    """
    arrays, _ = load_report()
    return (
        (_cifar.to_data_format(arrays["x_train"]), arrays["y_train"]),
        (_cifar.to_data_format(arrays["x_test"]), arrays["y_test"]),
    )
