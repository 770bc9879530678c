"""``tf.random``, ``tf.image`` and ``tf.io`` as image tutorials call them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnkit.compat import tf_api as tf
from cnnkit.compat.tf import io as tf_io
from cnnkit.utils import image_utils

# ------------------------------------------------------------------- random


def test_uniform_and_normal_defaults_shapes_and_ranges() -> None:
    tf.random.set_seed(0)
    u = tf.random.uniform([1000])
    assert u.dtype == tf.float32
    assert float(u.min()) >= 0.0
    assert float(u.max()) < 1.0
    scaled = tf.random.uniform((2, 3), minval=-2.0, maxval=-1.0)
    assert scaled.shape == (2, 3)
    assert float(scaled.max()) < -1.0
    ints = tf.random.uniform([500], minval=0, maxval=3, dtype=tf.int32)
    assert ints.dtype == tf.int32
    assert set(ints.tolist()) == {0, 1, 2}
    n = tf.random.normal([4000], mean=2.0, stddev=0.5)
    assert float(n.mean()) == pytest.approx(2.0, abs=0.05)
    assert float(n.std()) == pytest.approx(0.5, abs=0.05)
    t = tf.random.truncated_normal([2000])
    assert float(t.abs().max()) <= 2.0
    assert tf.random.normal(tf.shape(tf.zeros([2, 5]))).shape == (2, 5)


def test_uniform_integers_need_maxval() -> None:
    with pytest.raises(ValueError, match=r"`maxval` is required for an integer dtype"):
        tf.random.uniform([2], dtype=tf.int64)


def test_set_seed_and_op_seeds_repeat_like_tensorflow() -> None:
    tf.random.set_seed(7)
    first = [tf.random.uniform([2], seed=1), tf.random.uniform([2], seed=1)]
    tf.random.set_seed(7)
    again = [tf.random.uniform([2], seed=1), tf.random.uniform([2], seed=1)]
    # Two calls with one op seed differ, and the same two come back after set_seed.
    assert not torch.equal(first[0], first[1])
    assert torch.equal(first[0], again[0])
    assert torch.equal(first[1], again[1])


def test_op_seed_must_be_an_int() -> None:
    with pytest.raises(TypeError, match=r"tf\.random: `seed` must be an int or None"):
        tf.random.normal([1], seed=1.5)  # type: ignore[arg-type]


def test_shuffle_permutes_rows_and_categorical_draws_ids() -> None:
    x = tf.reshape(tf.range(10), [5, 2])
    shuffled = tf.random.shuffle(x, seed=3)
    assert sorted(shuffled[:, 0].tolist()) == [0, 2, 4, 6, 8]
    ids = tf.random.categorical(tf.math.log([[0.0001, 0.9999]]), num_samples=20)
    assert ids.shape == (1, 20)
    assert ids.dtype == tf.int64
    assert int(ids.sum()) >= 15


# -------------------------------------------------------------------- image

IMAGE = torch.arange(2 * 4 * 6 * 3, dtype=torch.float32).reshape(2, 4, 6, 3) / 144


def test_resize_returns_float32_except_nearest() -> None:
    out = tf.image.resize(IMAGE, [8, 12])
    assert out.shape == (2, 8, 12, 3)
    assert out.dtype == tf.float32
    single = tf.image.resize(tf.cast(IMAGE[0] * 255, tf.uint8), (2, 3))
    assert single.shape == (2, 3, 3)
    assert single.dtype == tf.float32
    assert float(single.max()) > 1.0  # values are not rescaled
    near = tf.image.resize(tf.cast(IMAGE[0] * 255, tf.uint8), (8, 12), method="nearest")
    assert near.dtype == tf.uint8
    area = tf.image.resize(IMAGE, (2, 3), method=tf.image.ResizeMethod.AREA)
    np.testing.assert_allclose(area[0, 0, 0].numpy(), IMAGE[0, :2, :2].mean((0, 1)))
    kept = tf.image.resize(IMAGE, (8, 8), preserve_aspect_ratio=True)
    assert kept.shape == (2, 5, 8, 3)
    assert (
        tf.image.resize(IMAGE, (8, 12), method="bicubic", antialias=True).shape[1] == 8
    )


def test_resize_errors() -> None:
    with pytest.raises(
        ValueError, match=r"`method` must be one of \['area', 'bicubic'"
    ):
        tf.image.resize(IMAGE, (2, 2), method="lanczos9")
    with pytest.raises(ValueError, match=r"`size` must be \[height, width\]"):
        tf.image.resize(IMAGE, (2, 2, 2))
    with pytest.raises(
        ValueError, match=r"`images` must be 3-D .* received shape \(4, 6\)"
    ):
        tf.image.resize(IMAGE[0, :, :, 0], (2, 2))


def test_flips_rotations_and_random_flips() -> None:
    assert torch.equal(tf.image.flip_left_right(IMAGE), IMAGE.flip(2))
    assert torch.equal(tf.image.flip_up_down(IMAGE[0]), IMAGE[0].flip(0))
    assert tf.image.rot90(IMAGE[0]).shape == (6, 4, 3)
    tf.random.set_seed(1)
    batch = IMAGE.repeat(16, 1, 1, 1)
    flipped = tf.image.random_flip_left_right(batch)
    changed = [not torch.equal(a, b) for a, b in zip(flipped, batch)]
    assert 0 < sum(changed) < 32  # each image of the batch decides for itself
    for a, b in zip(flipped, batch):
        assert torch.equal(a, b) or torch.equal(a, b.flip(1))
    assert tf.image.random_flip_up_down(IMAGE[0], seed=2).shape == (4, 6, 3)


def test_crops() -> None:
    crop = tf.image.random_crop(IMAGE[0], size=[2, 3, 3], seed=4)
    assert crop.shape == (2, 3, 3)
    with pytest.raises(
        ValueError, match=r"random_crop: `size` must give one size per axis"
    ):
        tf.image.random_crop(IMAGE[0], size=[5, 3, 3])
    central = tf.image.central_crop(IMAGE, central_fraction=0.5)
    assert torch.equal(central, IMAGE[:, 1:3, 1:5])
    with pytest.raises(ValueError, match=r"`central_fraction` must be in \(0, 1\]"):
        tf.image.central_crop(IMAGE, 0.0)
    box = tf.image.crop_to_bounding_box(IMAGE[0], 1, 2, 2, 3)
    assert torch.equal(box, IMAGE[0, 1:3, 2:5])
    with pytest.raises(ValueError, match=r"the box rows 3..5 and columns 0..1 leave"):
        tf.image.crop_to_bounding_box(IMAGE[0], 3, 0, 2, 1)
    padded = tf.image.resize_with_crop_or_pad(IMAGE[0], 6, 4)
    assert padded.shape == (6, 4, 3)
    assert torch.equal(padded[1:5], IMAGE[0, :, 1:5])
    assert float(padded[0].abs().sum()) == 0


def test_convert_image_dtype_rescales_like_tensorflow() -> None:
    pixels = torch.tensor([0, 128, 255], dtype=torch.uint8)
    as_float = tf.image.convert_image_dtype(pixels, tf.float32)
    np.testing.assert_allclose(as_float.numpy(), [0.0, 128 / 255, 1.0], rtol=1e-6)
    back = tf.image.convert_image_dtype(tf.constant([0.0, 0.999, 1.0]), tf.uint8)
    assert back.tolist() == [0, 255, 255]  # x * 255.5, truncated
    sat = tf.image.convert_image_dtype(tf.constant([1.5]), tf.uint8, saturate=True)
    assert sat.tolist() == [255]
    assert tf.image.convert_image_dtype(as_float, tf.float16).dtype == tf.float16
    assert tf.image.convert_image_dtype(pixels, tf.uint8) is pixels
    wide = tf.image.convert_image_dtype(pixels, tf.int16)
    assert wide.tolist() == [0, 16384, 32640]


def test_brightness_contrast_and_their_random_forms() -> None:
    x = tf.constant([[[0.2], [0.4]]])
    np.testing.assert_allclose(
        tf.image.adjust_brightness(x, 0.1).numpy(), [[[0.3], [0.5]]]
    )
    np.testing.assert_allclose(
        tf.image.adjust_contrast(x, 2.0).numpy(), [[[0.1], [0.5]]]
    )
    pixels = torch.tensor([[[250]]], dtype=torch.uint8)
    assert tf.image.adjust_brightness(pixels, 0.5).tolist() == [[[255]]]  # saturates
    bright = tf.image.random_brightness(x, max_delta=0.1, seed=1)
    assert float((bright - x).abs().max()) <= 0.1 + 1e-6
    contrast = tf.image.random_contrast(x, lower=0.5, upper=1.5, seed=1)
    assert contrast.shape == x.shape
    with pytest.raises(ValueError, match=r"`max_delta` must be >= 0"):
        tf.image.random_brightness(x, -0.1)
    with pytest.raises(ValueError, match=r"need 0 <= lower < upper"):
        tf.image.random_contrast(x, 1.5, 0.5)


def test_grayscale_and_standardization() -> None:
    gray = tf.image.rgb_to_grayscale(IMAGE)
    expected = (IMAGE * torch.tensor([0.2989, 0.5870, 0.1140])).sum(-1, keepdim=True)
    np.testing.assert_allclose(gray.numpy(), expected.numpy(), rtol=1e-6)
    assert tf.image.grayscale_to_rgb(gray).shape == IMAGE.shape
    with pytest.raises(ValueError, match=r"rgb_to_grayscale: the last axis must be 3"):
        tf.image.rgb_to_grayscale(gray)
    with pytest.raises(ValueError, match=r"grayscale_to_rgb: the last axis must be 1"):
        tf.image.grayscale_to_rgb(IMAGE)
    standard = tf.image.per_image_standardization(IMAGE)
    assert float(standard[0].mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(standard[0].std(correction=0)) == pytest.approx(1.0, abs=1e-4)


# ------------------------------------------------------------- decode / read


def _png(array: np.ndarray, mode: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_read_file_and_decode_png_jpeg(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype("uint8")
    path = tmp_path / "x.png"
    path.write_bytes(_png(rgb, "RGB"))
    contents = tf.io.read_file(str(path))
    image = tf.io.decode_png(contents)
    assert image.dtype == tf.uint8
    assert image.shape == (5, 7, 3)
    assert np.array_equal(image.numpy(), rgb)
    assert tf.image.decode_png(contents, channels=1).shape == (5, 7, 1)
    assert tf.image.decode_image(contents, channels=4).shape == (5, 7, 4)
    as_float = tf.image.decode_image(contents, dtype=tf.float32)
    assert float(as_float.max()) <= 1.0
    gray = tf.image.decode_png(_png(rgb[..., 0], "L"))
    assert gray.shape == (5, 7, 1)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG")
    assert tf.image.decode_jpeg(buffer.getvalue(), channels=3).shape == (5, 7, 3)


def test_decode_errors_say_what_was_expected() -> None:
    with pytest.raises(TypeError, match=r"`contents` must be the file's bytes"):
        tf.image.decode_png("x.png")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"`channels` must be 0 \(as stored\), 1, 3 or 4"
    ):
        tf.image.decode_png(b"", channels=2)
    with pytest.raises(ValueError, match=r"the bytes are not an image Pillow can read"):
        tf.image.decode_jpeg(b"not an image")


def test_decode_refuses_images_past_the_pixel_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(image_utils, "MAX_PIXELS", 10)
    with pytest.raises(ValueError, match=r"declares a 4x4 image \(16 pixels\)"):
        tf.image.decode_png(_png(np.zeros((4, 4), "uint8"), "L"))


def test_read_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError, match=r"`filename` is a numeric tensor"):
        tf.io.read_file(tf.constant(1))
    with pytest.raises(TypeError, match=r"`filename` must be a path \(str\)"):
        tf.io.read_file(3)
    big = tmp_path / "big.bin"
    big.write_bytes(b"0" * 20)
    monkeypatch.setattr(tf_io, "MAX_FILE_BYTES", 10)
    with pytest.raises(ValueError, match=r"is 20 bytes, more than the 10 cnnkit reads"):
        tf.io.read_file(big)


def test_hsv_round_trip_and_known_colours() -> None:
    colours = tf.constant(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]]
    )
    hsv = tf.image.rgb_to_hsv(colours)
    np.testing.assert_allclose(
        hsv.numpy(), [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, 0.5]], atol=1e-6
    )
    np.testing.assert_allclose(
        tf.image.hsv_to_rgb(hsv).numpy(), colours.numpy(), atol=1e-6
    )
    np.testing.assert_allclose(tf.image.rgb_to_hsv(tf.zeros([3])).numpy(), [0, 0, 0])
    np.testing.assert_allclose(
        tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(IMAGE)).numpy(),
        IMAGE.numpy(),
        atol=1e-5,
    )
    with pytest.raises(ValueError, match=r"rgb_to_hsv: the last axis must be 3"):
        tf.image.rgb_to_hsv(tf.zeros([2, 2]))
    with pytest.raises(ValueError, match=r"hsv_to_rgb: the last axis must be 3"):
        tf.image.hsv_to_rgb(tf.zeros([2, 4]))


def test_hue_saturation_gamma_adjustments() -> None:
    red = tf.constant([[[1.0, 0.0, 0.0]]])
    np.testing.assert_allclose(
        tf.image.adjust_hue(red, 1 / 3).numpy(), [[[0, 1, 0]]], atol=1e-6
    )
    gray = tf.image.adjust_saturation(red, 0.0)
    np.testing.assert_allclose(gray.numpy(), [[[1, 1, 1]]], atol=1e-6)
    pixels = torch.tensor([[[200, 10, 10]]], dtype=torch.uint8)
    assert tf.image.adjust_hue(pixels, 0.5).dtype == tf.uint8
    np.testing.assert_allclose(
        tf.image.adjust_gamma(tf.constant([0.25]), 0.5).numpy(), [0.5]
    )
    assert tf.image.random_hue(IMAGE, 0.1, seed=1).shape == IMAGE.shape
    assert tf.image.random_saturation(IMAGE, 0.5, 1.5, seed=1).shape == IMAGE.shape
    with pytest.raises(ValueError, match=r"adjust_hue: `delta` must be in \[-1, 1\]"):
        tf.image.adjust_hue(red, 2.0)
    with pytest.raises(ValueError, match=r"adjust_gamma: `gamma` must be >= 0"):
        tf.image.adjust_gamma(red, -1.0)
    with pytest.raises(
        ValueError, match=r"random_hue: `max_delta` must be in \[0, 0\.5\]"
    ):
        tf.image.random_hue(red, 0.7)
    with pytest.raises(ValueError, match=r"random_saturation: need 0 <= lower < upper"):
        tf.image.random_saturation(red, 1.0, 1.0)


def _patches_reference(
    x: np.ndarray, k: int, s: int, r: int, pad: tuple[int, int]
) -> np.ndarray:
    x = np.pad(x, [(0, 0), pad, pad, (0, 0)])
    span = (k - 1) * r + 1
    rows = (x.shape[1] - span) // s + 1
    cols = (x.shape[2] - span) // s + 1
    out = np.zeros((x.shape[0], rows, cols, k * k * x.shape[3]), x.dtype)
    for i in range(rows):
        for j in range(cols):
            window = x[:, i * s : i * s + span : r, j * s : j * s + span : r, :]
            out[:, i, j] = window.reshape(x.shape[0], -1)  # (rows, cols, channels)
    return out


@pytest.mark.parametrize(
    ("k", "s", "r", "padding", "pad"),
    [(2, 2, 1, "VALID", (0, 0)), (3, 1, 1, "VALID", (0, 0)), (3, 2, 2, "VALID", (0, 0)),
     (3, 1, 1, "SAME", (1, 1))],
)  # fmt: skip
def test_extract_patches_matches_a_loop(
    k: int, s: int, r: int, padding: str, pad: tuple[int, int]
) -> None:
    x = np.random.default_rng(1).random((2, 7, 7, 3)).astype("float32")
    got = tf.image.extract_patches(
        images=x, sizes=[1, k, k, 1], strides=[1, s, s, 1], rates=[1, r, r, 1],
        padding=padding,
    )  # fmt: skip
    np.testing.assert_allclose(got.numpy(), _patches_reference(x, k, s, r, pad))


def test_extract_patches_same_padding_is_tf_shaped_and_errors() -> None:
    x = tf.zeros([1, 5, 5, 2])
    same = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    assert same.shape == (1, 3, 3, 8)  # ceil(5 / 2) patches per side
    with pytest.raises(ValueError, match=r"`sizes` must be \[1, rows, cols, 1\]"):
        tf.image.extract_patches(x, [2, 2], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match=r"`padding` must be 'VALID' or 'SAME'"):
        tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "FULL")
    with pytest.raises(ValueError, match=r"`images` must be 4-D"):
        tf.image.extract_patches(
            x[0], [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"
        )


def test_psnr_per_image() -> None:
    a = tf.zeros([2, 4, 4, 1])
    b = tf.fill([2, 4, 4, 1], 0.1)
    np.testing.assert_allclose(
        tf.image.psnr(a, b, max_val=1.0).numpy(), [20.0, 20.0], rtol=1e-5
    )
