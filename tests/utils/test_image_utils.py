"""load_img / img_to_array / array_to_img / save_img and the dataset image loader."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnkit import config
from cnnkit.errors import FileFormatError, InvalidArgumentError, InvalidTypeError
from cnnkit.utils.image_utils import (
    array_to_img,
    img_to_array,
    load_image_tensor,
    load_img,
    save_img,
)


def _gradient_png(
    path: Path, size: tuple[int, int] = (6, 4), mode: str = "RGB"
) -> Path:
    width, height = size
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    channels = {"RGB": 3, "RGBA": 4}
    if mode == "L":
        Image.fromarray(pixels[:, :, 0], "L").save(path)
    else:
        Image.fromarray(pixels[:, :, : channels[mode]], mode).save(path)
    return path


def test_load_img_color_modes(tmp_path: Path) -> None:
    path = _gradient_png(tmp_path / "a.png", mode="RGBA")
    assert load_img(path).mode == "RGB"
    assert load_img(str(path), color_mode="rgba").mode == "RGBA"
    assert load_img(path, color_mode="grayscale").mode == "L"


def test_load_img_keeps_16_bit_grayscale(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    Image.fromarray(np.full((2, 3), 40000, np.uint16)).save(path)
    img = load_img(path, color_mode="grayscale")
    assert img.mode in ("I;16", "I")
    assert img_to_array(img).max() == 40000


def test_load_img_resizes_to_height_width(tmp_path: Path) -> None:
    path = _gradient_png(tmp_path / "a.png", size=(6, 4))
    assert load_img(path, target_size=(2, 3)).size == (3, 2)
    assert load_img(path, target_size=(4, 6)).size == (6, 4)


def test_load_img_keep_aspect_ratio_crops_the_centre(tmp_path: Path) -> None:
    pixels = np.zeros((4, 8, 3), np.uint8)
    pixels[:, 2:6] = 255  # white square in the middle, black sides
    path = tmp_path / "wide.png"
    Image.fromarray(pixels).save(path)
    out = img_to_array(load_img(path, target_size=(2, 2), keep_aspect_ratio=True))
    assert out.min() == 255


def test_load_img_reads_file_objects() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (3, 3), (10, 20, 30)).save(buf, format="PNG")
    buf.seek(0)
    np.testing.assert_array_equal(img_to_array(load_img(buf))[0, 0], [10, 20, 30])


def test_load_img_rejects_bad_arguments(tmp_path: Path) -> None:
    path = _gradient_png(tmp_path / "a.png")
    with pytest.raises(InvalidArgumentError, match=r"`color_mode` must be one of"):
        load_img(path, color_mode="cmyk")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"`target_size` must be a tuple"):
        load_img(path, target_size=(0, 3))
    with pytest.raises(InvalidArgumentError, match=r"`interpolation` must be one of"):
        load_img(path, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(InvalidTypeError, match="received int"):
        load_img(42)  # type: ignore[arg-type]


def test_load_img_of_a_non_image_is_a_file_format_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(
        FileFormatError, match=r"Cannot read .*notes\.png.* as an image"
    ):
        load_img(path)


def test_load_img_of_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_img(tmp_path / "absent.png")


def test_img_to_array_layouts_and_dtype() -> None:
    img = Image.new("RGB", (5, 2))
    assert img_to_array(img).shape == (2, 5, 3)
    assert img_to_array(img).dtype == np.float32
    assert img_to_array(img, data_format="channels_first").shape == (3, 2, 5)
    assert img_to_array(Image.new("L", (5, 2))).shape == (2, 5, 1)
    assert img_to_array(img, dtype="uint8").dtype == np.uint8
    config.set_image_data_format("channels_first")
    try:
        assert img_to_array(img).shape == (3, 2, 5)
    finally:
        config.set_image_data_format("channels_last")


def test_img_to_array_refuses_what_is_not_an_image() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"received an array of shape \(4,\)"
    ):
        img_to_array(np.zeros(4))  # type: ignore[arg-type]


def test_array_to_img_scales_to_the_byte_range() -> None:
    x = np.array([[[-1.0], [1.0]]])
    np.testing.assert_array_equal(np.asarray(array_to_img(x)), [[0, 255]])
    unscaled = array_to_img(np.full((1, 2, 3), 7.0), scale=False)
    assert unscaled.mode == "RGB"
    assert np.asarray(unscaled).max() == 7


def test_array_to_img_modes() -> None:
    assert array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    assert array_to_img(np.zeros((3, 2, 2)), data_format="channels_first").size == (
        2,
        2,
    )
    assert array_to_img(np.full((2, 2, 1), 300.0), scale=False).mode == "I"


def test_array_to_img_rejects_wrong_rank_and_channels() -> None:
    with pytest.raises(InvalidArgumentError, match=r"rank 3.*\(2, 4, 4, 3\)"):
        array_to_img(np.zeros((2, 4, 4, 3)))
    with pytest.raises(
        InvalidArgumentError, match=r"received shape .* with 2 channels"
    ):
        array_to_img(np.zeros((4, 4, 2)))


def test_save_img_round_trip(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(0, 256, (4, 5, 3)).astype(np.float32)
    save_img(tmp_path / "a.png", x, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "a.png")), x)
    save_img(tmp_path / "b.jpg", x)  # "jpg" means JPEG for Pillow
    with Image.open(tmp_path / "b.jpg") as img:
        assert img.format == "JPEG"


def test_save_img_to_a_file_object_needs_a_format() -> None:
    buf = io.BytesIO()
    save_img(buf, np.zeros((2, 2, 1)), file_format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_save_img_rgba_as_jpeg_warns_and_converts(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        save_img(tmp_path / "a.jpeg", np.zeros((2, 2, 4)))
    with Image.open(tmp_path / "a.jpeg") as img:
        assert img.mode == "RGB"


def test_load_image_tensor_layout_and_values(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    Image.new("RGB", (8, 6), (255, 0, 0)).save(path)
    out = load_image_tensor(path, (3, 4))
    assert out.shape == (3, 4, 3)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out[..., 0], torch.full((3, 4), 255.0))
    first = load_image_tensor(path, (3, 4), data_format="channels_first")
    assert first.shape == (3, 3, 4)
    assert load_image_tensor(path, (2, 2), color_mode="grayscale").shape == (2, 2, 1)


def test_load_image_tensor_pads_with_zeros(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("L", (4, 2), 200).save(path)
    out = load_image_tensor(
        path, (4, 4), color_mode="grayscale", pad_to_aspect_ratio=True,
        interpolation="nearest",
    )  # fmt: skip
    assert out[0, :, 0].tolist() == [0.0] * 4  # top padding row
    assert out[1, :, 0].tolist() == [200.0] * 4


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("interpolation", "crop", "pad", "color_mode", "data_format"),
    [
        ("bilinear", False, False, "rgb", "channels_last"),
        ("nearest", False, False, "rgb", "channels_last"),
        ("bicubic", False, False, "rgba", "channels_last"),
        ("bilinear", True, False, "rgb", "channels_last"),
        ("bilinear", False, True, "grayscale", "channels_last"),
        ("nearest", True, False, "rgb", "channels_first"),
    ],
)
def test_load_image_tensor_matches_keras_torch_backend(
    tmp_path: Path,
    interpolation: str,
    crop: bool,
    pad: bool,
    color_mode: str,
    data_format: str,
) -> None:
    from keras.src.utils.image_dataset_utils import _load_image_grain

    path = _gradient_png(tmp_path / "a.png", size=(13, 7), mode="RGBA")
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]
    theirs = _load_image_grain(
        str(path), (5, 9), channels, interpolation, data_format, crop, pad
    )
    ours = load_image_tensor(
        path, (5, 9), color_mode, interpolation, data_format, crop, pad
    )
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-4)


@pytest.mark.oracle
def test_pil_helpers_match_keras(tmp_path: Path) -> None:
    import keras

    path = _gradient_png(tmp_path / "a.png", size=(13, 7), mode="RGBA")
    for kwargs in (
        {},
        {"color_mode": "grayscale", "target_size": (4, 4)},
        {"target_size": (5, 3), "keep_aspect_ratio": True, "interpolation": "bilinear"},
    ):
        ours = img_to_array(load_img(path, **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(path, **kwargs))
        np.testing.assert_array_equal(ours, theirs)
    x = np.random.default_rng(1).normal(size=(3, 4, 3))
    np.testing.assert_array_equal(
        np.asarray(array_to_img(x)), np.asarray(keras.utils.array_to_img(x))
    )
