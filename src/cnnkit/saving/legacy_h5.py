"""Legacy HDF5 models and weights (``model.save("x.h5")``, tf.keras 2 files).

Layout (KERAS_SPEC §6.2): file attributes ``model_config`` and ``training_config``
(JSON), ``/model_weights`` with ``layer_names``, one group per layer name holding
``weight_names`` and the datasets ``<layer>/<weight path>``, and
``/optimizer_weights``. Weights are matched **by order**: the layers that have
weights, in ``model.layers`` order, each taking its trainable then non-trainable
weights; so tf.keras 2 names (``conv2d/kernel:0``, ``depthwise_kernel``) need no
translation. ``by_name=True`` matches layers by name instead.

Example:
    >>> import os, tempfile
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.h5")
    >>> save_legacy_h5(model, path)
    >>> load_legacy_h5(path).layers[0].get_weights()[0].shape
    (3, 2)
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import h5py
import numpy as np

from cnnkit.errors import FileFormatError, InvalidArgumentError, NotBuiltError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving._config_checks import check_depth
from cnnkit.saving._files import expect_kind, h5_bytes, write_bytes
from cnnkit.saving._limits import MAX_DATASET_BYTES
from cnnkit.saving.compile_config import (
    get_compile_config,
    training_config_to_compile_config,
)
from cnnkit.saving.keras_zip import KERAS_VERSION, compile_loaded, rebuild_model
from cnnkit.saving.legacy_config import legacy_model_config, upgrade_model_config
from cnnkit.saving.saved_model import SavedModel, as_saved_model
from cnnkit.saving.weights_h5 import (
    dataset_cap,
    open_h5,
    optimizer_values,
    safe_dataset,
    safe_group,
)

__all__ = ["load_legacy_h5", "load_legacy_weights", "save_legacy_h5"]

# HDF5 object headers hold at most 64 KiB: longer name lists are split in chunks.
_HEADER_LIMIT = 64512


def _legacy_weights(layer: Any) -> list[Any]:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _write_names(group: h5py.Group, name: str, values: list[bytes]) -> None:
    if not values:
        group.attrs[name] = np.asarray([])  # what Keras writes for "no weights"
        return
    array = np.asarray(values)
    chunks = 1
    while any(part.nbytes > _HEADER_LIMIT for part in np.array_split(array, chunks)):
        chunks += 1
    if chunks == 1:
        group.attrs[name] = values
    else:
        for index, part in enumerate(np.array_split(array, chunks)):
            group.attrs[f"{name}{index}"] = part


def _read_names(group: h5py.Group, name: str) -> list[str]:
    """The names listed in ``group``'s attribute ``name`` (or its chunks)."""
    if name in group.attrs:
        parts = [group.attrs[name]]
    else:
        parts, index = [], 0
        while f"{name}{index}" in group.attrs:
            parts.append(group.attrs[f"{name}{index}"])
            index += 1
    raw: list[Any] = []
    for part in parts:
        if not isinstance(part, np.ndarray) or part.ndim != 1:
            raise FileFormatError(
                f"the {name!r} attribute of the HDF5 group {group.name!r} is "
                f"{type(part).__name__}, not a list of names: the file is damaged."
            )
        raw.extend(part)
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in raw]


def _write_datasets(group: h5py.Group, names: list[str], values: list[Any]) -> None:
    _write_names(group, "weight_names", [n.encode("utf-8") for n in names])
    for name, value in zip(names, values):
        group.create_dataset(name, data=value)


def save_legacy_h5(model: Layer, path: str, include_optimizer: bool = True) -> None:
    """Write ``model`` as a legacy Keras HDF5 file (atomically).

    Raises:
        SaveError: If the file cannot be written; the previous file is intact.
    """
    view = as_saved_model(model, "save")
    compile_config = get_compile_config(model)

    def fill(h5: h5py.File) -> None:
        h5.attrs["backend"] = "torch"
        h5.attrs["keras_version"] = KERAS_VERSION
        h5.attrs["model_config"] = json.dumps(legacy_model_config(model)).encode()
        if include_optimizer and compile_config:
            training = {k: v for k, v in compile_config.items() if k != "optimizer"}
            optimizer = compile_config["optimizer"]
            training["optimizer_config"] = {
                "class_name": optimizer["class_name"],
                "config": optimizer["config"],
            }
            h5.attrs["training_config"] = json.dumps(training).encode()
        weights = h5.create_group("model_weights")
        _write_names(
            weights, "layer_names", [layer.name.encode() for layer in view.layers]
        )
        weights.attrs["backend"] = b"torch"
        weights.attrs["keras_version"] = KERAS_VERSION.encode()
        for layer in sorted(view.layers, key=lambda layer: layer.name):
            variables = _legacy_weights(layer)
            _write_datasets(
                weights.create_group(layer.name),
                [f"{layer.name}/{v.name}" for v in variables],  # tf.keras' names
                [v.numpy() for v in variables],
            )
        _write_datasets(weights.create_group("top_level_model_weights"), [], [])
        optimizer = view.optimizer
        if include_optimizer and compile_config and optimizer is not None:
            _write_datasets(
                h5.create_group("optimizer_weights"),
                [f"{optimizer.name}/{n}" for n in optimizer.variable_names],
                optimizer_values(optimizer),
            )

    # In memory first: HDF5 writing to a full disk segfaults (see _files.h5_bytes).
    write_bytes(path, h5_bytes(fill))


# ------------------------------------------------------------------ reading


def _dataset_at(
    group: h5py.Group, name: str, filename: str, max_bytes: int
) -> np.ndarray:
    parent, _, leaf = name.rpartition("/")
    return safe_dataset(
        safe_group(group, parent, filename) if parent else group,
        leaf,
        filename,
        max_bytes=max_bytes,
    )


def _group_values(
    group: h5py.Group, filename: str, max_bytes: int = MAX_DATASET_BYTES
) -> list[np.ndarray]:
    """The datasets ``weight_names`` lists, each refused unread past ``max_bytes``
    (no legacy weight is bigger than its whole model)."""
    return [
        _dataset_at(group, n, filename, max_bytes)
        for n in _read_names(group, "weight_names")
    ]


def _checked(
    variables: list[Any], values: list[np.ndarray], where: str, skip_mismatch: bool
) -> list[tuple[Any, np.ndarray]]:
    """The ``(variable, value)`` pairs to assign for one layer, all checked.

    Raises:
        FileFormatError: On a count or shape mismatch (unless ``skip_mismatch``,
            which warns and leaves that weight out).
    """
    if len(values) != len(variables):
        raise FileFormatError(
            f"Weight count mismatch for {where}: the layer expects "
            f"{len(variables)} weight(s), the file holds {len(values)}."
        )
    pairs = []
    for variable, value in zip(variables, values):
        if tuple(value.shape) != variable.shape:
            message = (
                f"Shape mismatch in {where} for weight {variable.path}: the weight "
                f"expects shape {variable.shape}, the file holds {tuple(value.shape)}."
            )
            if skip_mismatch:
                warnings.warn(message + " Skipped.", UserWarning, stacklevel=4)
                continue
            raise FileFormatError(message)
        pairs.append((variable, value))
    return pairs


def load_legacy_weights(
    group: h5py.Group,
    model: Layer,
    filename: str,
    skip_mismatch: bool = False,
    by_name: bool = False,
) -> None:
    """Fill ``model`` from a legacy ``model_weights`` group (by order or by name).

    All or nothing: every layer's values are read and checked before any weight
    changes, so a file that does not fit leaves the model as it was.

    Raises:
        FileFormatError: If the layers or weights do not match the file.
    """
    saved = _read_names(group, "layer_names")
    model_layers = as_saved_model(model, "load weights into").layers
    cap = dataset_cap(model)
    pairs: list[tuple[Any, np.ndarray]] = []
    if by_name:
        wanted = {layer.name: layer for layer in model_layers}
        for name in saved:
            if name in wanted:
                values = _group_values(safe_group(group, name, filename), filename, cap)
                try:
                    pairs += _checked(_legacy_weights(wanted[name]), values,
                                      f"layer {name!r}", skip_mismatch)  # fmt: skip
                except FileFormatError as error:
                    if not skip_mismatch:
                        raise
                    warnings.warn(f"{error} Skipped.", UserWarning, stacklevel=2)
    else:
        layers = [layer for layer in model_layers if _legacy_weights(layer)]
        with_weights = [
            name for name in saved
            if _read_names(safe_group(group, name, filename), "weight_names")
        ]  # fmt: skip
        if len(with_weights) != len(layers):
            raise FileFormatError(
                f"{filename!r}: layer count mismatch. The model has {len(layers)} "
                f"layers with weights ({[layer.name for layer in layers]}); the file "
                f"has {len(with_weights)} ({with_weights})."
            )
        for index, (name, layer) in enumerate(zip(with_weights, layers)):
            values = _group_values(safe_group(group, name, filename), filename, cap)
            where = (
                f"layer #{index} (named {layer.name!r} in the model, {name!r} in the "
                "file)"
            )
            pairs += _checked(_legacy_weights(layer), values, where, skip_mismatch)
    for variable, value in pairs:
        variable.assign(value)


def _json_attr(h5: h5py.File, key: str, path: str) -> Any:
    raw = h5.attrs.get(key)
    if raw is None:
        return None
    if isinstance(raw, bytes | np.bytes_):
        raw = raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(str(raw))
    except json.JSONDecodeError as error:
        raise FileFormatError(
            f"{path!r}: the {key} attribute is not JSON: {error}"
        ) from error
    except RecursionError as error:
        raise FileFormatError(
            f"{path!r}: the {key} attribute nests too deeply to parse."
        ) from error
    # The same depth bound as a `.keras` file's config.json.
    check_depth(parsed, path, f"the {key} attribute")
    return parsed


def _load_optimizer_weights(h5: h5py.File, model: SavedModel, path: str) -> None:
    group = safe_group(h5, "optimizer_weights", path)
    values = _group_values(group, path)
    optimizer = model.optimizer
    if not optimizer.built and len(values) > len(optimizer.variables):
        trainable = model.trainable_weights
        optimizer.build([v.value for v in trainable], [v.path for v in trainable])
    if len(values) != len(optimizer.variables):
        warnings.warn(
            f"{path!r}: the saved optimizer state has {len(values)} variables but "
            f"{type(optimizer).__name__} has {len(optimizer.variables)} (files from "
            "tf.keras 2 order them differently); the optimizer starts fresh.",
            UserWarning,
            stacklevel=3,
        )
        return
    try:
        optimizer.load_variables(values)
    except (InvalidArgumentError, NotBuiltError) as error:
        raise FileFormatError(
            f"{path!r}: the saved optimizer state does not fit "
            f"{type(optimizer).__name__}: {error} Load with compile=False to skip it."
        ) from error


def _compile_config(training: Any, path: str) -> dict[str, Any]:
    """The ``training_config`` attribute as a compile config, or the file's error."""
    if not isinstance(training, dict):
        raise FileFormatError(
            f"{path!r}: the training_config attribute is {type(training).__name__}, "
            "not a JSON object. Load with compile=False and call "
            "`model.compile(...)` yourself."
        )
    optimizer = training.get("optimizer_config")
    inner = optimizer.get("config") if isinstance(optimizer, dict) else None
    if inner is not None and not isinstance(inner, dict):
        raise FileFormatError(
            f"{path!r}: in the training_config attribute, 'optimizer_config.config' "
            f"is {type(inner).__name__}, not a JSON object like "
            "{'learning_rate': 0.001}. Load with compile=False and call "
            "`model.compile(...)` yourself."
        )
    try:
        return training_config_to_compile_config(training)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise FileFormatError(
            f"{path!r}: the training_config attribute is malformed "
            f"({type(error).__name__}: {error}). Load with compile=False and call "
            "`model.compile(...)` yourself."
        ) from error


def load_legacy_h5(
    path: str,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
) -> Any:
    """Rebuild a model from a legacy ``.h5`` file (Keras 3 or tf.keras 2).

    Raises:
        FileFormatError: For a file that is not a legacy Keras model, or whose
            weights do not fit the model it describes.
    """
    expect_kind(path, "hdf5", "a Keras HDF5 model (`.h5`)")
    with open_h5(path, path) as h5:
        config = _json_attr(h5, "model_config", path)
        if config is None:
            raise FileFormatError(
                f"{path!r} holds no model config: it is a weights-only file. Build "
                "the model in code, then call `model.load_weights(path)`."
            )
        try:
            entry = upgrade_model_config(config)
        except FileFormatError as error:
            raise FileFormatError(f"{path!r}: {error}") from error
        model = rebuild_model(entry, path, custom_objects)
        try:
            load_legacy_weights(safe_group(h5, "model_weights", path), model, path)
            training = _json_attr(h5, "training_config", path) if compile else None
            if training:
                compile_config = _compile_config(training, path)
                compile_loaded(model, compile_config, path, custom_objects)
                if "optimizer_weights" in h5:
                    _load_optimizer_weights(h5, model, path)
        except OSError as error:
            raise FileFormatError(f"{path!r} is corrupted: {error}") from error
    return model


def is_v3_weights(h5: h5py.File) -> bool:
    """Whether an HDF5 file uses the Keras v3 layout (``vars``/``layers`` groups)."""
    return (
        "layer_names" not in h5.attrs
        and "model_weights" not in h5
        and ("vars" in h5 or "layers" in h5)
    )


def legacy_weights_group(h5: h5py.File, path: str) -> h5py.Group:
    """The group holding ``layer_names``: the file itself or ``/model_weights``.

    Raises:
        FileFormatError: If the file has neither.
    """
    if "layer_names" in h5.attrs or any(k.startswith("layer_names") for k in h5.attrs):
        return h5
    if "model_weights" in h5:
        return safe_group(h5, "model_weights", path)
    raise FileFormatError(
        f"{path!r} is an HDF5 file but not a Keras weights file: it has no "
        f"'layer_names' attribute, no /model_weights group and no /layers group "
        f"(top-level keys: {sorted(h5.keys())[:10]})."
    )
