"""How ``cnnkit predict`` turns image files into model inputs (and outputs into odds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnkit.explain import as_probabilities
from cnnkit.utils.digit_image import load_image_as_input as image_to_input


def _digit() -> np.ndarray:
    """A 28x28 uint8 "0": a light ring inside MNIST's 20x20 box, mass-centred."""
    yy, xx = np.mgrid[0:28, 0:28]
    radius = np.hypot((yy - 13.5) / 10, (xx - 13.5) / 7)
    ring = np.clip(1.2 - np.abs(radius - 0.8) * 6, 0, 1)
    return np.round(ring * 255).astype(np.uint8)


def _save(
    tmp_path: Path, name: str, pixels: np.ndarray, mode: str | None = None
) -> str:
    image = Image.fromarray(pixels)
    if mode is not None:
        image = image.convert(mode)
    path = tmp_path / name
    image.save(path)
    return str(path)


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    return (
        float((rows * image).sum() / image.sum()),
        float((cols * image).sum() / image.sum()),
    )


def test_mnist_style_image_is_read_as_is(tmp_path: Path) -> None:
    digit = _digit()
    x = image_to_input(_save(tmp_path, "d.png", digit), (28, 28, 1))
    assert (x.shape, x.dtype) == ((28, 28, 1), np.float32)
    assert digit.max() == 255
    np.testing.assert_allclose(x[..., 0], digit / 255.0, atol=1e-6)


def test_dark_on_light_is_inverted(tmp_path: Path) -> None:
    digit = _digit()
    light = image_to_input(_save(tmp_path, "w.png", digit), (28, 28, 1))
    dark = image_to_input(_save(tmp_path, "b.png", 255 - digit), (28, 28, 1))
    np.testing.assert_allclose(dark, light, atol=1e-6)


def test_grey_paper_becomes_black(tmp_path: Path) -> None:
    # A photo of pencil on grey paper: background 200, strokes 50.
    digit = _digit() / 255.0
    photo = (200 - 150 * digit).astype(np.uint8)
    x = image_to_input(_save(tmp_path, "photo.jpg", photo), (28, 28, 1))[..., 0]
    assert np.median(x) == pytest.approx(0.0, abs=0.02)
    assert x.max() == pytest.approx(1.0)


def test_blank_page_gives_a_blank_input(tmp_path: Path) -> None:
    blank = np.full((28, 28), 255, np.uint8)
    x = image_to_input(_save(tmp_path, "blank.png", blank), (28, 28, 1))
    assert not x.any()


@pytest.mark.parametrize("polarity", ["light-on-dark", "dark-on-light"])
def test_big_rgb_image_is_brought_back_to_mnist_framing(
    tmp_path: Path, polarity: str
) -> None:
    digit = _digit()
    big = np.asarray(
        Image.fromarray(digit).resize((64, 64), Image.Resampling.BICUBIC).convert("RGB")
    )
    if polarity == "dark-on-light":
        big = 255 - big
    x = image_to_input(_save(tmp_path, "big.png", big), (28, 28, 1))[..., 0]
    rows, cols = np.nonzero(x > 30 / 255)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == 20  # MNIST's 20x20 box
    assert _centre_of_mass(x) == pytest.approx((13.5, 13.5), abs=0.6)
    assert np.corrcoef(x.ravel(), digit.ravel())[0, 1] > 0.9


def test_off_centre_drawing_is_centred_by_mass(tmp_path: Path) -> None:
    canvas = np.zeros((100, 150), np.uint8)
    canvas[5:45, 100:120] = 255  # a bar near the top right corner
    x = image_to_input(_save(tmp_path, "bar.png", canvas), (28, 28, 1))[..., 0]
    assert _centre_of_mass(x) == pytest.approx((13.5, 13.5), abs=0.6)
    rows, _ = np.nonzero(x > 0.5)
    assert np.ptp(rows) + 1 == 20  # the long side fills the box


def test_transparent_background_counts_as_paper(tmp_path: Path) -> None:
    # A drawing app: black strokes with alpha 255 on a fully transparent canvas.
    digit = _digit()
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = digit  # colour channels stay black everywhere
    x = image_to_input(_save(tmp_path, "strokes.png", rgba), (28, 28, 1))
    expected = image_to_input(_save(tmp_path, "d.png", digit), (28, 28, 1))
    np.testing.assert_allclose(x, expected, atol=2 / 255)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".gif", ".tiff", ".webp"])
def test_common_formats_are_read(tmp_path: Path, suffix: str) -> None:
    digit = _digit()
    x = image_to_input(_save(tmp_path, f"d{suffix}", digit, "RGB"), (28, 28, 1))
    assert np.corrcoef(x.ravel(), digit.ravel())[0, 1] > 0.98  # lossy formats too


def test_rgb_model_gets_a_resized_colour_image(tmp_path: Path) -> None:
    colour = np.zeros((64, 64, 3), np.uint8)
    colour[..., 0] = 255  # pure red
    x = image_to_input(_save(tmp_path, "red.png", colour), (32, 32, 3))
    assert x.shape == (32, 32, 3)
    np.testing.assert_allclose(x[..., 0], 1.0)
    np.testing.assert_allclose(x[..., 1:], 0.0)


def test_grayscale_file_for_an_rgb_model(tmp_path: Path) -> None:
    x = image_to_input(_save(tmp_path, "d.png", _digit()), (28, 28, 3))
    assert x.shape == (28, 28, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])


def test_probabilities_pass_through() -> None:
    rows = np.array([[0.1, 0.9], [0.5, 0.5]], np.float32)
    np.testing.assert_allclose(as_probabilities(rows), rows, rtol=1e-6)


def test_logits_go_through_softmax() -> None:
    logits = np.array([[2.0, 0.0, -1.0]])
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(as_probabilities(logits), expected)


def test_one_sigmoid_unit_is_two_classes() -> None:
    np.testing.assert_allclose(as_probabilities(np.array([[0.8]])), [[0.2, 0.8]])
    np.testing.assert_allclose(
        as_probabilities(np.array([[0.0], [1.0]])), [[1.0, 0.0], [0.0, 1.0]]
    )
    # A raw logit (no sigmoid in the model): 0 means even odds.
    np.testing.assert_allclose(
        as_probabilities(np.array([[-2.0], [0.0]]))[1], [0.5, 0.5]
    )


def test_a_photo_under_uneven_light_is_not_read_as_ink(tmp_path: Path) -> None:
    # Dark ink on paper lit from one side: 170 on the left, 240 on the right.
    digit = np.asarray(Image.fromarray(_digit()).resize((96, 96)), np.float32) / 255
    page = np.tile(np.linspace(170, 240, 160), (160, 1))
    page[32:128, 32:128] *= 1 - 0.8 * digit
    x = image_to_input(_save(tmp_path, "photo.png", page.astype(np.uint8)), (28, 28, 1))
    x = x[..., 0]
    rows, cols = np.nonzero(x > 30 / 255)
    assert (
        max(np.ptp(rows), np.ptp(cols)) + 1 == 20
    )  # cropped to the digit, not the shade
    assert np.corrcoef(x.ravel(), image_to_input(
        _save(tmp_path, "d.png", _digit()), (28, 28, 1)
    ).ravel())[0, 1] > 0.9  # fmt: skip
