"""Untrusted files: malicious, truncated, corrupted or mislabelled; atomic writes."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch
from saving_builders import BUILDERS

import cnnkit
from cnnkit.errors import FileFormatError
from cnnkit.saving import api, keras_zip, legacy_h5, load_model, model_from_json

SAVING_SOURCES = Path(cnnkit.__file__).parent / "saving"


def _saved(tmp_path: Path, name: str = "m.keras") -> tuple[Any, Path]:
    model = BUILDERS["seed_cnn"](cnnkit)
    path = tmp_path / name
    model.save(path)
    return model, path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {
            info.filename: archive.read(info.filename) for info in archive.infolist()
        }


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# ------------------------------------------------------------------ malicious


@pytest.mark.parametrize("evil", ["../evil.py", "assets/../../evil.py", "/etc/evil"])
def test_path_traversal_in_zip_is_refused(tmp_path: Path, evil: str) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    members[evil] = b"print('pwned')"
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match="unsafe member name"):
        load_model(path)


def test_unexpected_member_is_refused(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    members["payload.pkl"] = pickle.dumps({"x": 1})
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match=r"unexpected member 'payload\.pkl'"):
        load_model(path)


def test_torch_save_file_named_keras_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    torch.save({"w": torch.zeros(2)}, path)  # a zip holding data.pkl
    with pytest.raises(FileFormatError, match="unexpected member"):
        load_model(path)


class _Exploit:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (open, (str(self.marker), "w"))


def test_pickle_payload_renamed_h5_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    for name in ("m.h5", "m.weights.h5", "m.keras"):
        (tmp_path / name).write_bytes(pickle.dumps(_Exploit(marker), protocol=4))
    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match=r"m\.h5.*pickle.*never unpickles"):
        load_model(tmp_path / "m.h5")
    with pytest.raises(FileFormatError, match="pickle"):
        model.load_weights(tmp_path / "m.weights.h5")
    with pytest.raises(FileFormatError, match="pickle"):
        load_model(tmp_path / "m.keras")
    assert not marker.exists()


LAMBDA_ENTRY = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "config": {
        "name": "evil",
        "function": {
            "class_name": "__lambda__",
            "config": {"value": ["4wEAAAAAAAAA", None, None]},
        },
    },
    "registered_name": None,
}


@pytest.mark.parametrize("safe_mode", [True, False])
def test_lambda_layer_is_refused(tmp_path: Path, safe_mode: bool) -> None:
    model, path = _saved(tmp_path)
    config = json.loads(model.to_json())
    config["config"]["layers"].insert(2, LAMBDA_ENTRY)
    members = _members(path)
    members["config.json"] = json.dumps(config).encode()
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match=r"`Lambda` \(layer 'evil'\).*never runs"):
        load_model(path, safe_mode=safe_mode)


def test_lambda_function_anywhere_is_refused() -> None:
    config = json.loads(BUILDERS["seed_cnn"](cnnkit).to_json())
    config["config"]["layers"][1]["config"]["activation"] = LAMBDA_ENTRY["config"][
        "function"
    ]
    with pytest.raises(FileFormatError, match="__lambda__"):
        model_from_json(json.dumps(config))


def test_lambda_in_legacy_h5_is_refused(tmp_path: Path) -> None:
    config = {
        "class_name": "Sequential",
        "config": {"layers": [{"class_name": "Lambda", "config": {"function": ["x"]}}]},
    }
    with h5py.File(tmp_path / "m.h5", "w") as h5:
        h5.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(FileFormatError, match="Lambda"):
        load_model(tmp_path / "m.h5")


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    # Set bit 0 ("encrypted") of the flags in every local and central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="encrypted"):
        load_model(path)


def test_decompression_bomb_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("assets/zeros.bin", b"\0" * 2_000_000)
    monkeypatch.setattr(keras_zip, "_BOMB_FLOOR_BYTES", 1_000_000)
    with pytest.raises(FileFormatError, match="decompression bomb"):
        load_model(path)
    monkeypatch.setattr(keras_zip, "_MAX_MEMBER_BYTES", 100)
    with pytest.raises(FileFormatError, match="more than the 100 allowed"):
        load_model(path)


def test_duplicate_members_and_too_many_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "a") as archive,
    ):
        archive.writestr("config.json", members["config.json"])
    with pytest.raises(FileFormatError, match="repeats member names"):
        load_model(path)
    monkeypatch.setattr(keras_zip, "_MAX_MEMBERS", 2)
    with pytest.raises(FileFormatError, match="too many"):
        load_model(path)


def _weights_with(tmp_path: Path, edit: Any) -> Path:
    """A .weights.h5 file of the seed model, changed by ``edit(h5)``."""
    model = BUILDERS["seed_cnn"](cnnkit)
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h5:
        edit(h5)
    return path


def test_links_in_weights_are_refused(tmp_path: Path) -> None:
    def external(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/0"]
        h5["layers/conv2d/vars/0"] = h5py.ExternalLink("/etc/other.h5", "/data")

    def soft(h5: h5py.File) -> None:
        del h5["layers/conv2d"]
        h5["layers/conv2d"] = h5py.SoftLink("/layers/dense")

    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match="ExternalLink; refused"):
        model.load_weights(_weights_with(tmp_path, external))
    with pytest.raises(FileFormatError, match="SoftLink"):
        model.load_weights(_weights_with(tmp_path, soft))


def test_bad_datasets_are_refused(tmp_path: Path) -> None:
    def text(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/1"]
        h5["layers/conv2d/vars/1"] = np.bytes_(b"not numbers")

    def renamed(h5: h5py.File) -> None:
        h5.move("layers/conv2d/vars/1", "layers/conv2d/vars/bias")

    def group_instead(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/1"]
        h5.create_group("layers/conv2d/vars/1")

    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match="not a number type"):
        model.load_weights(_weights_with(tmp_path, text))
    with pytest.raises(FileFormatError, match=r"datasets named 0\.\.1"):
        model.load_weights(_weights_with(tmp_path, renamed))
    with pytest.raises(FileFormatError, match="expected a dataset"):
        model.load_weights(_weights_with(tmp_path, group_instead))


def test_dataset_declaring_more_than_it_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sparse(h5: h5py.File) -> None:
        del h5["layers/dense/vars/0"]
        h5.create_dataset(
            "layers/dense/vars/0", shape=(100, 3), dtype="f4", chunks=True
        )

    from cnnkit.saving import weights_h5

    monkeypatch.setattr(weights_h5, "_BOMB_FLOOR_BYTES", 100)
    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match="possible decompression bomb"):
        model.load_weights(_weights_with(tmp_path, sparse))


def test_missing_group_in_a_link_path(tmp_path: Path) -> None:
    from cnnkit.saving.weights_h5 import safe_group

    with h5py.File(tmp_path / "x.h5", "w") as h5:
        with pytest.raises(FileFormatError, match="'a/b' is missing"):
            safe_group(h5, "a/b", "x.h5")
        h5.create_dataset("a", data=np.zeros(2))
        with pytest.raises(FileFormatError, match="expected an HDF5 group"):
            safe_group(h5, "a", "x.h5")


# ------------------------------------------------------------------ broken files


def test_wrong_type_files(tmp_path: Path) -> None:
    (tmp_path / "notes.keras").write_text("this is not a model\n")
    (tmp_path / "empty.keras").write_bytes(b"")
    (tmp_path / "binary.keras").write_bytes(bytes([0xFF, 0xFE, 0x00, 0x81]) * 4)
    with pytest.raises(FileFormatError, match=r"notes\.keras.*a text file"):
        load_model(tmp_path / "notes.keras")
    with pytest.raises(FileFormatError, match="an empty file"):
        load_model(tmp_path / "empty.keras")
    with pytest.raises(FileFormatError, match="neither a zip archive nor an HDF5"):
        load_model(tmp_path / "binary.keras")


def test_mislabelled_formats_get_a_hint(tmp_path: Path) -> None:
    model, path = _saved(tmp_path)
    path.rename(tmp_path / "zip.h5")
    with pytest.warns(UserWarning, match="legacy"):
        model.save(tmp_path / "real.h5")
    (tmp_path / "real.h5").rename(tmp_path / "hdf5.keras")
    with pytest.raises(FileFormatError, match=r"give it the `\.keras` extension"):
        load_model(tmp_path / "zip.h5")
    with pytest.raises(FileFormatError, match=r"give it the `\.h5` extension"):
        load_model(tmp_path / "hdf5.keras")


def test_zip_without_config_is_refused(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    del members["config.json"]
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match=r"zip archive without config\.json"):
        load_model(path)


def test_truncated_files(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="truncated or corrupted"):
        load_model(path)
    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.warns(UserWarning, match="legacy"):
        model.save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    (tmp_path / "m.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="not a readable HDF5 file"):
        load_model(tmp_path / "m.h5")


def test_corrupted_member_fails_its_crc(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    start = data.rfind(b"\x89HDF\r\n\x1a\n")
    data[start + 3000 : start + 3016] = b"\x13" * 16
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="corrupted or truncated"):
        load_model(path)


@pytest.mark.parametrize(
    ("config_bytes", "message"),
    [
        (b"{not json", "config.json is not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"class_name": "Nope", "config": {}}', "Unknown layer class 'Nope'"),
        (
            b'{"class_name": "Sequential", "config": {"layers": [{"class_name": '
            b'"Dense", "config": {"units": -3}}]}}',
            "could not be rebuilt",
        ),
    ],
)
def test_bad_configs(tmp_path: Path, config_bytes: bytes, message: str) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    members["config.json"] = config_bytes
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match=message):
        load_model(path)


def test_weights_member_must_be_hdf5(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    members = _members(path)
    members["model.weights.h5"] = b"not hdf5 at all"
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match="is not an HDF5 file"):
        load_model(path)
    del members["model.weights.h5"]
    _write_zip(path, members)
    with pytest.raises(FileFormatError, match="npz weights variant is not supported"):
        load_model(path)


# ------------------------------------------------------------------ atomic writes


class _Boom(RuntimeError):
    pass


def _explode(*args: Any, **kwargs: Any) -> None:
    raise _Boom("disk on fire")


@pytest.mark.parametrize(
    ("name", "target", "attribute"),
    [
        ("m.keras", keras_zip, "write_state"),
        ("w.weights.h5", api, "write_state"),
        ("m.h5", legacy_h5, "_write_datasets"),
    ],
)
def test_failed_save_keeps_previous_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    target: Any,
    attribute: str,
) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    path = tmp_path / name
    saver = model.save_weights if name.endswith(".weights.h5") else model.save
    with pytest.warns() if name == "m.h5" else _nothing():
        saver(path)
    before = path.read_bytes()
    monkeypatch.setattr(target, attribute, _explode)
    for layer in model.layers:
        for variable in layer.weights:
            variable.assign(np.zeros(variable.shape))
    with pytest.raises(_Boom), pytest.warns() if name == "m.h5" else _nothing():
        saver(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [name]  # no temporary file left behind


def test_interrupt_during_save_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, path = _saved(tmp_path)
    before = path.read_bytes()

    def interrupt(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(keras_zip.zipfile.ZipFile, "writestr", interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


def test_saved_file_gets_the_umask_permissions_not_private_ones(
    tmp_path: Path,
) -> None:
    previous = os.umask(0o027)
    try:
        _, path = _saved(tmp_path)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o640


def test_saving_onto_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(cnnkit.errors.InvalidArgumentError, match="existing directory"):
        BUILDERS["seed_cnn"](cnnkit).save(tmp_path / "d.keras")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: Any) -> None:
        return None


def test_saving_code_never_unpickles() -> None:
    sources = [*SAVING_SOURCES.glob("*.py")]
    sources += [
        SAVING_SOURCES.parent / "callbacks" / "model_checkpoint.py",
        SAVING_SOURCES.parent / "callbacks" / "backup_and_restore.py",
    ]
    for source in sources:
        text = source.read_text()
        assert not re.search(r"^\s*(import|from) (pickle|dill|marshal)", text, re.M), (
            source
        )
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, (source, call)
        assert "allow_pickle=True" not in text, source


def test_sniffing_io_is_bounded(tmp_path: Path) -> None:
    from cnnkit.saving._files import sniff_kind

    path = tmp_path / "user_block.h5"
    with h5py.File(path, "w", userblock_size=512) as h5:
        h5.create_dataset("x", data=np.zeros(1))
    assert sniff_kind(str(path)) == "hdf5"
    assert sniff_kind(str(_write_bytes(tmp_path / "p0", b"\x80\x04K\x01."))) == "pickle"
    assert io is not None


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_external_dataset_is_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.zeros(4, "float32").tobytes())

    def external(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/1"]
        h5.create_dataset(
            "layers/conv2d/vars/1", shape=(4,), dtype="f4", external=[(str(raw), 0, 16)]
        )

    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match="external or virtual dataset"):
        model.load_weights(_weights_with(tmp_path, external))


def _failing_read(*args: Any, **kwargs: Any) -> Any:
    raise OSError("Can't read data (wrong B-tree signature)")


def test_hdf5_read_errors_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnnkit.saving import weights_h5

    model, path = _saved(tmp_path)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.warns(UserWarning, match="legacy"):
        model.save(tmp_path / "m.h5")
    monkeypatch.setattr(weights_h5, "read_vars", _failing_read)
    monkeypatch.setattr(legacy_h5, "safe_dataset", _failing_read)
    with pytest.raises(
        FileFormatError, match=r"m\.keras:model\.weights\.h5.*corrupted"
    ):
        load_model(path)
    with pytest.raises(FileFormatError, match=r"w\.weights\.h5.*corrupted"):
        model.load_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileFormatError, match=r"m\.keras:model\.weights\.h5.*corrupt"):
        model.load_weights(path)
    with pytest.raises(FileFormatError, match=r"m\.h5.*corrupted"):
        load_model(tmp_path / "m.h5")


def test_direct_deserialisation_guards() -> None:
    from cnnkit.models.functional_config import graph_from_config
    from cnnkit.saving.layer_config import deserialize_layer

    with pytest.raises(FileFormatError, match="must be a dict with 'class_name'"):
        deserialize_layer(["Dense"])  # type: ignore[arg-type]
    # A Lambda is no longer refused by its class name alone: one that names a
    # function loads through custom_objects, so an empty one reports what is missing.
    with pytest.raises(FileFormatError, match=r"`Lambda` layer '.*' has no `function`"):
        deserialize_layer({"class_name": "Lambda", "config": {}})
    with pytest.raises(FileFormatError, match="`TFOpLambda` layer, which stores Py"):
        deserialize_layer({"class_name": "TFOpLambda", "config": {}})
    config = json.loads(BUILDERS["branchy_2d"](cnnkit).to_json())["config"]
    node = config["layers"][1]["inbound_nodes"][0]["args"][0]
    node["config"]["keras_history"][0] = "ghost"
    with pytest.raises(
        FileFormatError, match="reference tensors that no layer produces"
    ):
        graph_from_config(config)


def test_module_named_in_a_config_is_never_imported(tmp_path: Path) -> None:
    """Keras resolves unknown classes by importing their ``module``; cnnkit never
    imports anything a file names."""
    import sys

    config = json.loads(BUILDERS["seed_cnn"](cnnkit).to_json())
    config["config"]["layers"][1].update(
        module="antigravity", class_name="Fly", registered_name="Fly"
    )
    assert "antigravity" not in sys.modules
    with pytest.raises(FileFormatError, match="Unknown layer class 'Fly'"):
        model_from_json(json.dumps(config))
    assert "antigravity" not in sys.modules
