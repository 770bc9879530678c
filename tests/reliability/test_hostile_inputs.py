"""Dataset files and images whose headers declare far more than they hold."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnkit.datasets import _formats
from cnnkit.errors import FileFormatError, InvalidArgumentError
from cnnkit.utils import image_utils, load_img
from cnnkit.utils.digit_image import load_image_as_input


def test_npz_declaring_a_huge_array(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**9,)}
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", header.getvalue() + bytes(16))
    with pytest.raises(
        FileFormatError,
        match=r"mnist.npz: array 'x_train.npy' declares shape \(1000000000,\) "
        r"\(4000000000 bytes\) but the member holds only",
    ):
        _formats.read_npz(path, ["x_train"])


def test_npz_that_is_honest_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.npz"
    np.savez_compressed(path, x_train=np.arange(6, dtype=np.uint8))
    assert _formats.read_npz(path, ["x_train"])["x_train"].tolist() == list(range(6))


def test_gzip_bomb_in_an_idx_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_formats, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(struct.pack(">BBBBI", 0, 0, 8, 1, 3 << 20)
                                   + bytes(3 << 20)))  # fmt: skip
    with pytest.raises(FileFormatError, match=r"inflates to more than 1048576 bytes"):
        _formats.decode_idx_files([path] * 4)


def _png(path: Path, width: int, height: int) -> Path:
    Image.new("1", (width, height)).save(path)  # 1 bit a pixel: small to write
    return path


def test_image_over_the_pixel_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_utils, "MAX_PIXELS", 10_000)
    path = _png(tmp_path / "big.png", 200, 100)
    with pytest.raises(
        FileFormatError, match=r"big.png' declares a 200x100 image \(20000 pixels\)"
    ):
        load_img(path)
    with pytest.raises(InvalidArgumentError, match=r"declares a 200x100 image"):
        load_image_as_input(str(path), (28, 28, 1))


def test_pixel_bomb_png_header(tmp_path: Path) -> None:
    # A PNG whose header declares 30000x30000: Pillow's own guard fires first.
    path = tmp_path / "bomb.png"
    png = io.BytesIO()
    Image.new("1", (8, 8)).save(png, format="PNG")
    data = bytearray(png.getvalue())
    struct.pack_into(">II", data, 16, 30000, 30000)
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match=r"Cannot read .*bomb.png"):
        load_img(path)
    with pytest.raises(InvalidArgumentError, match=r"Cannot read image .*bomb.png"):
        load_image_as_input(str(path), (28, 28, 1))


def test_cifar_member_declaring_too_much(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_formats, "MAX_DECOMPRESSED_BYTES", 1000)
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = 2000
        tar.addfile(info, io.BytesIO(bytes(2000)))
    with pytest.raises(
        FileFormatError, match=r"data_batch_1' in the CIFAR archive declares 2000 "
        "bytes, more than the 1000",
    ):  # fmt: skip
        _formats.decode_cifar_archive(
            [path], {"train": ["cifar-10-batches-py/data_batch_1"]}, {"": "labels"}
        )


def test_gzip_bomb_in_the_mnist_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_formats, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    stream = io.BytesIO(gzip.compress(bytes(2 << 20)))
    with pytest.raises(
        FileFormatError, match=r"mnist.pkl.gz inflates to more than 1048576 bytes"
    ):
        _formats.decode_mnist_pickle(stream)


@pytest.mark.parametrize(
    ("fmt", "position", "raised"),
    [
        ("BMP", 30, "unknown raw mode"),  # the compression field
        ("PNG", 35, "broken PNG file"),  # a chunk type (Pillow's SyntaxError)
    ],
)
def test_damaged_image_headers_are_file_errors(
    tmp_path: Path, fmt: str, position: int, raised: str
) -> None:
    # Found by the image fuzzer: Pillow raises ValueError or SyntaxError, not
    # only OSError, for some damaged headers; they were bare.
    pixels = np.random.default_rng(0).integers(0, 255, (12, 16, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    data = bytearray(buffer.getvalue())
    data[position] ^= 1 << (0 if fmt == "BMP" else 1)
    path = tmp_path / f"damaged.{fmt.lower()}"
    path.write_bytes(bytes(data))
    with pytest.raises(
        FileFormatError, match=r"Cannot read .*damaged.* as an image"
    ) as info:
        load_img(path)
    assert raised in str(info.value)


def test_npz_member_over_the_cap_is_not_inflated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_formats, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    path = tmp_path / "mnist.npz"
    # Honest (the header matches the data) and 2 MiB of zeros: ~2 kB on disk.
    np.savez_compressed(path, x_train=np.zeros(2 << 20, np.uint8))
    with pytest.raises(
        FileFormatError,
        match=r"mnist.npz: array 'x_train.npy' inflates to 2097\d+ bytes, more than "
        "the 1048576",
    ):
        _formats.read_npz(path, ["x_train"])


def _unknown_compression(path: Path) -> None:
    """Set every central-directory entry's compression method to 99 (AES)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<H", data, at + 10, 99)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_npz_with_an_unknown_compression_method(tmp_path: Path) -> None:
    # Found by the npz fuzzer: zipfile raises NotImplementedError, which no
    # dataset source expected.
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.arange(6, dtype=np.uint8))
    _unknown_compression(path)
    with pytest.raises(
        FileFormatError,
        match=r"mnist.npz is a damaged or unsupported zip archive \(That compression "
        "method is not supported\\)",
    ):
        _formats.read_npz(path, ["x_train"])
