"""``tf.image.ssim``/``psnr``/``sobel_edges``/``total_variation``/
``image_gradients`` on known values (closed forms, a window-by-window NumPy SSIM,
TF's documented examples), and the ``stateless_random_*`` augmentations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit.compat import tf_api as tf


def _ssim_by_windows(x: np.ndarray, y: np.ndarray, max_val: float) -> float:
    """Wang et al.'s SSIM, one 11x11 Gaussian window at a time (TF's constants)."""
    coords = np.arange(11) - 5.0
    g = np.exp(-(coords**2) / (2 * 1.5**2))
    w = np.outer(g, g)
    w /= w.sum()
    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    values = []
    for c in range(x.shape[-1]):
        for i in range(x.shape[0] - 10):
            for j in range(x.shape[1] - 10):
                a, b = x[i : i + 11, j : j + 11, c], y[i : i + 11, j : j + 11, c]
                mu_a, mu_b = (w * a).sum(), (w * b).sum()
                var_a = (w * a * a).sum() - mu_a**2
                var_b = (w * b * b).sum() - mu_b**2
                cov = (w * a * b).sum() - mu_a * mu_b
                values.append(
                    (2 * mu_a * mu_b + c1)
                    * (2 * cov + c2)
                    / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
                )
    return float(np.mean(values))


def test_ssim_matches_a_window_by_window_reference() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(13, 12, 2))
    y = np.clip(x + rng.normal(scale=0.1, size=x.shape), 0, 1)
    ours = tf.image.ssim(tf.constant(x), tf.constant(y), max_val=1.0)
    assert ours.shape == ()
    np.testing.assert_allclose(float(ours), _ssim_by_windows(x, y, 1.0), rtol=1e-10)
    swapped = tf.image.ssim(tf.constant(y), tf.constant(x), max_val=1.0)
    np.testing.assert_allclose(float(swapped), float(ours), rtol=1e-12)


def test_ssim_of_an_image_with_itself_is_one_and_constant_images_in_closed_form() -> (
    None
):
    images = tf.random.stateless_uniform([3, 16, 16, 3], seed=[1, 2])
    np.testing.assert_allclose(
        tf.image.ssim(images, images, max_val=1.0).numpy(), [1.0, 1.0, 1.0], atol=1e-6
    )
    # float64: in float32 the zero variances come out as rounding noise ~1e-8,
    # which moves the result by ~1e-4 next to c2 = 9e-4 (in TF as well).
    a = tf.fill([1, 11, 11, 1], tf.constant(0.2, dtype=tf.float64))
    b = tf.fill([1, 11, 11, 1], tf.constant(0.6, dtype=tf.float64))
    # No variance: only the luminance term (2ab + c1) / (a² + b² + c1) is left.
    expected = (2 * 0.2 * 0.6 + 1e-4) / (0.2**2 + 0.6**2 + 1e-4)
    np.testing.assert_allclose(float(tf.image.ssim(a, b, 1.0)[0]), expected, rtol=1e-9)
    index_map = tf.image.ssim(images, images * 0.5, 1.0, return_index_map=True)
    assert tuple(index_map.shape) == (3, 6, 6)


def test_ssim_of_uint8_images_equals_the_float_ones() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(2, 12, 12, 3)).astype("uint8")
    y = rng.integers(0, 256, size=(2, 12, 12, 3)).astype("uint8")
    as_uint8 = tf.image.ssim(tf.constant(x), tf.constant(y), max_val=255)
    as_float = tf.image.ssim(
        tf.constant((x / 255).astype("float32")),
        tf.constant((y / 255).astype("float32")),
        max_val=1.0,
    )
    np.testing.assert_allclose(as_uint8.numpy(), as_float.numpy(), atol=1e-6)


def test_ssim_is_a_differentiable_loss() -> None:
    target = tf.random.stateless_uniform([1, 12, 12, 1], seed=[3, 3])
    x = tf.Variable(tf.random.stateless_uniform([1, 12, 12, 1], seed=[4, 4]))
    with tf.GradientTape() as tape:
        loss = 1.0 - tf.reduce_mean(tf.image.ssim(x, target, max_val=1.0))
    grad = tape.gradient(loss, x)
    assert grad is not None
    assert float(tf.reduce_sum(tf.abs(grad))) > 0


def test_ssim_errors() -> None:
    small = tf.zeros([1, 8, 8, 1])
    with pytest.raises(ValueError, match=r"\(8x8\) must be at least filter_size=11"):
        tf.image.ssim(small, small, 1.0)
    with pytest.raises(ValueError, match=r"images of one shape"):
        tf.image.ssim(tf.zeros([12, 12, 1]), tf.zeros([12, 12, 3]), 1.0)


def test_psnr_closed_form() -> None:
    a = tf.zeros([2, 4, 4, 3])
    b = tf.fill([2, 4, 4, 3], 0.1)
    np.testing.assert_allclose(
        tf.image.psnr(a, b, max_val=1.0).numpy(), [20.0, 20.0], rtol=1e-5
    )


def test_sobel_edges_of_a_ramp() -> None:
    ramp = tf.reshape(tf.tile(tf.range(5, dtype=tf.float32), [4]), [1, 4, 5, 1])
    edges = tf.image.sobel_edges(ramp)
    assert tuple(edges.shape) == (1, 4, 5, 1, 2)
    dy, dx = edges[0, :, :, 0, 0], edges[0, :, :, 0, 1]
    assert not dy.any()
    # Interior: (x[j+1] - x[j-1]) * (1 + 2 + 1); reflected borders: x[-1] = x[1].
    assert dx.tolist() == [[0.0, 8.0, 8.0, 8.0, 0.0]] * 4
    with pytest.raises(ValueError, match=r"sobel_edges: `image` must be 4-D"):
        tf.image.sobel_edges(tf.zeros([4, 4, 1]))


def test_total_variation_and_image_gradients() -> None:
    image = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 3.0]])[:, :, None]
    # vertical |0-1| + |3-2| + |3-4| = 3; horizontal 1 + 2 + 3 + 0 = 6
    assert float(tf.image.total_variation(tf.constant(image))) == 9.0
    batch = tf.image.total_variation(tf.constant(np.stack([image, 2 * image])))
    assert batch.tolist() == [9.0, 18.0]
    with pytest.raises(
        ValueError, match=r"total_variation: `images` must be 3-D or 4-D"
    ):
        tf.image.total_variation(tf.zeros([3, 3]))
    grid = tf.reshape(tf.range(25, dtype=tf.float32), [1, 5, 5, 1])
    dy, dx = tf.image.image_gradients(grid)
    assert dy[0, :, :, 0].tolist() == [[5.0] * 5] * 4 + [[0.0] * 5]
    assert dx[0, :, :, 0].tolist() == [[1.0, 1.0, 1.0, 1.0, 0.0]] * 5
    with pytest.raises(ValueError, match=r"image_gradients: `image` must be 4-D"):
        tf.image.image_gradients(tf.zeros([5, 5, 1]))


def test_stateless_flips_are_per_image_and_repeat_per_seed() -> None:
    images = tf.random.stateless_uniform([32, 4, 4, 1], seed=[0, 0])
    a = tf.image.stateless_random_flip_left_right(images, seed=[1, 2])
    assert torch.equal(
        a, tf.image.stateless_random_flip_left_right(images, seed=[1, 2])
    )
    flipped = [bool(torch.equal(a[i], images[i].flip(1))) for i in range(32)]
    assert 0 < sum(flipped) < 32  # decided per image
    other = tf.image.stateless_random_flip_left_right(images, seed=[1, 3])
    assert not torch.equal(a, other)
    b = tf.image.stateless_random_flip_up_down(images[0], seed=[5, 6])
    assert torch.equal(b, images[0]) or torch.equal(b, images[0].flip(0))
    with pytest.raises(
        ValueError, match=r"stateless_random_flip_up_down: `image` must be"
    ):
        tf.image.stateless_random_flip_up_down(tf.zeros([4, 4]), seed=[1, 2])


def test_stateless_colour_and_crop_augmentations() -> None:
    image = tf.random.stateless_uniform([8, 8, 3], seed=[2, 2])
    bright = tf.image.stateless_random_brightness(image, max_delta=0.3, seed=[7, 1])
    delta = (bright - image).numpy()
    np.testing.assert_allclose(delta, delta.flat[0], atol=1e-6)  # one delta per call
    assert -0.3 <= delta.flat[0] < 0.3
    assert torch.equal(bright, tf.image.stateless_random_brightness(image, 0.3, [7, 1]))
    contrast = tf.image.stateless_random_contrast(image, 0.5, 1.5, seed=[1, 1])
    assert torch.equal(
        contrast, tf.image.stateless_random_contrast(image, 0.5, 1.5, [1, 1])
    )
    assert tuple(tf.image.stateless_random_hue(image, 0.2, seed=[1, 1]).shape) == (
        8,
        8,
        3,
    )
    saturated = tf.image.stateless_random_saturation(image, 0.5, 2.0, seed=[4, 4])
    assert tuple(saturated.shape) == (8, 8, 3)
    crop = tf.image.stateless_random_crop(image, size=[5, 6, 3], seed=[3, 9])
    assert tuple(crop.shape) == (5, 6, 3)
    assert torch.equal(crop, tf.image.stateless_random_crop(image, [5, 6, 3], [3, 9]))
    windows = [image[i : i + 5, j : j + 6] for i in range(4) for j in range(3)]
    assert any(torch.equal(crop, w) for w in windows)


def test_stateless_augmentation_errors_name_the_argument() -> None:
    image = tf.zeros([8, 8, 3])
    with pytest.raises(
        ValueError, match=r"stateless_random_brightness: `max_delta` must be >= 0"
    ):
        tf.image.stateless_random_brightness(image, -0.1, seed=[1, 2])
    with pytest.raises(
        ValueError, match=r"stateless_random_contrast: need 0 <= lower < upper"
    ):
        tf.image.stateless_random_contrast(image, 1.5, 0.5, seed=[1, 2])
    with pytest.raises(
        ValueError, match=r"stateless_random_saturation: need 0 <= lower"
    ):
        tf.image.stateless_random_saturation(image, -1.0, 0.5, seed=[1, 2])
    with pytest.raises(
        ValueError, match=r"stateless_random_hue: `max_delta` must be in"
    ):
        tf.image.stateless_random_hue(image, 0.7, seed=[1, 2])
    with pytest.raises(
        ValueError, match=r"stateless_random_crop: `size` must give one"
    ):
        tf.image.stateless_random_crop(image, [9, 8, 3], seed=[1, 2])
    with pytest.raises(
        ValueError, match=r"tf.image.stateless_random_crop: `seed` must be"
    ):
        tf.image.stateless_random_crop(image, [4, 4, 3], seed=1)


def test_pad_to_bounding_box_and_resize_with_pad() -> None:
    image = tf.ones([2, 3, 1])
    padded = tf.image.pad_to_bounding_box(image, 1, 2, 4, 6)
    assert tuple(padded.shape) == (4, 6, 1)
    assert padded[..., 0].tolist() == [
        [0, 0, 0, 0, 0, 0],
        [0, 0, 1, 1, 1, 0],
        [0, 0, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0],
    ]
    with pytest.raises(ValueError, match=r"does not fit in 3x6"):
        tf.image.pad_to_bounding_box(image, 2, 0, 3, 6)
    # 4x8 into 8x8: scaled by 1 (width decides), two rows of padding above and below.
    wide = tf.ones([1, 4, 8, 3], dtype=tf.uint8)
    out = tf.image.resize_with_pad(wide, 8, 8)
    assert tuple(out.shape) == (1, 8, 8, 3)
    assert out.dtype == torch.float32
    assert out[0, :, 0, 0].tolist() == [0, 0, 1, 1, 1, 1, 0, 0]
    tall = tf.image.resize_with_pad(tf.ones([10, 5, 1]), 4, 4)  # to 4x2, centred
    assert tall[:, :, 0].tolist() == [[0, 1, 1, 0]] * 4
