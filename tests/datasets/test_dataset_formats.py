"""Decoders of the dataset container formats refuse malformed files with a reason."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
from dataset_builders import (
    IDX_NAMES,
    cifar_like,
    idx_bytes,
    mnist_like,
    py2_dumps,
    write_cifar10_tar,
    write_idx_folder,
    write_mnist_wheel,
    write_npz,
)

from cnnkit.datasets._formats import (
    _as_uint8,
    decode_cifar_archive,
    decode_idx_files,
    decode_mnist_pickle,
    decode_npz,
    parse_idx,
)
from cnnkit.errors import FileFormatError

KEYS = ("x_train", "y_train", "x_test", "y_test")
CIFAR10_MEMBERS = {
    "train": [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)],
    "test": ["cifar-10-batches-py/test_batch"],
}


def test_idx_files_decode_to_the_original_arrays(tmp_path: Path) -> None:
    arrays = mnist_like()
    folder = write_idx_folder(tmp_path, arrays)
    decoded = decode_idx_files([folder / n for n in IDX_NAMES])
    for key in KEYS:
        np.testing.assert_array_equal(decoded[key], arrays[key])
        assert decoded[key].flags.writeable


def test_idx_files_may_be_decompressed(tmp_path: Path) -> None:
    arrays = mnist_like()
    paths = []
    for name, key in zip(IDX_NAMES, KEYS):
        path = tmp_path / name.removesuffix(".gz")
        path.write_bytes(gzip.decompress(idx_bytes(arrays[key])))
        paths.append(path)
    np.testing.assert_array_equal(decode_idx_files(paths)["x_test"], arrays["x_test"])


def test_idx_with_a_bad_header_is_refused() -> None:
    with pytest.raises(FileFormatError, match="labels is not an IDX file"):
        parse_idx(b"PK\x03\x04 not idx", "labels")


def test_truncated_idx_is_refused() -> None:
    data = gzip.decompress(idx_bytes(np.zeros((3, 2, 2), np.uint8)))
    with pytest.raises(FileFormatError, match=r"declares shape \(3, 2, 2\).*truncated"):
        parse_idx(data[:-1], "images")


def test_npz_without_the_expected_arrays_is_refused(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "m.npz", {"x_train": np.zeros(2)})
    with pytest.raises(FileFormatError, match=r"lacks the arrays \['y_train'"):
        decode_npz([path], KEYS)


def test_a_file_that_is_not_a_zip_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    np.save(path.with_suffix(".npy"), np.zeros(3))  # a .npy, not an .npz
    path.write_bytes(path.with_suffix(".npy").read_bytes())
    with pytest.raises(FileFormatError, match=r"mnist\.npz is not an \.npz file"):
        decode_npz([path], KEYS)


def test_pixels_that_are_not_bytes_over_256_are_refused() -> None:
    with pytest.raises(FileFormatError, match="not multiples of 1/256"):
        _as_uint8(np.array([0.1], np.float32), "x_train")


def test_values_outside_a_byte_are_refused() -> None:
    with pytest.raises(FileFormatError, match=r"labels: values span \[0, 300\]"):
        _as_uint8(np.array([0, 300]), "labels")


def test_mnist_pickle_restores_keras_layout_and_exact_bytes(tmp_path: Path) -> None:
    arrays = mnist_like(n_train=9, n_test=4)
    wheel = write_mnist_wheel(tmp_path / "w.whl", arrays)
    import zipfile

    with zipfile.ZipFile(wheel) as zf, zf.open("mnist/data/mnist.pkl.gz") as f:
        decoded = decode_mnist_pickle(f)
    for key in KEYS:
        np.testing.assert_array_equal(decoded[key], arrays[key])
        assert decoded[key].dtype == np.uint8


def test_mnist_pickle_of_another_shape_is_refused() -> None:
    blob = gzip.compress(py2_dumps({b"not": b"a tuple"}))
    with pytest.raises(FileFormatError, match=r"should hold a \(train, valid, test\)"):
        decode_mnist_pickle(io.BytesIO(blob))


def test_cifar_archive_decodes_to_nhwc_and_column_labels(tmp_path: Path) -> None:
    arrays = cifar_like(10, 4)
    path = write_cifar10_tar(tmp_path / "c.tar.gz", arrays)
    decoded = decode_cifar_archive([path], CIFAR10_MEMBERS, {"": "labels"})
    for key in KEYS:
        np.testing.assert_array_equal(decoded[key], arrays[key])
    assert decoded["y_train"].shape == (10, 1)


def _tar_with(path: Path, members: dict[str, bytes | None]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            if payload is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return path


def test_cifar_archive_missing_a_batch_is_refused(tmp_path: Path) -> None:
    path = _tar_with(tmp_path / "c.tar.gz", {"other/file": b"x"})
    with pytest.raises(FileFormatError, match=r"no member 'cifar-10-batches-py/data"):
        decode_cifar_archive([path], CIFAR10_MEMBERS, {"": "labels"})


def test_cifar_member_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    path = _tar_with(tmp_path / "c.tar.gz", {"cifar-100-python/train": None})
    members = {"train": ["cifar-100-python/train"]}
    with pytest.raises(FileFormatError, match="is not a file"):
        decode_cifar_archive([path], members, {"": "labels"})


def test_cifar_member_that_is_not_a_dict_is_refused(tmp_path: Path) -> None:
    payload = pickle.dumps([1, 2, 3])
    path = _tar_with(tmp_path / "c.tar.gz", {"cifar-100-python/train": payload})
    members = {"train": ["cifar-100-python/train"]}
    with pytest.raises(FileFormatError, match="should be a pickled dict"):
        decode_cifar_archive([path], members, {"": "labels"})


def test_idx_header_declares_rank(tmp_path: Path) -> None:
    raw = struct.pack(">BBBBI", 0, 0, 8, 1, 2) + b"\x05\x06"
    np.testing.assert_array_equal(parse_idx(raw, "y"), [5, 6])
