"""``save_model``/``load_model``/``save_weights``/``load_weights``: pick the format
from the file name, with Keras 3's extension rules and messages (KERAS_SPEC §6).

| call | accepted names |
|---|---|
| ``save_model`` | ``.keras`` (Keras v3 zip), ``.h5``/``.hdf5`` (legacy, with a warning) |
| ``load_model`` | ``.keras``, ``.h5``/``.hdf5`` |
| ``save_weights`` | ``.weights.h5`` |
| ``load_weights`` | ``.weights.h5``, ``.keras``, legacy ``.h5``/``.hdf5`` |

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    >>> folder = tempfile.mkdtemp()
    >>> save_model(model, os.path.join(folder, "m.keras"))
    >>> again = load_model(os.path.join(folder, "m.keras"))
    >>> x = np.ones((1, 3), dtype="float32")
    >>> bool(np.allclose(model.predict(x, verbose=0), again.predict(x, verbose=0)))
    True
    >>> save_model(model, os.path.join(folder, "m.pt"))
    Traceback (most recent call last):
    ...
    cnnkit.errors.InvalidArgumentError: Invalid filepath extension for saving. ...
"""

from __future__ import annotations

import io
import json
import os
import warnings
from typing import Any

from cnnkit.errors import FileFormatError, InvalidArgumentError, NotBuiltError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving import keras_zip, legacy_h5
from cnnkit.saving._files import (
    check_overwrite,
    expect_kind,
    h5_bytes,
    path_string,
    write_bytes,
)
from cnnkit.saving.layer_config import serialize_layer
from cnnkit.saving.weights_h5 import load_state, open_h5, write_state

__all__ = [
    "load_model",
    "load_weights",
    "model_from_json",
    "model_to_json",
    "save_model",
    "save_weights",
]

_LEGACY = (".h5", ".hdf5")


def save_model(
    model: Layer, filepath: Any, overwrite: bool = True, **kwargs: Any
) -> None:
    """Save the whole model: architecture, weights and optimizer state.

    Args:
        model: A built cnnkit model.
        filepath: Ends in ``.keras`` (recommended) or ``.h5``/``.hdf5`` (legacy).
        overwrite: If False, refuse to replace an existing file.
        **kwargs: ``include_optimizer`` (legacy ``.h5`` only), ``zipped`` (only
            True is supported) and the deprecated ``save_format``.

    Raises:
        InvalidArgumentError: For another extension, an unknown argument, or an
            existing file with ``overwrite=False``.
    """
    path = path_string(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    zipped = kwargs.pop("zipped", None)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise InvalidArgumentError(
            f"The following argument(s) are not supported: {list(kwargs)}"
        )
    if save_format:
        if not path.endswith((".keras", *_LEGACY)):
            raise InvalidArgumentError(
                "The `save_format` argument is deprecated in Keras 3. Please remove "
                "this argument and pass a file path with either `.keras` or `.h5` "
                f"extension. Received: save_format={save_format}"
            )
        warnings.warn(
            "The `save_format` argument is deprecated in Keras 3: the format is "
            f"inferred from the file path. Received: save_format={save_format}",
            DeprecationWarning,
            stacklevel=3,
        )
    if zipped is False:
        raise InvalidArgumentError(
            "zipped=False (an unzipped model directory) is not supported; save to a "
            "`.keras` file."
        )
    if not model.built:
        warnings.warn(
            "You are saving a model that has not yet been built. It might not "
            "contain any weights yet. Consider building the model first by calling "
            "it on some data.",
            UserWarning,
            stacklevel=3,
        )
    if path.endswith(".keras"):
        check_overwrite(path, overwrite)
        keras_zip.save_keras(model, path)
    elif path.endswith(_LEGACY):
        warnings.warn(
            "You are saving your model as an HDF5 file via `model.save()`. This file "
            "format is considered legacy. We recommend using instead the native "
            "Keras format, e.g. `model.save('my_model.keras')`.",
            UserWarning,
            stacklevel=3,
        )
        check_overwrite(path, overwrite)
        legacy_h5.save_legacy_h5(model, path, include_optimizer)
    else:
        raise InvalidArgumentError(
            "Invalid filepath extension for saving. Please add either a `.keras` "
            "extension for the native Keras format (recommended) or a `.h5` "
            "extension. Use `model.export(filepath, format='onnx')` to export for "
            f"inference in other tools. Received: filepath={path}."
        )


def load_model(
    filepath: Any,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Load a model saved with ``model.save`` (by cnnkit or by Keras).

    Args:
        filepath: A ``.keras`` or legacy ``.h5``/``.hdf5`` file.
        custom_objects: Classes or functions the file names, by name (for
            custom layers not registered with ``register_keras_serializable``).
        compile: Re-compile with the saved optimizer (and its state), loss and
            metrics, if the model was compiled.
        safe_mode: Accepted for Keras compatibility. cnnkit never runs code stored
            in a file, so Lambda layers are refused whatever its value.

    Raises:
        FileFormatError: If the file is not a valid, safe model file.
        InvalidArgumentError: For another extension.
    """
    path = path_string(filepath)
    if not isinstance(safe_mode, bool):
        raise InvalidArgumentError(
            f"`safe_mode` must be a bool; received {safe_mode!r}."
        )
    if path.endswith(".weights.h5"):
        raise FileFormatError(
            f"{path!r} is a weights-only file. Build the model in code, then call "
            "`model.load_weights(path)`."
        )
    if path.endswith(".keras"):
        return keras_zip.load_keras(path, custom_objects, compile)
    if path.endswith(_LEGACY):
        return legacy_h5.load_legacy_h5(path, custom_objects, compile)
    if os.path.isdir(path):
        expect_kind(path, "zip", "a Keras `.keras` model")  # raises: directories
    raise InvalidArgumentError(
        f"File format not supported: filepath={path}. cnnkit (like Keras 3) loads "
        "`.keras` files and legacy HDF5 files (`.h5` extension); TensorFlow "
        "SavedModel directories are not supported."
    )


def save_weights(
    model: Layer, filepath: Any, overwrite: bool = True, **kwargs: Any
) -> None:
    """Save the weights (and optimizer state) in the Keras ``.weights.h5`` layout.

    Raises:
        InvalidArgumentError: If the name does not end in ``.weights.h5``, for an
            unknown argument, or an existing file with ``overwrite=False``.
        NotBuiltError: If the model has no weights yet.
        SaveError: If the file cannot be written (disk full, size limit, no
            permission); the previous file is left unchanged.
    """
    path = path_string(filepath)
    if kwargs.pop("max_shard_size", None) is not None:
        raise InvalidArgumentError(
            "Sharded weights (`max_shard_size`) are not supported; save one "
            "`.weights.h5` file."
        )
    if kwargs:
        raise InvalidArgumentError(f"Invalid keyword arguments: {kwargs}")
    if not path.endswith(".weights.h5"):
        raise InvalidArgumentError(
            f"The filename must end in `.weights.h5`. Received: filepath={path}"
        )
    _require_built(model, "saving")
    check_overwrite(path, overwrite)
    # Built in memory first: HDF5 writing to a full disk segfaults (see _files).
    write_bytes(path, h5_bytes(lambda h5: write_state(h5, model)))


def _require_built(model: Layer, doing: str) -> None:
    if not model.built:
        raise NotBuiltError(
            f"You are {doing} weights of a model that has not yet been built. Build "
            "it first by calling it on some data or with `model.build(input_shape)`."
        )


def load_weights(
    model: Layer, filepath: Any, skip_mismatch: bool = False, **kwargs: Any
) -> None:
    """Load weights from a ``.weights.h5``, ``.keras`` or legacy ``.h5`` file.

    Args:
        model: A built model with the same architecture as the saved one.
        filepath: The file.
        skip_mismatch: Warn about, and skip, layers whose weights do not fit.
        **kwargs: ``by_name=True`` (legacy ``.h5`` only) matches layers by name.

    Raises:
        InvalidArgumentError: For an unknown argument, ``by_name`` with a non-legacy
            file, or an unsupported extension.
        NotBuiltError: If the model is not built.
        FileFormatError: If the file is invalid or its weights do not fit.
    """
    path = path_string(filepath)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise InvalidArgumentError(f"Invalid keyword arguments: {kwargs}")
    legacy = path.endswith(_LEGACY) and not path.endswith(".weights.h5")
    if by_name is not None and not legacy:
        raise InvalidArgumentError(
            "`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
            f"Received: {path}"
        )
    if not (legacy or path.endswith((".weights.h5", ".keras"))):
        raise InvalidArgumentError(
            f"File format not supported: filepath={path}. Weights load from "
            "`.weights.h5`, `.keras` and legacy `.h5` files."
        )
    _require_built(model, "loading")
    if path.endswith(".keras"):
        _load_weights_from_keras(model, path, skip_mismatch)
        return
    expect_kind(path, "hdf5", "a Keras weights file (HDF5)")
    with open_h5(path, path) as h5:
        try:
            if legacy and not legacy_h5.is_v3_weights(h5):
                group = legacy_h5.legacy_weights_group(h5, path)
                legacy_h5.load_legacy_weights(
                    group, model, path, skip_mismatch, bool(by_name)
                )
            else:
                load_state(h5, model, path, skip_mismatch)
        except OSError as error:
            raise FileFormatError(f"{path!r} is corrupted: {error}") from error


def _load_weights_from_keras(model: Layer, path: str, skip_mismatch: bool) -> None:
    with keras_zip.open_keras_zip(path) as archive:
        if keras_zip.WEIGHTS not in archive.namelist():
            raise FileFormatError(f"{path!r} has no {keras_zip.WEIGHTS} member.")
        data = keras_zip.read_weights_member(archive, path, model)
    label = f"{path}:{keras_zip.WEIGHTS}"
    with open_h5(io.BytesIO(data), label) as h5:
        try:
            load_state(h5, model, label, skip_mismatch)
        except OSError as error:
            raise FileFormatError(f"{label!r} is corrupted: {error}") from error


def model_to_json(model: Layer, **kwargs: Any) -> str:
    """The model's ``config.json`` text; ``kwargs`` go to ``json.dumps``."""
    return json.dumps(serialize_layer(model), **kwargs)


def model_from_json(
    json_string: str, custom_objects: dict[str, Any] | None = None
) -> Any:
    """A new (uncompiled, freshly initialised) model from ``model_to_json`` text.

    Raises:
        FileFormatError: If the text is not a valid, safe model config.
    """
    config = keras_zip.parse_json(json_string, "<json string>", "the text")
    return keras_zip.rebuild_model(config, "<json string>", custom_objects)
