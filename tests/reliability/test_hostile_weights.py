"""Weights files whose datasets declare more than they should: refused from the
header, before their data is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hostile_files import tiny_model

from cnnkit.errors import FileFormatError
from cnnkit.saving import load_model, weights_h5


def _weights(tmp_path: Path, edit: object) -> tuple[object, Path]:
    model = tiny_model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h5:
        edit(h5)  # type: ignore[operator]
    return model, path


def test_fill_value_shape_bomb_is_refused(tmp_path: Path) -> None:
    def bomb(h5: h5py.File) -> None:
        del h5["layers/dense/vars/0"]
        # 4 GB declared, a few bytes stored: chunked, nothing written.
        h5.create_dataset(
            "layers/dense/vars/0", shape=(10**9,), dtype="f4", chunks=True,
            fillvalue=1.0,
        )  # fmt: skip

    model, path = _weights(tmp_path, bomb)
    before = [w.copy() for w in model.get_weights()]
    # Refused from the header, before a byte is read (test_bounded_memory loads
    # the same bomb under a 1.5 GiB address-space cap).
    with pytest.raises(FileFormatError, match=r"possible decompression bomb"):
        model.load_weights(path)
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))


def test_other_shape_is_refused_without_reading(tmp_path: Path) -> None:
    def reshape(h5: h5py.File) -> None:
        del h5["layers/dense/vars/0"]
        h5.create_dataset("layers/dense/vars/0", data=np.ones((7, 7), "f4"))

    model, path = _weights(tmp_path, reshape)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(
        FileFormatError,
        match=r"layers/dense/vars/0' declares shape \(7, 7\), but the variable it "
        r"is for has shape \(4, 3\); it was not read",
    ):
        model.load_weights(path)
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))
    # skip_mismatch still applies: the other layer loads, this one is named.
    with pytest.warns(UserWarning, match=r"could not be loaded: \['dense_\d+'\]"):
        model.load_weights(path, skip_mismatch=True)


def test_gzip_bomb_is_refused(tmp_path: Path) -> None:
    def gzip_bomb(h5: h5py.File) -> None:
        data = h5.create_dataset(
            "optimizer/vars/99", shape=(5 << 20,), dtype="f8",
            chunks=(1 << 20,), compression="gzip",
        )  # fmt: skip
        data[:] = 0.0  # 40 MB of zeros in ~40 kB

    model, path = _weights(tmp_path, gzip_bomb)
    with pytest.raises(FileFormatError, match=r"declares 41943040 bytes but stores"):
        model.load_weights(path)


def test_dataset_without_a_variable_is_capped(tmp_path: Path) -> None:
    def big_slot(h5: h5py.File) -> None:
        # 8 MB of real (incompressible) data where the tiny model's whole state
        # is a few hundred bytes.
        rng = np.random.default_rng(0)
        h5.create_dataset("optimizer/vars/99", data=rng.random(1 << 20))

    model, path = _weights(tmp_path, big_slot)
    with pytest.raises(
        FileFormatError,
        match=r"optimizer/vars/99' declares 8388608 bytes .*more than the 1048576 "
        "a dataset with no matching variable may hold",
    ):
        model.load_weights(path)


def test_safe_dataset_caps_a_dataset_read_alone(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("d", data=np.zeros(100, "f4"))
    with h5py.File(path, "r") as h5:
        with pytest.raises(FileFormatError, match=r"more than the 100 a dataset"):
            weights_h5.safe_dataset(h5, "d", "x.h5", max_bytes=100)
        assert weights_h5.safe_dataset(h5, "d", "x.h5", (100,)).shape == (100,)


def test_custom_load_own_variables_has_no_expected_shapes() -> None:
    class Custom(weights_h5.Layer):
        def load_own_variables(self, store: object) -> None:  # type: ignore[override]
            pass

    model = tiny_model()
    assert weights_h5.expected_shapes(model.layers[0]) == {"0": (4, 3), "1": (3,)}
    assert weights_h5.expected_shapes(Custom()) is None
    assert weights_h5.expected_shapes(model.optimizer) is None


def test_legacy_weights_are_capped_by_the_model(tmp_path: Path) -> None:
    model = tiny_model()
    path = tmp_path / "old.h5"
    with pytest.warns(UserWarning, match="saving your model as an HDF5 file"):
        model.save(path)
    with h5py.File(path, "a") as h5:
        names: list[str] = []
        h5["model_weights"].visititems(
            lambda name, obj: (
                names.append(name) if isinstance(obj, h5py.Dataset) else None
            )
        )
        target = f"model_weights/{names[0]}"
        del h5[target]
        h5.create_dataset(target, data=np.random.default_rng(0).random(1 << 20))
    with pytest.raises(
        FileFormatError,
        match=r"declares 8388608 bytes .*more than the 1048576 a dataset",
    ):
        model.load_weights(path)


def _corrupt_chunk(path: Path, name: str) -> None:
    """Overwrite the stored bytes of dataset ``name``'s first chunk with junk."""
    with h5py.File(path, "r") as h5:
        offset = h5[name].id.get_chunk_info(0).byte_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))


def test_undecodable_data_is_the_files_error(tmp_path: Path) -> None:
    # h5py's own errors (here zlib failing on a damaged chunk) were bare
    # OSError/KeyError/RuntimeError; inside a reader they are the file's error.
    model = tiny_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h5:
        name = "layers/dense/vars/0"
        values = h5[name][()]
        del h5[name]
        h5.create_dataset(name, data=values, compression="gzip", chunks=values.shape)
    _corrupt_chunk(path, name)
    with pytest.raises(FileFormatError, match=r"m\.weights\.h5' is corrupted: .*read"):
        model.load_weights(path)


def test_missing_dataset_is_named(tmp_path: Path) -> None:
    path = tmp_path / "old.h5"
    with pytest.warns(UserWarning, match="HDF5"):
        tiny_model().save(path)
    with h5py.File(path, "a") as h5:
        layer = str(h5["model_weights"].attrs["layer_names"][0])
        group = h5[f"model_weights/{layer}/{layer}"]
        del group[next(iter(group))]  # weight_names still lists it
    with pytest.raises(
        FileFormatError, match=r"old\.h5'.*the dataset '/model_weights/dense\w*/.*' is "
        "missing",
    ):  # fmt: skip
        load_model(path)


def test_weight_names_not_a_list_is_named(tmp_path: Path) -> None:
    path = tmp_path / "old.h5"
    with pytest.warns(UserWarning, match="HDF5"):
        tiny_model().save(path)
    with h5py.File(path, "a") as h5:
        layer = str(h5["model_weights"].attrs["layer_names"][0])
        h5[f"model_weights/{layer}"].attrs["weight_names"] = 7
    with pytest.raises(
        FileFormatError,
        match=r"old\.h5': the 'weight_names' attribute of the HDF5 group "
        r"'/model_weights/dense\w*' is int64, not a list of names",
    ):
        load_model(path)


def test_damaged_object_header_is_the_files_error(tmp_path: Path) -> None:
    # h5py raises KeyError for an object it cannot decode (found by the fuzzer as
    # bare KeyError/RuntimeError); inside a reader it is the file's error.
    model = tiny_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as h5:
        address = h5py.h5o.get_info(h5["layers/dense/vars/0"].id).addr
    data = bytearray(path.read_bytes())
    data[address : address + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    with pytest.raises(
        FileFormatError,
        match=r"m\.weights\.h5' is corrupted: reading it failed with KeyError: .*"
        "Save the model again, or use an intact copy of the file",
    ):
        model.load_weights(path)


def test_optimizer_slot_of_another_shape_changes_nothing(tmp_path: Path) -> None:
    # Found by the weights fuzzer: the layers were loaded, then the optimizer
    # refused a slot of another shape with its own InvalidArgumentError, leaving
    # the model half-loaded.
    model = tiny_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h5:
        for layer in h5["layers"].values():
            for variable in layer["vars"].values():
                variable[...] = 9.0  # the file's weights differ from the model's
        slot = h5["optimizer/vars/2"]
        shape = slot.shape
        del h5["optimizer/vars/2"]
        h5.create_dataset("optimizer/vars/2", data=np.zeros((*shape, 2), "f4"))
    before = [w.copy() for w in model.get_weights()]
    slots = [v.detach().cpu().numpy().copy() for v in model.optimizer.variables]
    with pytest.raises(
        FileFormatError,
        match=r"m\.weights\.h5': optimizer/vars: the optimizer state does not fit the "
        r"model's optimizer: .* has shape \(4, 3\) but the value received has shape "
        r"\(4, 3, 2\)\. No weight was changed",
    ):
        model.load_weights(path)
    for old, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, now)
    for old, now in zip(slots, model.optimizer.variables):
        np.testing.assert_array_equal(old, now.detach().cpu().numpy())


def _legacy_file(tmp_path: Path) -> tuple[Any, Path, list[str]]:
    model = tiny_model()
    path = tmp_path / "old.h5"
    with pytest.warns(UserWarning, match="HDF5"):
        model.save(path)
    with h5py.File(path, "a") as h5:
        names = [str(n) for n in h5["model_weights"].attrs["layer_names"]]
    return model, path, names


def test_legacy_load_weights_is_all_or_nothing(tmp_path: Path) -> None:
    # The legacy reader assigned layer by layer: a mismatch in the second layer
    # left the first one overwritten.
    model, path, names = _legacy_file(tmp_path)
    with h5py.File(path, "a") as h5:
        first, second = h5["model_weights"][names[0]], h5["model_weights"][names[1]]
        first.visititems(
            lambda _, item: (
                item.__setitem__(Ellipsis, 9.0)
                if isinstance(item, h5py.Dataset)
                else None
            )
        )
        datasets: list[str] = []
        second.visititems(
            lambda name, item: (
                datasets.append(name) if isinstance(item, h5py.Dataset) else None
            )
        )
        del second[datasets[0]]
        second.create_dataset(datasets[0], data=np.zeros((5, 5), "f4"))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(FileFormatError, match=r"old\.h5': Shape mismatch in layer #1"):
        model.load_weights(path)
    for old, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, now)


def test_legacy_optimizer_state_that_does_not_fit(tmp_path: Path) -> None:
    _, path, _ = _legacy_file(tmp_path)
    with h5py.File(path, "a") as h5:
        group = h5["optimizer_weights"]
        datasets: list[str] = []
        group.visititems(
            lambda name, item: (
                datasets.append(name)
                if isinstance(item, h5py.Dataset) and item.ndim == 2
                else None
            )
        )
        shape = group[datasets[0]].shape
        del group[datasets[0]]
        group.create_dataset(datasets[0], data=np.zeros((*shape, 2), "f4"))
    with pytest.raises(
        FileFormatError,
        match=r"old\.h5': the saved optimizer state does not fit Adam: .* but the "
        r"value received has shape .* Load with compile=False to skip it",
    ):
        load_model(path)
    load_model(path, compile=False)


def _backup(tmp_path: Path) -> tuple[Any, Path]:
    from cnnkit.saving.training_state import save_training_state

    model = tiny_model()
    path = tmp_path / "latest.weights.h5"
    save_training_state(model, str(path), {"epoch": 1, "batch": 0})
    with h5py.File(path, "a") as h5:  # the file's weights differ from the model's
        for layer in h5["layers"].values():
            for variable in layer["vars"].values():
                variable[...] = 9.0
    return model, path


def _edit_backup(path: Path, edit: Any) -> None:
    with h5py.File(path, "a") as h5:
        edit(h5["cnnkit_training_state"])


def _replace_dataset(name: str, data: Any) -> Any:
    def edit(group: h5py.Group) -> None:
        del group[name]
        group.create_dataset(name, data=data)

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda g: g.attrs.__setitem__("progress", "[1, 2]"),
         r"the training progress should be an object like \{\"epoch\": 3, "
         r"\"batch\": 0\} with a non-negative epoch; found \[1, 2\]"),
        (lambda g: g.attrs.__setitem__("progress", '{"epoch": "x"}'),
         r"the training progress should be an object"),
        (_replace_dataset("torch", np.zeros(7, np.uint8)),
         r"a random-generator state in the backup is invalid .*Delete it to train "
         "from the start"),
        (_replace_dataset("python", np.int64(3)),
         r"the training state is unreadable: TypeError"),
        (lambda g: g.attrs.__setitem__("numpy_extra", "[1]"),
         r"the training state is unreadable: ValueError"),
        (_replace_dataset("python", np.full(625, -1, np.int64)),
         r"the training state is unreadable: OverflowError"),
    ],
)  # fmt: skip
def test_damaged_backup_changes_nothing(
    tmp_path: Path, edit: Any, message: str
) -> None:
    # Found by the backup fuzzer: the weights were restored before the progress
    # and generator states were read, so a damaged state left the model (and
    # some generators) changed; a 0-d state was a bare IndexError/TypeError.
    import random

    from cnnkit.saving.training_state import load_training_state

    model, path = _backup(tmp_path)
    _edit_backup(path, edit)
    before = [w.copy() for w in model.get_weights()]
    random.seed(5)
    expected = random.random()
    random.seed(5)
    with pytest.raises(FileFormatError, match=message):
        load_training_state(model, str(path))
    for old, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, now)
    assert random.random() == expected  # Python's generator was put back too
