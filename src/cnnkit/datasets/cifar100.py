"""CIFAR-100 small colour images, the same arrays as ``keras.datasets.cifar100``.

Sources, in order: the cache, ``cifar-100-python.tar.gz`` put by hand in
``$CNNKIT_HOME/datasets/``, ``$CNNKIT_DATASET_MIRROR``, then ``MIRRORS``. The cache
holds both label sets, so switching ``label_mode`` needs no new download.

Example:
    >>> from cnnkit.datasets import cifar100
    >>> cifar100.LABEL_MODES
    ('fine', 'coarse')
"""

from __future__ import annotations

from functools import partial
from typing import Literal

import numpy as np

from cnnkit.datasets import _cifar, _sources
from cnnkit.datasets._formats import decode_cifar_archive
from cnnkit.datasets._sources import DatasetSpec, LoadReport, Source
from cnnkit.errors import InvalidArgumentError

__all__ = ["load_data"]

LABEL_MODES = ("fine", "coarse")
KEYS = (
    "x_train",
    "y_train_fine",
    "y_train_coarse",
    "x_test",
    "y_test_fine",
    "y_test_coarse",
)
ARRAYS_SHA256: str | None = None
CANONICAL_SHA256 = frozenset(
    {"85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"}
)
ARCHIVE = "cifar-100-python.tar.gz"
MIRRORS: list[str] = ["https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"]
MIRROR_PATH = "cifar100/" + ARCHIVE
_MEMBERS = {"train": ["cifar-100-python/train"], "test": ["cifar-100-python/test"]}
_decode = partial(
    decode_cifar_archive,
    members=_MEMBERS,
    label_keys={"_fine": "fine_labels", "_coarse": "coarse_labels"},
)


def spec() -> DatasetSpec:
    """The dataset description (digest, cache file, how to fix a failed load)."""
    return DatasetSpec(
        name="cifar100",
        title="CIFAR-100",
        keys=KEYS,
        arrays_sha256=ARRAYS_SHA256,
        canonical_sha256=CANONICAL_SHA256,
        mirror_path=MIRROR_PATH,
        cache_name="cifar100.npz",
        manual_hint=_cifar.manual_hint(ARCHIVE, MIRRORS, "161 MB"),
    )


def sources() -> list[Source]:
    """Every source ``load_data()`` tries, in order."""
    return _cifar.archive_sources(
        "cifar100.npz", ARCHIVE, MIRROR_PATH, MIRRORS, _decode
    )


def load_report() -> tuple[dict[str, np.ndarray], LoadReport]:
    """Load the verified arrays and say which source provided them."""
    return _sources.load(spec(), sources())


def load_data(
    label_mode: Literal["fine", "coarse"] = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-100: 50,000 training and 10,000 test 32x32 colour images.

    Args:
        label_mode: ``"fine"`` for the 100 classes, ``"coarse"`` for the 20
            superclasses.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 of shape
        ``(N, 32, 32, 3)`` (``(N, 3, 32, 32)`` when ``image_data_format()`` is
        ``'channels_first'``), ``y`` of shape ``(N, 1)``. Like Keras (whose code
        reshapes the pickled list of labels), ``y`` is int64 here, not uint8.

    Raises:
        InvalidArgumentError: ``label_mode`` is neither ``"fine"`` nor ``"coarse"``.
        DatasetError: No source worked; the message lists each one and how to put
            the archive in place by hand.

    Example:
        >>> (x_train, y_train), _ = cifar100.load_data("coarse")  # doctest: +SKIP
        >>> int(y_train.max())  # doctest: +SKIP
        19
    """
    if label_mode not in LABEL_MODES:
        raise InvalidArgumentError(
            f"`label_mode` must be one of {list(LABEL_MODES)}; received "
            f"label_mode={label_mode!r}. Use 'fine' for the 100 classes or "
            "'coarse' for the 20 superclasses."
        )
    arrays, _ = load_report()
    return (
        (
            _cifar.to_data_format(arrays["x_train"]),
            arrays[f"y_train_{label_mode}"].astype(np.int64),
        ),
        (
            _cifar.to_data_format(arrays["x_test"]),
            arrays[f"y_test_{label_mode}"].astype(np.int64),
        ),
    )
