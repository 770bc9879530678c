"""The import hook: ``keras.*`` / ``tensorflow.keras.*`` module names → cnnkit modules.

Example:
    >>> install()
    >>> import keras.layers
    >>> keras.layers.Conv2D.__module__.startswith("cnnkit.")
    True
    >>> uninstall()
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

# keras submodule (relative name) → cnnkit module. Subpackages of datasets map by name.
KERAS_MODULES = {
    "": "cnnkit.compat.keras_api",
    "layers": "cnnkit.layers",
    "layers.experimental": "cnnkit.layers",
    "layers.experimental.preprocessing": "cnnkit.layers",
    "models": "cnnkit.models",
    "datasets": "cnnkit.datasets",
    "utils": "cnnkit.utils",
    "utils.np_utils": "cnnkit.compat.np_utils",
    "optimizers": "cnnkit.optimizers",
    "optimizers.legacy": "cnnkit.optimizers",
    "optimizers.schedules": "cnnkit.optimizers.schedules",
    "losses": "cnnkit.losses",
    "metrics": "cnnkit.metrics",
    "callbacks": "cnnkit.callbacks",
    "activations": "cnnkit.activations",
    "initializers": "cnnkit.initializers",
    "regularizers": "cnnkit.regularizers",
    "constraints": "cnnkit.constraints",
    "backend": "cnnkit.backend",
    "config": "cnnkit.config",
    "saving": "cnnkit.saving",
    "mixed_precision": "cnnkit.mixed_precision",
    "preprocessing": "cnnkit.compat.preprocessing",
    "preprocessing.image": "cnnkit.compat.preprocessing",
}
KERAS_ROOTS = ("keras", "tensorflow.keras", "tensorflow.python.keras", "tf_keras")


def keras_target(fullname: str) -> str | None:
    """The cnnkit module behind a keras-like module name, or None if unsupported."""
    if fullname == "tensorflow":
        return "cnnkit.compat.tf_api"
    for root in sorted(KERAS_ROOTS, key=len, reverse=True):
        if fullname == root or fullname.startswith(root + "."):
            relative = fullname[len(root) + 1 :]
            if relative in KERAS_MODULES:
                return KERAS_MODULES[relative]
            if relative.startswith("datasets."):
                return "cnnkit." + relative
            return None
    return None


def _is_ours(fullname: str) -> bool:
    return fullname == "tensorflow" or any(
        fullname == root or fullname.startswith(root + ".") for root in KERAS_ROOTS
    )


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target module is already executed; nothing to run."""


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Answers for keras/tensorflow module names before the real packages are seen."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_ours(fullname):
            return None
        module = keras_target(fullname)
        if module is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} in cnnkit: cnnkit replaces the Keras CNN "
                "API (layers, models, datasets, utils, optimizers, losses, metrics, "
                f"callbacks); {fullname} is not part of it. "
                "Run `cnnkit run --check SCRIPT` to list what a script uses.",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(module), is_package=True
        )


_finder = KerasAliasFinder()


def install() -> None:
    """Route keras / tensorflow imports to cnnkit (idempotent)."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the hook and forget the aliased modules."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if _is_ours(name):
            del sys.modules[name]


def is_installed() -> bool:
    return _finder in sys.meta_path


def resolve_api(dotted: str) -> Any:
    """Resolve ``keras.layers.Conv2D`` / ``tensorflow.random.set_seed`` to the object
    cnnkit provides; raises ``AttributeError``/``ModuleNotFoundError`` if unsupported."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        target = keras_target(module_name)
        if target is None:
            continue
        obj: Any = importlib.import_module(target)
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(
        f"{dotted} is not a Keras or TensorFlow name cnnkit provides"
    )
