"""The Keras v3 weights layout (``model.weights.h5`` and ``.weights.h5`` files).

Keras walks a model as a tree of "saveables" and gives each one a group
``<path>/vars`` holding its own variables as datasets ``0``, ``1``, ... (KERAS_SPEC
§6.1). Paths are **not** layer names: the children of a model are listed under
``layers/`` by the snake_case of their *class*, made unique in ``model.layers``
order (``conv2d``, ``conv2d_1``), so two models built alike line up whatever their
layers were called. A nested model recurses (``layers/sequential/layers/conv2d``),
the model's own variables sit in ``/vars`` and the optimizer's in
``/optimizer/vars``. Reading goes through ``safe_group``/``safe_dataset``, which
refuse links to other files, virtual or external datasets and "shape bombs".

Example:
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((4,)), cnnkit.layers.Dense(2),
    ...                            cnnkit.layers.Dense(1, name="head")])
    >>> [path for path, _ in walk(model)]
    ['', 'layers/dense', 'layers/dense_1']
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np
import torch

from cnnkit.errors import (
    CnnkitError,
    FileFormatError,
    InvalidArgumentError,
    NotBuiltError,
)
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.base.weights import LayerWeights
from cnnkit.naming import to_snake_case
from cnnkit.optimizers.base import Optimizer
from cnnkit.saving import _limits, model_classes

__all__ = [
    "DatasetRefused",
    "dataset_cap",
    "expected_shapes",
    "load_state",
    "open_h5",
    "optimizer_values",
    "read_vars",
    "safe_dataset",
    "safe_group",
    "walk",
    "write_state",
]

# A dataset may declare a huge shape while storing almost nothing (a fill value
# or a gzip bomb): past this size, what it declares must be backed by bytes on disk.
_BOMB_FLOOR_BYTES = _limits.RATIO_FLOOR_BYTES
_MAX_EXPANSION = _limits.MAX_RATIO

Saveable = Layer | Optimizer


class DatasetRefused(FileFormatError):
    """A dataset refused from its header alone (shape or size), its data unread."""


def _name_key(name: str) -> str:
    # Keras sorts attribute names and visits private ones last.
    return f"~{name}" if name.startswith("_") else name


def _children(obj: Saveable, include_optimizer: bool) -> list[tuple[str, Any]]:
    """``(attribute, child or list of children)`` in the order Keras visits them."""
    if isinstance(obj, Optimizer):
        return []
    graph_model = model_classes.is_graph_model(obj)
    named: dict[str, Any] = {}
    for attr, module in obj._modules.items():
        if module is None or (graph_model and attr == "_layer_list"):
            continue
        if isinstance(module, Layer):
            named[attr] = module
        elif isinstance(module, torch.nn.ModuleDict):
            named[attr] = [m for m in module.values() if isinstance(m, Layer)]
        else:  # ModuleList and other plain containers
            named[attr] = [m for m in module.children() if isinstance(m, Layer)]
    if model_classes.is_model(obj):
        if not graph_model:
            named["layers"] = obj.layers  # Keras sees the `layers` property too
        optimizer = getattr(obj, "optimizer", None)
        if include_optimizer and isinstance(optimizer, Optimizer):
            named["optimizer"] = optimizer
    ordered = sorted(named.items(), key=lambda item: _name_key(item[0]))
    return ([("layers", obj.layers)] if graph_model else []) + ordered


def walk(root: Saveable, include_optimizer: bool = True) -> list[tuple[str, Saveable]]:
    """Every saveable under ``root`` with its path (``""`` for the root), once."""
    visited: set[int] = set()
    found: list[tuple[str, Saveable]] = []

    def join(path: str, name: str) -> str:
        return f"{path}/{name}" if path else name

    def visit(obj: Saveable, path: str) -> None:
        if id(obj) in visited:
            return
        visited.add(id(obj))
        found.append((path, obj))
        for attr, child in _children(obj, include_optimizer):
            if isinstance(child, list):
                used: dict[str, int] = {}
                for item in child:
                    # The counter moves even for items already visited, as in Keras.
                    base = to_snake_case(type(item).__name__)
                    used[base] = used.get(base, -1) + 1
                    key = base if used[base] == 0 else f"{base}_{used[base]}"
                    visit(item, join(join(path, attr), key))
            else:
                visit(child, join(path, attr))

    visit(root, "")
    return found


# ------------------------------------------------------------------ writing


def optimizer_values(optimizer: Optimizer) -> list[np.ndarray]:
    """The optimizer's variables as Keras saves them (the step first, as int32)."""
    values = [v.detach().cpu().numpy() for v in optimizer.variables]
    if values and abs(int(values[0])) < 2**31:
        values[0] = values[0].astype(np.int32)
    return values


def _store_of(obj: Saveable) -> dict[str, np.ndarray]:
    """What ``obj`` saves: a layer through its own ``save_own_variables`` (which a
    custom layer may override), the optimizer its variables."""
    if isinstance(obj, Optimizer):
        return {str(i): value for i, value in enumerate(optimizer_values(obj))}
    store: dict[str, np.ndarray] = {}
    obj.save_own_variables(store)
    return store


def write_state(
    h5: h5py.File | h5py.Group, root: Saveable, include_optimizer: bool = True
) -> None:
    """Write every saveable's variables under ``h5`` in the Keras v3 layout."""
    for path, obj in walk(root, include_optimizer):
        group = h5.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        for key, value in _store_of(obj).items():
            group.create_dataset(key, data=np.asarray(value))


# ------------------------------------------------------------------ safe reading


def safe_group(parent: h5py.Group, path: str, filename: str) -> h5py.Group:
    """The group at ``path``, refusing links (they can point into other files).

    Raises:
        FileFormatError: For a link, or if something other than a group is there.
    """
    current = parent
    for part in path.split("/"):
        if not part or part not in current:
            raise FileFormatError(f"{filename!r}: the HDF5 group {path!r} is missing.")
        link = current.get(part, getclass=True, getlink=True)
        if link in (h5py.SoftLink, h5py.ExternalLink):
            raise FileFormatError(
                f"{filename!r}: {path!r} is an HDF5 {link.__name__}; weights files "
                "must not link elsewhere, so the file is refused."
            )
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise FileFormatError(
                f"{filename!r}: expected an HDF5 group at {path!r}, found "
                f"{type(current).__name__}."
            )
    return current


def safe_dataset(
    group: h5py.Group,
    name: str,
    filename: str,
    expected_shape: tuple[int, ...] | None = None,
    max_bytes: int = _limits.MAX_DATASET_BYTES,
) -> np.ndarray:
    """Read the numeric dataset ``name`` of ``group`` into memory, checked.

    Everything is checked from the dataset's header before a byte of its data is
    read: with ``expected_shape`` (the variable it is for) the declared shape must
    be that one; without, it may declare at most ``max_bytes``.

    Raises:
        FileFormatError: For a missing dataset, a link, an external or virtual
            dataset, a non-numeric
            dtype, a dataset declaring far more data than the file stores, another
            shape than ``expected_shape``, or more than ``max_bytes``.
    """
    where = f"{group.name}/{name}"
    link = group.get(name, getclass=True, getlink=True)
    if link is None:
        raise FileFormatError(
            f"{filename!r}: the dataset {where!r} is missing (the file's weight names "
            "list it); the file is damaged or was edited."
        )
    if link in (h5py.SoftLink, h5py.ExternalLink):
        raise FileFormatError(
            f"{filename!r}: {where!r} is an HDF5 {link.__name__}; refused."
        )
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        raise FileFormatError(f"{filename!r}: expected a dataset at {where!r}.")
    if dataset.external or dataset.is_virtual:
        raise FileFormatError(
            f"{filename!r}: {where!r} is an external or virtual dataset (its data "
            "lives in other files); refused."
        )
    if dataset.dtype.kind not in "biuf":
        raise FileFormatError(
            f"{filename!r}: {where!r} has dtype {dataset.dtype}, not a number type."
        )
    shape = tuple(int(n) for n in dataset.shape)
    declared = math.prod(shape) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * stored:
        raise FileFormatError(
            f"{filename!r}: {where!r} declares {declared} bytes but stores only "
            f"{stored}; refusing a possible decompression bomb."
        )
    if expected_shape is not None and shape != tuple(expected_shape):
        raise DatasetRefused(
            f"{filename!r}: dataset {where!r} declares shape {shape}, but the "
            f"variable it is for has shape {tuple(expected_shape)}; it was not read. "
            "Was the file saved from another model (or another input shape)?"
        )
    if expected_shape is None and declared > max_bytes:
        raise DatasetRefused(
            f"{filename!r}: dataset {where!r} declares {declared} bytes (shape "
            f"{shape}), more than the {max_bytes} a dataset with no matching "
            "variable may hold; it was not read."
        )
    value = np.asarray(dataset[()])
    if dataset.attrs.get("dtype") == "bfloat16" and value.dtype.itemsize == 2:
        # bfloat16 is the top half of a float32.
        value = (value.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return value


def read_vars(
    h5: h5py.File,
    path: str,
    filename: str,
    expected: dict[str, tuple[int, ...]] | None = None,
    max_bytes: int = _limits.MAX_DATASET_BYTES,
) -> dict[str, np.ndarray] | None:
    """The arrays at ``<path>/vars`` by dataset name (``"0"``, ``"1"``, ... for the
    built-in layers; a custom ``save_own_variables`` may choose others); ``None`` if
    there is no group. A name in ``expected`` must declare that shape; the others
    at most ``max_bytes`` (see ``safe_dataset``)."""
    full = f"{path}/vars" if path else "vars"
    if full not in h5:
        return None
    group = safe_group(h5, full, filename)
    shapes = expected or {}
    return {
        key: safe_dataset(group, key, filename, shapes.get(key), max_bytes)
        for key in group
    }


def expected_shapes(obj: Saveable) -> dict[str, tuple[int, ...]] | None:
    """The shape each dataset of ``obj``'s store must have, known only for a layer
    that loads through the built-in ``load_own_variables`` (a custom override may
    store anything under any name)."""
    if not isinstance(obj, Layer):
        return None
    if type(obj).load_own_variables is not LayerWeights.load_own_variables:
        return None
    return {
        str(index): tuple(variable.shape)
        for index, variable in enumerate(obj._variables_in_save_order())
    }


def dataset_cap(root: Layer) -> int:
    """The most bytes one dataset without a matching variable may declare: a
    model's optimizer slot or custom state is never bigger than all its weights
    (at 8 bytes each), nor than the fixed cap."""
    parameters = sum(math.prod(v.shape) for v in root.weights)
    return min(_limits.MAX_DATASET_BYTES, max(8 * parameters, 1 << 20))


def _indexed(store: dict[str, np.ndarray], where: str) -> list[np.ndarray]:
    """The arrays of a store named ``0`` .. ``n-1``, in that order.

    Raises:
        FileFormatError: If the names are anything else.
    """
    keys = [str(index) for index in range(len(store))]
    if sorted(store) != sorted(keys):
        raise FileFormatError(
            f"{where}: should hold datasets named 0..{len(store) - 1}; found "
            f"{sorted(store)}."
        )
    return [store[key] for key in keys]


# ------------------------------------------------------------------ loading


def _load_optimizer(
    optimizer: Optimizer, model: Layer, values: list[np.ndarray]
) -> None:
    if not optimizer.built and len(values) > len(optimizer.variables):
        trainable = model.trainable_weights
        optimizer.build([v.value for v in trainable], [v.path for v in trainable])
    if len(values) != len(optimizer.variables):
        warnings.warn(
            f"Skipping variable loading for optimizer '{optimizer.name}', because it "
            f"has {len(optimizer.variables)} variables whereas the saved optimizer "
            f"has {len(values)} variables.",
            UserWarning,
            stacklevel=4,
        )
        return
    optimizer.load_variables(values)


def load_state(
    h5: h5py.File,
    root: Layer,
    filename: str,
    skip_mismatch: bool = False,
) -> None:
    """Load every saveable under ``root`` from ``h5`` (the inverse of ``write_state``).

    All or nothing: every array is read (and checked) before any layer changes, each
    layer loads through its ``load_own_variables``, and if one fails the layers
    already loaded get their old values back before the error names every layer
    that could not be loaded. With ``skip_mismatch`` a warning names them instead
    and they keep their current values. The optimizer loads last, only once the
    layers have; if its state does not fit, the layers get their old values back.

    Raises:
        FileFormatError: If some layer's variables do not match the file.
    """
    walked = walk(root)
    cap = dataset_cap(root)
    stores: list[dict[str, np.ndarray] | None] = []
    # A layer whose datasets declare other shapes than its variables is not read
    # at all (a hostile file may declare gigabytes there); it fails like any
    # mismatch, so skip_mismatch still applies.
    unread: dict[int, str] = {}
    for path, obj in walked:
        expected = expected_shapes(obj)
        try:
            stores.append(read_vars(h5, path, filename, expected, cap))
        except DatasetRefused as error:
            if expected is None:
                raise
            unread[id(obj)] = str(error)
            stores.append(None)
    layers = [
        (obj, store)
        for (_, obj), store in zip(walked, stores)
        if isinstance(obj, Layer)
    ]
    before = [
        (variable, variable.numpy())
        for layer, _ in layers
        for variable in layer._variables
    ]
    failures: list[tuple[str, str]] = []
    try:
        for layer, store in layers:
            if id(layer) in unread:
                failures.append((layer.name, unread[id(layer)]))
                continue
            try:
                layer.load_own_variables(store or {})
            except FileFormatError as error:
                failures.append((layer.name, str(error)))
        if failures and not skip_mismatch:
            raise FileFormatError(
                _failure_message(filename, failures)
                + " Pass skip_mismatch=True to load the other layers anyway; no "
                "layer was changed."
            )
        # Inside the block: an optimizer state that does not fit (a slot of
        # another shape) puts the layers back too. load_variables checks every
        # value before it assigns one, so the optimizer itself is unchanged.
        for (path, obj), store in zip(walked, stores):
            # A file without optimizer state (saved before compile) is not an error.
            if isinstance(obj, Optimizer) and store is not None:
                where = f"{filename!r}: {path}/vars"
                try:
                    _load_optimizer(obj, root, _indexed(store, where))
                except (InvalidArgumentError, NotBuiltError) as error:
                    raise FileFormatError(
                        f"{where}: the optimizer state does not fit the model's "
                        f"optimizer: {error} No weight was changed; load with a "
                        "model compiled as the saved one was."
                    ) from error
    except BaseException:
        for variable, value in before:
            variable.assign(value)
        raise
    if failures:
        warnings.warn(
            _failure_message(filename, failures)
            + " They keep their current values (skip_mismatch=True).",
            UserWarning,
            stacklevel=4,
        )


def _failure_message(filename: str, failures: list[tuple[str, str]]) -> str:
    return (
        f"{filename!r}: {len(failures)} layer(s) could not be loaded: "
        f"{[name for name, _ in failures]}. First problem: {failures[0][1]}"
    )


# What h5py raises when a damaged file's structures cannot be decoded: a KeyError
# or RuntimeError opening an object, an OSError reading data, a ValueError or
# TypeError from an attribute of an unexpected type or shape.
_HDF5_READ_ERRORS = (OSError, KeyError, RuntimeError, ValueError, TypeError)


def _raised_by_h5py(error: BaseException) -> bool:
    """Whether ``error`` was raised inside h5py (its innermost frame is h5py's)."""
    trace = error.__traceback__
    if trace is None:
        return False
    while trace.tb_next is not None:
        trace = trace.tb_next
    filename = trace.tb_frame.f_code.co_filename.replace("\\", "/")
    return "h5py/" in filename


@contextlib.contextmanager
def open_h5(source: Any, label: str) -> Iterator[h5py.File]:
    """Open an HDF5 file (a path or a file-like object) for reading, as a context.

    Inside the block, what h5py raises on a damaged file becomes the file's error.

    Raises:
        FileFormatError: If HDF5 cannot open it, or cannot decode what the block
            reads from it (truncated or corrupted).
    """
    try:
        h5 = h5py.File(source, "r")
    except OSError as error:
        raise FileFormatError(
            f"{label!r} is not a readable HDF5 file (truncated or corrupted?): {error}"
        ) from error
    with h5:
        try:
            yield h5
        except FileFormatError as error:
            if label in str(error):
                raise
            # Every file error names its file, even one raised deep in a reader.
            raise FileFormatError(f"{label!r}: {error}") from error
        except CnnkitError:
            raise
        except _HDF5_READ_ERRORS as error:
            if not _raised_by_h5py(error):
                raise  # a layer's own loader, say: not the file's fault
            raise FileFormatError(
                f"{label!r} is corrupted: reading it failed with "
                f"{type(error).__name__}: {error}. Save the model again, or use an "
                "intact copy of the file."
            ) from error
