"""What CIFAR-10 and CIFAR-100 share: the archive sources and the image layout.

Example:
    >>> import numpy as np
    >>> to_data_format(np.zeros((2, 32, 32, 3), np.uint8), "channels_first").shape
    (2, 3, 32, 32)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cnnkit.config import normalize_data_format
from cnnkit.datasets import _sources
from cnnkit.datasets._sources import Cache, Download, LocalFiles, Source

__all__ = ["archive_sources", "manual_hint", "to_data_format"]

Decoder = Callable[[list[Path]], dict[str, np.ndarray]]


def archive_sources(
    cache_name: str,
    archive: str,
    mirror_path: str,
    mirrors: Sequence[str],
    decode: Decoder,
) -> list[Source]:
    """Cache, the archive placed by hand in the cache folder, then the mirrors."""
    return [
        Cache(_sources.cache_dir() / cache_name),
        LocalFiles("placed by hand", [_sources.cache_dir() / archive], decode),
        *(
            Download(url, [archive], decode)
            for url in _sources.mirror_urls(mirror_path, mirrors)
        ),
    ]


def manual_hint(archive: str, mirrors: Sequence[str], size: str) -> str:
    url = mirrors[0] if mirrors else archive
    return (
        f"download {url} ({size}) on any machine and save it, unextracted, as "
        f"{_sources.cache_dir() / archive}."
    )


def to_data_format(images: np.ndarray, data_format: str | None = None) -> np.ndarray:
    """NHWC (how the cache stores images) to the layout of ``image_data_format()``."""
    if normalize_data_format(data_format) == "channels_first":
        return np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    return images
