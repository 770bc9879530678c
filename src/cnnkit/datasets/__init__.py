"""Datasets that load offline: the same numpy arrays as ``keras.datasets``.

Each dataset module (``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``) has a
Keras-compatible ``load_data()``. Behind it, several sources are tried in order and
the decoded arrays are checked against a sha256 before they are returned and cached in
``$CNNKIT_HOME/datasets`` (default ``~/.cnnkit/datasets``).

The small registry below is what the ``cnnkit`` command uses to list, fetch and
verify datasets.

Example:
    >>> import cnnkit.datasets as datasets
    >>> datasets.list_datasets()
    ['cifar10', 'cifar100', 'fashion_mnist', 'mnist']
    >>> handle = datasets.get("mnist")
    >>> handle.sources()[0].startswith("cache: ")
    True
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cnnkit.datasets import cifar10, cifar100, fashion_mnist, mnist
from cnnkit.datasets._sources import LoadReport, arrays_sha256
from cnnkit.errors import InvalidArgumentError

__all__ = [
    "DatasetHandle",
    "LoadReport",
    "arrays_sha256",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "get",
    "list_datasets",
    "mnist",
]

_MODULES: dict[str, ModuleType] = {
    "cifar10": cifar10,
    "cifar100": cifar100,
    "fashion_mnist": fashion_mnist,
    "mnist": mnist,
}


@dataclass(frozen=True)
class DatasetHandle:
    """One registered dataset, as the CLI sees it.

    Attributes:
        name: Registry name, also the module name in ``cnnkit.datasets``.
        title: Human-readable name.

    Example:
        >>> get("fashion_mnist").class_names[:2]
        ('T-shirt/top', 'Trouser')
    """

    name: str
    title: str

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """The names of labels 0, 1, ..., or ``None`` when the dataset has none."""
        names = getattr(self._module, "CLASS_NAMES", None)
        return None if names is None else tuple(names)

    @property
    def _module(self) -> ModuleType:
        return _MODULES[self.name]

    def load_data(self, *args: Any, **kwargs: Any) -> Any:
        """Same as ``cnnkit.datasets.<name>.load_data(...)``."""
        return self._module.load_data(*args, **kwargs)

    def sources(self) -> list[str]:
        """One line per source, in the order they are tried (no I/O)."""
        return [source.describe() for source in self._module.sources()]

    def verify(self) -> LoadReport:
        """Load through the sources; report the one that worked and the digest.

        Raises:
            DatasetError: No source worked.
        """
        _, report = self._module.load_report()
        return report

    def fetch(self) -> Path:
        """Make sure the verified arrays are in the cache; return the cache file."""
        return self.verify().cache_path


def list_datasets() -> list[str]:
    """Names of the datasets ``get`` knows, sorted."""
    return sorted(_MODULES)


def get(name: str) -> DatasetHandle:
    """Return the handle of dataset ``name`` (``"mnist"``, ``"cifar10"``, ...).

    Raises:
        InvalidArgumentError: ``name`` is not a registered dataset.
    """
    key = name.lower().replace("-", "_") if isinstance(name, str) else None
    if key not in _MODULES:
        close = difflib.get_close_matches(key or "", list_datasets(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidArgumentError(
            f"Unknown dataset name={name!r}.{hint} Available datasets: "
            f"{list_datasets()}."
        )
    return DatasetHandle(name=key, title=_MODULES[key].spec().title)
