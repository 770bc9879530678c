"""The Keras v3 ``.keras`` file: a zip of ``metadata.json``, ``config.json`` and
``model.weights.h5`` (KERAS_SPEC §6.1), read with the archive treated as untrusted.

Writing follows Keras exactly: the three members in that order, uncompressed
(``ZIP_STORED``), the whole archive written to a temporary file and renamed into
place. Reading refuses anything a Keras file would not contain: absolute member
names or ``..`` traversal, unexpected members, encrypted members, members that
claim far more bytes than they store, and configs holding Python code.

Example:
    >>> import os, tempfile
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
    >>> save_keras(model, path)
    >>> import zipfile
    >>> [info.filename for info in zipfile.ZipFile(path).infolist()]
    ['metadata.json', 'config.json', 'model.weights.h5']
    >>> type(load_keras(path)).__name__
    'Sequential'
"""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import Any

import h5py

from cnnkit.errors import CnnkitError, FileFormatError, InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving import _limits, model_classes
from cnnkit.saving._config_checks import check_depth, check_model_config
from cnnkit.saving._files import atomic_write, expect_kind
from cnnkit.saving.compile_config import compile_from_config
from cnnkit.saving.layer_config import deserialize_layer, refuse_code, serialize_layer
from cnnkit.saving.training_record import KEY as RECORD_KEY
from cnnkit.saving.training_record import record_of, restore_record
from cnnkit.saving.weights_h5 import load_state, open_h5, walk, write_state

__all__ = [
    "KERAS_VERSION",
    "load_keras",
    "open_keras_zip",
    "parse_json",
    "read_member",
    "read_weights_member",
    "rebuild_model",
    "save_keras",
]

# The Keras release whose format cnnkit writes (and checks against in its tests).
KERAS_VERSION = "3.15.1"
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MAX_MEMBERS = 10_000
_MAX_JSON_BYTES = _limits.MAX_JSON_BYTES
# Without a model to size it by (``load_weights`` reads the member before it
# knows which layers match), the weights member may hold this much.
_MAX_MEMBER_BYTES = 16 << 30
# A stored member is about as big as its data; DEFLATE cannot exceed ~1032:1.
_BOMB_FLOOR_BYTES = _limits.RATIO_FLOOR_BYTES
_MAX_EXPANSION = _limits.MAX_RATIO
# Members are inflated this many bytes at a time (no second whole-size buffer).
_CHUNK_BYTES = 1 << 20


def save_keras(model: Layer, path: str) -> None:
    """Write ``model`` (config, weights, optimizer state) to the ``.keras`` ``path``.

    Raises:
        InvalidArgumentError: If the config holds something JSON cannot store
            (e.g. a learning rate given as a Python function).
    """
    try:
        config_json = json.dumps(serialize_layer(model))
    except TypeError as error:
        raise InvalidArgumentError(
            f"Cannot save {type(model).__name__} '{model.name}' to {path!r}: its "
            f"config is not JSON-serialisable ({error}). Replace Python callables "
            "(e.g. a learning-rate function) with registered, serialisable objects."
        ) from error
    metadata: dict[str, Any] = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    # The training history (and WatchLearning's snapshots) ride along under a key
    # of our own: Keras never reads metadata.json back, so the file still loads.
    record = record_of(model)
    if record is not None:
        metadata[RECORD_KEY] = record
    metadata_json = json.dumps(metadata, allow_nan=False)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        write_state(h5, model)
    with (
        atomic_write(path) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        archive.writestr(METADATA, metadata_json)
        archive.writestr(CONFIG, config_json)
        archive.writestr(WEIGHTS, weights.getvalue())


# ------------------------------------------------------------------ safe reading


def _check_member(info: zipfile.ZipInfo, path: str) -> None:
    name = info.filename
    parts = PurePosixPath(name).parts
    if (
        name.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", name)
        or "\\" in name
        or "\x00" in name
        or ".." in parts
    ):
        raise FileFormatError(
            f"{path!r}: unsafe member name {name!r} (an absolute path or '..' "
            "traversal). The archive is refused."
        )
    if name not in (CONFIG, METADATA, WEIGHTS) and not name.startswith("assets/"):
        raise FileFormatError(
            f"{path!r}: unexpected member {name!r}. A `.keras` archive holds only "
            f"{METADATA}, {CONFIG}, {WEIGHTS} and assets/."
        )
    if info.flag_bits & 0x1:
        raise FileFormatError(f"{path!r}: member {name!r} is encrypted.")
    limit = _MAX_JSON_BYTES if name.endswith(".json") else _MAX_MEMBER_BYTES
    if info.file_size > limit:
        raise FileFormatError(
            f"{path!r}: member {name!r} declares {info.file_size} bytes, more than "
            f"the {limit} allowed."
        )
    if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * max(
        info.compress_size, 1
    ):
        raise FileFormatError(
            f"{path!r}: member {name!r} declares {info.file_size} bytes but stores "
            f"{info.compress_size}; refusing a possible decompression bomb."
        )


def open_keras_zip(path: str) -> zipfile.ZipFile:
    """Open and validate a ``.keras`` archive (see the module doc for the checks).

    Raises:
        FileFormatError: If the file is not a zip, is truncated or corrupted, or
            has unsafe, unexpected or missing members.
    """
    expect_kind(path, "zip", "a Keras `.keras` model (a zip archive)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise FileFormatError(
            f"{path!r} is not a readable zip archive (truncated or corrupted?): {error}"
        ) from error
    infos = archive.infolist()
    try:
        if len(infos) > _MAX_MEMBERS:
            raise FileFormatError(f"{path!r}: {len(infos)} members is too many.")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise FileFormatError(f"{path!r}: the archive repeats member names.")
        for info in infos:
            _check_member(info, path)
        if CONFIG not in names:
            raise FileFormatError(
                f"{path!r} is a zip archive without {CONFIG}, so it is not a Keras "
                "model file."
            )
    except FileFormatError:
        archive.close()
        raise
    return archive


def read_member(
    archive: zipfile.ZipFile, name: str, path: str, limit: int | None = None
) -> bytes:
    """The bytes of member ``name``, CRC-checked, inflated a chunk at a time.

    A member declaring more than ``limit`` (by default the cap for its kind) is
    not read. One whose header lies (declaring fewer bytes than it inflates to)
    costs no more: ``zipfile`` stops at the declared size and the CRC then fails.

    Raises:
        FileFormatError: If the member is corrupted or the archive truncated, or
            declares more than allowed.
    """
    info = archive.getinfo(name)
    if limit is None:
        limit = _MAX_JSON_BYTES if name.endswith(".json") else _MAX_MEMBER_BYTES
    if info.file_size > limit:
        raise FileFormatError(
            f"{path!r}: member {name!r} declares {info.file_size} bytes, more than "
            f"the {limit} allowed for it; it was not read."
        )
    chunks: list[bytes] = []
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK_BYTES):
                chunks.append(chunk)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,  # "That compression method is not supported"
    ) as error:
        raise FileFormatError(
            f"{path!r}: member {name!r} is corrupted or truncated: {error}"
        ) from error
    return b"".join(chunks)


def read_weights_member(archive: zipfile.ZipFile, path: str, model: Layer) -> bytes:
    """The weights member, allowed only as many bytes as ``model``'s variables and
    optimizer slots could fill (``_limits.weights_budget``).

    Raises:
        FileFormatError: As ``read_member``.
    """
    parameters = sum(math.prod(v.shape) for v in model.weights)
    return read_member(archive, WEIGHTS, path, _limits.weights_budget(parameters))


def parse_json(data: bytes | str, path: str, what: str) -> Any:
    """JSON text → Python, with a clear error.

    Raises:
        FileFormatError: If ``data`` is not valid UTF-8 JSON, or nests deeper
            than ``MAX_JSON_DEPTH``.
    """
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileFormatError(f"{path!r}: {what} is not valid JSON: {error}") from error
    except RecursionError as error:
        # json's C parser gives up past Python's recursion limit.
        raise FileFormatError(
            f"{path!r}: {what} nests too deeply to parse (more than "
            f"{_limits.MAX_JSON_DEPTH} levels is refused)."
        ) from error
    check_depth(parsed, path, what)
    return parsed


def rebuild_model(config: Any, path: str, custom_objects: dict[str, Any] | None) -> Any:
    """Model config → model, with any failure reported against ``path``.

    Raises:
        FileFormatError: If the config is malformed, holds code, names unknown
            classes, or does not describe a model.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise FileFormatError(
            f"{path!r}: the model config must be a JSON object with 'class_name' "
            f"and 'config'; found {type(config).__name__}."
        )
    refuse_code(config, path)
    check_model_config(config, path)
    try:
        model = deserialize_layer(config, custom_objects)
    except FileFormatError as error:
        raise FileFormatError(f"{path!r}: {error}") from error
    # Whatever else a malformed config makes the constructors trip on is still
    # the file's fault, and is reported as such.
    except (
        CnnkitError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
        OverflowError,
        RuntimeError,  # torch's, e.g. a negative dimension in build_config
    ) as error:
        raise FileFormatError(
            f"{path!r}: the model could not be rebuilt from its config: "
            f"{type(error).__name__}: {error}"
        ) from error
    if not model_classes.is_model(model):
        raise FileFormatError(
            f"{path!r} describes a {type(model).__name__} layer, not a model."
        )
    return model


def load_assets(archive: zipfile.ZipFile, model: Layer, path: str) -> None:
    """Hand each object the files Keras saved for it under ``assets/<its path>/``
    (e.g. an adapted ``StringLookup``'s ``vocabulary.txt``).

    Only objects with a ``load_asset_files(files)`` method read any; the files are
    data (cnnkit's lookups parse them as text lines), never code.

    Raises:
        FileFormatError: If an object cannot use its files.
    """
    assets = [n for n in archive.namelist() if n.startswith("assets/")]
    if not assets:
        return
    for inner, obj in walk(model, include_optimizer=False):
        hook = getattr(obj, "load_asset_files", None)
        if hook is None:
            continue
        prefix = f"assets/{inner}/"
        files = {
            name[len(prefix) :]: read_member(archive, name, path, _MAX_JSON_BYTES)
            for name in assets
            if name.startswith(prefix) and not name.endswith("/")
        }
        if files:
            try:
                hook(files)
            except (CnnkitError, ValueError, UnicodeDecodeError) as error:
                raise FileFormatError(
                    f"{path!r}: the assets of {inner!r} could not be read: {error}"
                ) from error


def compile_loaded(
    model: Layer, config: dict[str, Any], path: str, custom_objects: Any
) -> None:
    """Re-``compile`` a loaded model, reporting failures against ``path``.

    Raises:
        FileFormatError: If the optimizer, loss or metrics cannot be rebuilt.
    """
    try:
        compile_from_config(model, config, custom_objects)
    except (CnnkitError, ValueError, TypeError, KeyError) as error:
        raise FileFormatError(
            f"{path!r}: the training configuration (optimizer, loss, metrics) could "
            f"not be restored: {error}. Load with compile=False and call "
            "`model.compile(...)` yourself."
        ) from error


def load_keras(
    path: str,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
) -> Any:
    """Rebuild, compile (if it was) and fill a model from a ``.keras`` file.

    A file saved by cnnkit after ``fit`` also gives back ``model.history`` (a
    ``SavedHistory``) and, if recorded, ``model.learning_snapshots``.

    Raises:
        FileFormatError: For a file that is not a valid, safe Keras v3 archive,
            whose weights do not fit the model it describes, or whose cnnkit
            training record is malformed.
    """
    with open_keras_zip(path) as archive:
        config = parse_json(read_member(archive, CONFIG, path), path, CONFIG)
        model = rebuild_model(config, path, custom_objects)
        names = archive.namelist()
        load_assets(archive, model, path)
        if WEIGHTS not in names:
            raise FileFormatError(
                f"{path!r} has no {WEIGHTS} member (Keras' .npz weights variant "
                "is not supported), so the weights cannot be restored."
            )
        parameters = sum(math.prod(v.shape) for v in model.weights)
        data = read_member(archive, WEIGHTS, path, _limits.weights_budget(parameters))
        metadata = (
            parse_json(read_member(archive, METADATA, path), path, METADATA)
            if METADATA in names
            else None
        )
    if not data.startswith(_HDF5_SIGNATURE):
        raise FileFormatError(f"{path!r}: {WEIGHTS} is not an HDF5 file.")
    if compile and config.get("compile_config"):
        compile_loaded(model, config["compile_config"], path, custom_objects)
    label = f"{path}:{WEIGHTS}"
    with open_h5(io.BytesIO(data), label) as h5:
        try:
            load_state(h5, model, label)
        except OSError as error:
            raise FileFormatError(f"{label!r} is corrupted: {error}") from error
    restore_record(model, metadata, path)
    return model
