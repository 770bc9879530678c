"""`.keras` archives and model configs built to exhaust memory or crash the
loader: each is refused with a FileFormatError naming the file."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import h5py
import pytest
from hostile_files import members, tiny_model, write_zip

from cnnkit.errors import FileFormatError
from cnnkit.saving import _limits, keras_zip, load_model, model_from_json


def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "m.keras"
    tiny_model().save(path)
    return path


def _with_config(tmp_path: Path, edit: Any) -> Path:
    path = _saved(tmp_path)
    contents = members(path)
    config = json.loads(contents["config.json"])
    edit(config)
    contents["config.json"] = json.dumps(config).encode()
    write_zip(path, contents)
    return path


def _first_layer(config: dict[str, Any]) -> dict[str, Any]:
    layer: dict[str, Any] = config["config"]["layers"][1]
    return layer


# ------------------------------------------------------------------ zip members


def test_member_over_its_limit_is_not_read(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    with (
        zipfile.ZipFile(path) as archive,
        pytest.raises(
            FileFormatError,
            match=r"'model.weights.h5' declares .* more than the 100 allowed for "
            "it; it was not read",
        ),
    ):
        keras_zip.read_member(archive, "model.weights.h5", str(path), limit=100)


def test_weights_member_is_bounded_by_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved(tmp_path)
    monkeypatch.setattr(_limits, "WEIGHTS_FLOOR_BYTES", 0)
    # The tiny model's budget is 48 bytes a parameter: the HDF5 overhead alone
    # exceeds it.
    with pytest.raises(FileFormatError, match=r"'model.weights.h5' declares"):
        load_model(path)


def test_header_lying_about_the_size_is_caught(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    contents = members(path)
    contents["config.json"] = contents["config.json"] + b" " * 100_000
    write_zip(path, contents, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    # The central directory says config.json inflates to 10 bytes.
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        name = bytes(data[central + 46 : central + 46 + length])
        if name == b"config.json":
            struct.pack_into("<I", data, central + 24, 10)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(
        FileFormatError, match=r"'config.json' is corrupted or truncated"
    ):
        load_model(path)


def test_compressed_bomb_member_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    contents = members(path)
    contents["assets/zeros.bin"] = bytes(_limits.RATIO_FLOOR_BYTES + 1)
    write_zip(path, contents, zipfile.ZIP_DEFLATED)
    with pytest.raises(
        FileFormatError, match=r"'assets/zeros.bin' declares .*decompression bomb"
    ):
        load_model(path)


# ------------------------------------------------------------------ JSON depth


def test_json_too_deep_for_the_parser(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    contents = members(path)
    contents["config.json"] = b"[" * 100_000 + b"]" * 100_000
    write_zip(path, contents)
    with pytest.raises(FileFormatError, match=r"config.json nests too deeply to parse"):
        load_model(path)


def test_json_deeper_than_the_limit(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    contents = members(path)
    depth = _limits.MAX_JSON_DEPTH + 1
    contents["metadata.json"] = b"[" * depth + b"]" * depth
    write_zip(path, contents)
    with pytest.raises(
        FileFormatError, match=r"metadata.json nests more than 200 levels deep"
    ):
        load_model(path)


def test_legacy_model_config_depth(tmp_path: Path) -> None:
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = "[" * 100_000 + "]" * 100_000
    with pytest.raises(
        FileFormatError, match=r"model_config attribute nests too deeply to parse"
    ):
        load_model(path)
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = "[" * 300 + "]" * 300
    with pytest.raises(
        FileFormatError, match=r"model_config attribute nests more than 200 levels"
    ):
        load_model(path)


# ------------------------------------------------------------------ mutated configs


def _layer_config_list(config: dict[str, Any]) -> None:
    _first_layer(config)["config"] = [1, 2]


def _dtype_config_str(config: dict[str, Any]) -> None:
    _first_layer(config)["config"]["dtype"] = {"class_name": "DTypePolicy",
                                               "config": "float32"}  # fmt: skip


def _layers_dict(config: dict[str, Any]) -> None:
    config["config"]["layers"] = {"a": 1}


def _class_name_int(config: dict[str, Any]) -> None:
    _first_layer(config)["class_name"] = 7


def _build_config_list(config: dict[str, Any]) -> None:
    _first_layer(config)["build_config"] = [4]


def _input_shape_str(config: dict[str, Any]) -> None:
    # Was a RecursionError inside the layer's build (a str is a list of strs).
    _first_layer(config)["build_config"] = {"input_shape": "abc"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_layer_config_list, r"layers\[1\] in the model config, the 'config' of "
                             "'Dense' is list"),
        (_dtype_config_str, r"'config.dtype.config' is str, not a JSON object"),
        (_layers_dict, r"at \$ in the model config, 'config.layers' is dict"),
        (_class_name_int, r"'class_name' is int, not a string"),
        (_build_config_list, r"'build_config' is list, not an object"),
        (_input_shape_str, r"'build_config.input_shape' is 'abc', not a shape such "
                           r"as \[null, 28, 28, 1\]"),
    ],
)  # fmt: skip
def test_mutated_configs_name_file_and_place(
    tmp_path: Path, edit: Any, message: str
) -> None:
    path = _with_config(tmp_path, edit)
    with pytest.raises(FileFormatError, match=message) as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_other_constructor_errors_become_file_errors() -> None:
    # A value of the wrong type deep inside a layer's config.
    text = json.dumps(
        {"class_name": "Sequential", "config": {"layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 4]}},
            {"class_name": "Dense", "config": {"units": 2, "activation": [1]}},
        ]}}
    )  # fmt: skip
    with pytest.raises(
        FileFormatError,
        match=r"'<json string>': the model could not be rebuilt from its config: "
        "InvalidArgumentError: An activation",
    ):
        model_from_json(text)


# ------------------------------------------------------------------ legacy .h5 configs


def _legacy_with(tmp_path: Path, attr: str, edit: Any) -> Path:
    path = tmp_path / "old.h5"
    with pytest.warns(UserWarning, match="HDF5"):
        tiny_model().save(path)
    with h5py.File(path, "a") as h5:
        value = json.loads(h5.attrs[attr])
        value = edit(value)
        h5.attrs[attr] = json.dumps(value)
    return path


def _legacy_layer(edit: Any) -> Any:
    def apply(config: dict[str, Any]) -> dict[str, Any]:
        edit(config["config"]["layers"][1])
        return config

    return apply


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_legacy_layer(lambda e: e.__setitem__("config", [1, 2])),
         r"at \$\.config\.layers\[1\] in the model config, the 'config' of 'Dense' "
         "is list, not a JSON object"),
        (_legacy_layer(lambda e: e.__setitem__("class_name", ["Dense"])),
         r"at \$\.config\.layers\[1\] in the model config, 'class_name' is list"),
        (_legacy_layer(lambda e: e["config"].__setitem__(
            "dtype", {"class_name": "Policy", "config": "float32"})),
         r"'config\.dtype\.config' is str, not a JSON object"),
        (lambda c: {**c, "config": {**c["config"], "layers": {"a": 1}}},
         r"at \$ in the model config, 'config\.layers' is dict, not a list"),
        (lambda c: {**c, "config": [7]},  # Keras 2.0's bare layer list, of junk
         r"found int at \$\.config\.layers\[0\]"),
    ],
)  # fmt: skip
def test_mutated_legacy_configs_name_file_and_place(
    tmp_path: Path, edit: Any, message: str
) -> None:
    # These were a bare TypeError/AttributeError from the legacy config upgrade.
    path = _legacy_with(tmp_path, "model_config", edit)
    with pytest.raises(FileFormatError, match=message) as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_legacy_functional_nodes_unreadable(tmp_path: Path) -> None:
    import cnnkit

    inputs = cnnkit.Input((4,))
    model = cnnkit.Model(inputs, cnnkit.layers.Dense(2)(inputs))
    path = tmp_path / "old.h5"
    with pytest.warns(UserWarning, match="HDF5"):
        model.save(path)
    with h5py.File(path, "a") as h5:
        config = json.loads(h5.attrs["model_config"])
        config["config"]["layers"][1]["inbound_nodes"] = [[[]]]  # a ref of nothing
        h5.attrs["model_config"] = json.dumps(config)
    with pytest.raises(
        FileFormatError,
        match=r"old\.h5'.*at \$\.config\.layers\[1\] in the model config, the "
        "inbound nodes are unreadable",
    ):
        load_model(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: [t], r"the training_config attribute is list, not a JSON object"),
        (lambda t: {**t, "optimizer_config": {"class_name": "Adam", "config": "x"}},
         r"'optimizer_config\.config' is str, not a JSON object like "
         r"\{'learning_rate': 0\.001\}"),
        (lambda t: {**t, "loss": {"class_name": "MeanSquaredError", "config": "x"}},
         r"the training_config attribute is malformed \(ValueError: "),
    ],
)  # fmt: skip
def test_mutated_training_config_is_the_files_error(
    tmp_path: Path, edit: Any, message: str
) -> None:
    path = _legacy_with(tmp_path, "training_config", edit)
    with pytest.raises(FileFormatError, match=message) as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert "Load with compile=False" in str(info.value)
    load_model(path, compile=False)  # the model itself is fine


def test_deep_json_errors_name_the_file(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    contents = members(path)
    contents["config.json"] = b"[" * 100_000 + b"]" * 100_000
    write_zip(path, contents)
    with pytest.raises(FileFormatError) as info:
        load_model(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------ config bounds


def _huge_units(config: dict[str, Any]) -> None:
    _first_layer(config)["config"]["units"] = 10**8


def _huge_kernel(config: dict[str, Any]) -> None:
    _first_layer(config)["config"]["kernel_size"] = [10**6, 3]


def _huge_tensor(config: dict[str, Any]) -> None:
    layer = _first_layer(config)
    layer["config"]["units"] = 1 << 20
    layer["build_config"] = {"input_shape": [None, 1 << 20]}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_huge_units, r"layer Dense 'dense_\d+' has units=100000000, more than "
                      "the 1048576 cnnkit builds from a file"),
        (_huge_kernel, r"has kernel_size=\[1000000, 3\]; each size must be at "
                       "most 4096"),
        (_huge_tensor, r"would need a weight of about 1099511627776 elements "
                       r"\(4096.0 GiB\)"),
    ],
)  # fmt: skip
def test_layer_sizes_from_a_file_are_bounded(
    tmp_path: Path, edit: Any, message: str
) -> None:
    path = _with_config(tmp_path, edit)
    with pytest.raises(FileFormatError, match=message):
        load_model(path)


def test_conv_filters_bomb(tmp_path: Path) -> None:
    text = json.dumps(
        {"class_name": "Sequential", "config": {"layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 8, 8, 3]}},
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 10**8,
                                                "kernel_size": [3, 3]}},
        ]}}
    )  # fmt: skip
    with pytest.raises(FileFormatError, match=r"Conv2D 'c' has filters=100000000"):
        model_from_json(text)


def test_torch_errors_while_building_become_file_errors(tmp_path: Path) -> None:
    # Found by the fuzzer: torch's RuntimeError for a negative dimension.
    def negative(config: dict[str, Any]) -> None:
        _first_layer(config)["build_config"] = {"input_shape": [None, -1]}

    with pytest.raises(
        FileFormatError,
        match=r"could not be rebuilt from its config: RuntimeError: .*negative",
    ):
        load_model(_with_config(tmp_path, negative))


def _sequential(*layers: dict[str, Any]) -> str:
    first = {"class_name": "InputLayer", "config": {"batch_shape": [None, 4]}}
    return json.dumps(
        {"class_name": "Sequential", "config": {"layers": [first, *layers]}}
    )


def test_embedding_table_bomb() -> None:
    text = _sequential(
        {
            "class_name": "Embedding",
            "config": {"name": "e", "input_dim": 10**7, "output_dim": 1000},
        }
    )
    with pytest.raises(
        FileFormatError, match=r"layer Embedding 'e' would need a weight of about "
        r"10000000000 elements",
    ):  # fmt: skip
        model_from_json(text)


def test_sizes_at_the_bounds_still_load() -> None:
    text = _sequential(
        {"class_name": "Dense", "config": {"name": "wide", "units": 1 << 20}}
    )
    model = model_from_json(text)
    assert model.layers[-1].kernel.shape == (4, 1 << 20)


def test_load_weights_from_keras_is_bounded_by_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved(tmp_path)
    monkeypatch.setattr(_limits, "WEIGHTS_FLOOR_BYTES", 0)
    with pytest.raises(
        FileFormatError, match=r"'model.weights.h5' declares \d+ bytes, more than"
    ):
        tiny_model().load_weights(path)


def test_member_with_an_unknown_compression_method(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<H", data, at + 10, 99)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(
        FileFormatError,
        match=r"member '.*' is corrupted or truncated: That compression method is "
        "not supported",
    ):
        load_model(path)
