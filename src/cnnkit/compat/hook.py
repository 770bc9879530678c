"""The import hook: ``keras.*`` / ``tensorflow.keras.*`` module names → cnnkit modules.

While the hook is installed, every module name under ``keras``, ``tf_keras`` and
``tensorflow`` is answered here, before any installed Keras or TensorFlow is looked
at: a name cnnkit covers becomes an ``AliasModule`` that forwards attribute lookups
to the cnnkit module behind it; any other name fails with a message that says so.

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
import importlib.util
import sys
from types import ModuleType
from typing import Any

from cnnkit.compat.tf import eager

# keras submodule (relative name) → cnnkit module. keras.datasets.<name> maps to
# cnnkit.datasets.<name> when cnnkit has that dataset.
KERAS_MODULES = {
    "": "cnnkit.compat.keras_api",
    "layers": "cnnkit.layers",
    "layers.experimental": "cnnkit.layers",
    "layers.experimental.preprocessing": "cnnkit.layers",
    "models": "cnnkit.models",
    "datasets": "cnnkit.datasets",
    "utils": "cnnkit.compat.keras_utils",
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
    # keras.ops / keras.random (Keras 3's backend-neutral numerics).
    "ops": "cnnkit.ops",
    "ops.core": "cnnkit.ops.core",
    "ops.image": "cnnkit.ops.image",
    "ops.nn": "cnnkit.ops.nn",
    "ops.numpy": "cnnkit.ops.numpy",
    "random": "cnnkit.random",
    "applications": "cnnkit.applications",
    **{
        f"applications.{family}": f"cnnkit.applications.{family}"
        for family in (
            "efficientnet",
            "imagenet_utils",
            "mobilenet_v2",
            "resnet",
            "resnet50",
            "vgg16",
            "vgg19",
            "xception",
        )
    },
}
# Keras 2 tutorials import layers from their defining modules
# (``from keras.layers.convolutional import Conv2D``); cnnkit's layers are flat.
KERAS_MODULES.update(
    {
        f"layers.{old}": "cnnkit.layers"
        for old in (
            "core",
            "convolutional",
            "pooling",
            "normalization",
            "merge",
            "merging",
            "advanced_activations",
            "activation",
            "reshaping",
            "regularization",
        )
    }
)
KERAS_ROOTS = ("keras", "tensorflow.keras", "tensorflow.python.keras", "tf_keras")
TF_ROOT = "tensorflow"
TF_MODULE = "cnnkit.compat.tf_api"
# tensorflow submodule (relative name) → cnnkit module, for `import tensorflow.math`
# and `from tensorflow.data import Dataset`. tensorflow.python only has to exist as
# the parent of tensorflow.python.keras.
TF_MODULES = {
    "": TF_MODULE,
    "python": TF_MODULE,
    **{
        name: f"cnnkit.compat.tf.{name}"
        for name in ("data", "dtypes", "image", "io", "linalg", "math", "nn", "random")
    },
    "data.experimental": "cnnkit.compat.tf.data_experimental",
}
# What the tf stand-in covers, for the message about what it does not.
TF_SCOPE = (
    "cnnkit's TensorFlow stand-in covers tf.keras, the tensor functions (tf.math, "
    "tf.nn, tf.image, tf.random, tf.linalg, tf.io), tf.GradientTape and tf.data"
)

KERAS_SCOPE = (
    "cnnkit implements the Keras CNN API (layers, models, datasets, optimizers, "
    "losses, metrics, callbacks, utils, backend basics, and the applications "
    "ResNet, MobileNetV2, EfficientNet, VGG and Xception)"
)


def tf_unsupported_message(dotted: str) -> str:
    """The one-line message for a ``tf.X`` that cnnkit does not provide."""
    short = "tf" + dotted[len(TF_ROOT) :] if dotted.startswith(TF_ROOT) else dotted
    return (
        f"{short} is not available: {TF_SCOPE}, not {short}; rewrite it with those, "
        "numpy or torch, or run this script with TensorFlow."
    )


def keras_unsupported_message(dotted: str) -> str:
    """The one-line message for a Keras name that cnnkit does not provide."""
    return (
        f"{dotted} is not provided by cnnkit: {KERAS_SCOPE}. Run "
        "`cnnkit run --check SCRIPT` to list every Keras name a script uses."
    )


def is_tf_outside_keras(dotted: str) -> bool:
    """True for ``tensorflow`` and ``tensorflow.X`` names that are not ``tf.keras``."""
    return _keras_root(dotted) is None and _under(dotted, TF_ROOT)


def unsupported_message(dotted: str) -> str:
    """Whichever of the two messages fits ``dotted`` (keras.* or tensorflow.*)."""
    if is_tf_outside_keras(dotted):
        return tf_unsupported_message(dotted)
    return keras_unsupported_message(dotted)


def _under(fullname: str, root: str) -> bool:
    return fullname == root or fullname.startswith(root + ".")


# Longest first: "tensorflow.python.keras" must win over "tensorflow.keras"... and
# any of them over a bare "tensorflow" match.
_ROOTS_LONGEST_FIRST = tuple(sorted(KERAS_ROOTS, key=len, reverse=True))


def _keras_root(fullname: str) -> str | None:
    for root in _ROOTS_LONGEST_FIRST:
        if _under(fullname, root):
            return root
    return None


def _dataset_module(name: str) -> str | None:
    """``cnnkit.datasets.<name>`` if cnnkit has that dataset (``mnist``, ``cifar10``)."""
    if name.startswith("_"):  # cnnkit's own helpers are not Keras datasets
        return None
    module = f"cnnkit.datasets.{name}"
    return module if importlib.util.find_spec(module) is not None else None


def keras_target(fullname: str) -> str | None:
    """The cnnkit module behind a keras-like module name, or None if unsupported.

    Example:
        >>> keras_target("tensorflow.keras.layers"), keras_target("keras.src.ops")
        ('cnnkit.layers', None)
    """
    root = _keras_root(fullname)
    if root is None:
        if fullname == TF_ROOT:
            return TF_MODULE
        if fullname.startswith(TF_ROOT + "."):
            return TF_MODULES.get(fullname[len(TF_ROOT) + 1 :])
        return None
    relative = fullname[len(root) + 1 :]
    if relative in KERAS_MODULES:
        return KERAS_MODULES[relative]
    if relative.startswith("datasets.") and relative.count(".") == 1:
        return _dataset_module(relative.split(".")[1])
    return None


def handles(fullname: str) -> bool:
    """True for every module name the hook answers (found or refused)."""
    return _under(fullname, TF_ROOT) or _keras_root(fullname) is not None


def _public_names(module: ModuleType) -> list[str]:
    """What ``from keras.X import *`` gives: ``__all__``, else public non-modules."""
    explicit = getattr(module, "__all__", None)
    if explicit is not None:
        return list(explicit)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        # `from __future__ import annotations` leaves a name behind in every module.
        and type(value).__module__ != "__future__"
    ]


class AliasModule(ModuleType):
    """``keras.layers`` and friends: a module that forwards to a cnnkit module.

    A separate module object (rather than the cnnkit module itself) keeps the import
    system from rewriting the cnnkit module's ``__spec__`` and from planting
    ``experimental``-style attributes on it.
    """

    def __init__(self, name: str, target: ModuleType) -> None:
        super().__init__(name, target.__doc__)
        self.__dict__["__cnnkit_target__"] = target
        self.__dict__["__all__"] = _public_names(target)

    def __getattr__(self, attribute: str) -> Any:
        target: ModuleType = self.__dict__["__cnnkit_target__"]
        if attribute.startswith("__") and attribute.endswith("__"):
            return getattr(target, attribute)
        child = f"{self.__name__}.{attribute}"
        # A known submodule is reached through the hook, so attribute access
        # (``tf.keras.layers``) and ``import keras.layers`` give the same object.
        if keras_target(child) is not None and is_installed():
            return importlib.import_module(child)
        try:
            return getattr(target, attribute)
        except AttributeError:
            raise AttributeError(unsupported_message(child), name=attribute) from None

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(dir(self.__dict__["__cnnkit_target__"])))

    def __repr__(self) -> str:
        target = self.__dict__["__cnnkit_target__"]
        return f"<module {self.__name__!r} (cnnkit: {target.__name__!r})>"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        if spec.name == TF_ROOT:
            # A script that imports TensorFlow expects TF's eager `tensor.numpy()`.
            eager.enable()
        return AliasModule(spec.name, importlib.import_module(self.target))

    def exec_module(self, module: ModuleType) -> None:
        """The cnnkit module is already executed; an alias has nothing to run."""


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Answers for keras/tensorflow module names before the real packages are seen."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not handles(fullname):
            return None
        module = keras_target(fullname)
        if module is None:
            # Refusing here (rather than returning None) keeps an installed Keras or
            # TensorFlow from supplying the missing piece behind cnnkit's back.
            # No `name=`: for `from keras.layers import Nope` the import system
            # would swallow an error naming keras.layers.Nope and raise its own
            # "cannot import name" instead of this message.
            raise ModuleNotFoundError(unsupported_message(fullname))
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(module), is_package=True
        )


_finder = KerasAliasFinder()
# Real keras/tensorflow modules imported before ``install()``, restored by ``uninstall``.
_hidden: dict[str, ModuleType] = {}


def install() -> None:
    """Route keras / tensorflow imports to cnnkit (idempotent).

    A real Keras or TensorFlow already in ``sys.modules`` is set aside, otherwise
    ``import keras`` would keep returning it.
    """
    if _finder in sys.meta_path:
        return
    sys.meta_path.insert(0, _finder)
    for name, module in list(sys.modules.items()):
        if handles(name) and not isinstance(module, AliasModule):
            _hidden[name] = sys.modules.pop(name)


def uninstall() -> None:
    """Remove the hook, forget the aliases and bring back what ``install`` hid."""
    eager.disable()
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name, module in list(sys.modules.items()):
        if isinstance(module, AliasModule):
            del sys.modules[name]
    sys.modules.update(_hidden)
    _hidden.clear()


def is_installed() -> bool:
    return _finder in sys.meta_path


def resolve_api(dotted: str) -> Any:
    """The object cnnkit provides for ``keras.layers.Conv2D``, ``tensorflow.random``...

    Works without the hook: the longest module prefix is mapped to its cnnkit module
    and the rest are attributes of it.

    Raises:
        AttributeError: The module exists in cnnkit but not this attribute.
        ModuleNotFoundError: No keras/tensorflow module of that name is provided.
    """
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        target = keras_target(".".join(parts[:split]))
        if target is None:
            continue
        obj: Any = importlib.import_module(target)
        # ``split`` is the longest mapped prefix: everything after it is attributes.
        for depth in range(split, len(parts)):
            try:
                obj = getattr(obj, parts[depth])
            except AttributeError:
                missing = ".".join(parts[: depth + 1])
                # `name` carries the first missing piece for `--check`'s report.
                raise AttributeError(
                    unsupported_message(missing), name=missing
                ) from None
        return obj
    raise ModuleNotFoundError(unsupported_message(dotted), name=dotted)
