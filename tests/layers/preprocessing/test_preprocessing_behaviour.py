"""Augmentation behaviour: gating, randomness, seeds, layouts, dtypes, gradients."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.layers.base.context import training_scope
from cnnkit.utils import set_random_seed

AUGMENTERS: list[tuple[type, dict[str, Any]]] = [
    (layers.RandomFlip, {}),
    (layers.RandomFlip, {"mode": "horizontal"}),
    (layers.RandomRotation, {"factor": 0.2}),
    (layers.RandomZoom, {"height_factor": 0.3, "width_factor": (-0.2, 0.4)}),
    (layers.RandomTranslation, {"height_factor": 0.2, "width_factor": 0.2}),
    (layers.RandomContrast, {"factor": 0.5}),
    (layers.RandomBrightness, {"factor": 0.3}),
    (layers.RandomCrop, {"height": 6, "width": 7}),
]
SAME_SHAPE = AUGMENTERS[:-1]  # every augmenter but RandomCrop keeps the shape


def _images(shape: tuple[int, ...] = (16, 8, 9, 3), seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=generator) * 200 + 20


def _ids(cases: list[tuple[type, dict[str, Any]]]) -> list[str]:
    return [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(cases)]


# ------------------------------------------------------------------ gating


@pytest.mark.parametrize(("cls", "kwargs"), SAME_SHAPE, ids=_ids(SAME_SHAPE))
def test_training_false_is_identity(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images()
    layer = cls(**kwargs)
    torch.testing.assert_close(layer(x, training=False), x, rtol=0, atol=0)
    with training_scope(False):  # inherited from an enclosing call (predict)
        torch.testing.assert_close(layer(x), x, rtol=0, atol=0)


@pytest.mark.parametrize(("cls", "kwargs"), SAME_SHAPE, ids=_ids(SAME_SHAPE))
def test_direct_call_augments_by_default(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images()
    layer = cls(seed=1, **kwargs)
    assert not torch.equal(layer(x), x)
    assert not torch.equal(layer(x, training=None), x)  # None: call's default


def test_model_call_augments_but_predict_does_not() -> None:
    x = _images((32, 8, 8, 1))
    model = cnnkit.Sequential([cnnkit.Input((8, 8, 1)), layers.RandomFlip(seed=3)])
    assert not torch.equal(model(x), x)
    np.testing.assert_array_equal(model.predict(x.numpy(), verbose=0), x.numpy())
    torch.testing.assert_close(model(x, training=False), x)


def test_random_crop_inference_centre_crops() -> None:
    x = _images((2, 8, 10, 1))
    out = layers.RandomCrop(4, 5)(x, training=False)
    # Largest centred 8x10 window of aspect 4:5 is the whole image, resized by 1/2.
    expected = torch.nn.functional.avg_pool2d(x.movedim(-1, 1), 2).movedim(1, -1)
    torch.testing.assert_close(out, expected)
    exact = layers.RandomCrop(6, 10)(x, training=False)  # 6x10 centred, no resize
    torch.testing.assert_close(exact, x[:, 1:7])


# ------------------------------------------------------------------ randomness


def test_flip_rate_is_one_half() -> None:
    x = _images((4000, 2, 2, 1))
    out = layers.RandomFlip("horizontal", seed=0)(x)
    flipped = (out != x).any(dim=(1, 2, 3)).float().mean().item()
    assert 0.46 < flipped < 0.54  # 4000 coins: 5 standard deviations is 0.04


def test_flip_draws_one_coin_per_sample() -> None:
    x = _images((200, 3, 3, 2))
    out = layers.RandomFlip(seed=4)(x)
    both = x.flip((1, 2))
    same = (out == x).flatten(1).all(1)
    rotated = (out == both).flatten(1).all(1)
    assert bool((same | rotated).all())
    assert 60 < int(rotated.sum()) < 140


def _angles(layer: layers.RandomRotation, batch: int) -> torch.Tensor:
    cos, minus_sin = layer._matrix(torch.zeros(batch, 1, 5, 5))[:2]
    return torch.atan2(-minus_sin, cos) / (2 * math.pi)  # in turns


@pytest.mark.parametrize(
    ("factor", "low", "high"), [(0.1, -0.1, 0.1), ((0.05, 0.2), 0.05, 0.2)]
)
def test_rotation_angles_stay_in_range_and_vary(
    factor: Any, low: float, high: float
) -> None:
    turns = _angles(layers.RandomRotation(factor, seed=0), 2000)
    assert float(turns.min()) >= low - 1e-6
    assert float(turns.max()) <= high + 1e-6
    assert float(turns.min()) < low + 0.01
    assert float(turns.max()) > high - 0.01


def test_zoom_and_translation_draws_stay_in_range() -> None:
    images = torch.zeros(2000, 1, 10, 20)
    zoom = layers.RandomZoom((-0.2, 0.3), (0.1, 0.5), seed=0)._matrix(images)
    assert float(zoom[4].min()) >= 0.8
    assert float(zoom[4].max()) <= 1.3
    assert float(zoom[0].min()) >= 1.1
    assert float(zoom[0].max()) <= 1.5
    keep = layers.RandomZoom(0.2, seed=0)._matrix(images)
    torch.testing.assert_close(keep[0], keep[4])  # width_factor=None keeps aspect
    shift = layers.RandomTranslation(0.1, (-0.5, 0.0), seed=0)._matrix(images)
    assert float(shift[5].abs().max()) <= 1.0 + 1e-6  # 10% of height 10
    assert float(shift[2].min()) >= 0.0
    assert float(shift[2].max()) <= 10.0 + 1e-5


def test_each_sample_gets_its_own_transform() -> None:
    x = _images((1, 9, 9, 1)).expand(8, 9, 9, 1).contiguous()
    out = layers.RandomRotation(0.3, seed=0)(x)
    assert len({tuple(o.flatten()[:5].tolist()) for o in out}) == 8


def test_brightness_and_contrast_ranges() -> None:
    x = torch.full((500, 2, 2, 1), 100.0)
    delta = layers.RandomBrightness((-0.1, 0.2), seed=0)(x)[:, 0, 0, 0] - 100.0
    assert float(delta.min()) >= -25.5 - 1e-4
    assert float(delta.max()) <= 51.0 + 1e-4
    assert float(delta.min()) < -20
    assert float(delta.max()) > 45
    bright = layers.RandomBrightness(1.0, value_range=(0, 1), seed=0)(x / 100)
    assert float(bright.min()) >= 0.0
    assert float(bright.max()) <= 1.0
    ramp = torch.linspace(0, 255, 16).reshape(1, 4, 4, 1).expand(300, 4, 4, 1)
    out = layers.RandomContrast(0.5, seed=0)(ramp)
    assert float(out.min()) == 0.0
    assert float(out.max()) == 255.0


def test_random_crop_offsets_cover_every_window() -> None:
    x = torch.arange(25.0).reshape(1, 5, 5, 1)
    layer = layers.RandomCrop(3, 3, seed=0)
    corners = {float(layer(x)[0, 0, 0, 0]) for _ in range(200)}
    assert corners == {float(5 * i + j) for i in range(3) for j in range(3)}


# ------------------------------------------------------------------ seeds


@pytest.mark.parametrize(("cls", "kwargs"), AUGMENTERS, ids=_ids(AUGMENTERS))
def test_seeded_layers_repeat_their_sequence(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images()
    first, second = cls(seed=42, **kwargs), cls(seed=42, **kwargs)
    for _ in range(2):
        torch.testing.assert_close(first(x), second(x))


@pytest.mark.parametrize(("cls", "kwargs"), AUGMENTERS, ids=_ids(AUGMENTERS))
def test_unseeded_layers_follow_the_global_seed(
    cls: type, kwargs: dict[str, Any]
) -> None:
    x = _images()
    layer = cls(**kwargs)
    set_random_seed(5)
    a = layer(x)
    set_random_seed(5)
    torch.testing.assert_close(layer(x), a)
    torch.manual_seed(5)
    torch.testing.assert_close(layer(x), a)


def test_seeded_layer_ignores_the_global_seed_and_survives_deepcopy() -> None:
    x = _images()
    layer = layers.RandomRotation(0.2, seed=1)
    clone = copy.deepcopy(layer)
    torch.manual_seed(0)
    a = layer(x)
    torch.manual_seed(123)
    torch.testing.assert_close(clone(x), a)


# ------------------------------------------------------------------ layouts and dtypes


@pytest.mark.parametrize(("cls", "kwargs"), AUGMENTERS, ids=_ids(AUGMENTERS))
def test_channels_first_equals_channels_last(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images()
    last = cls(seed=3, **kwargs)(x)
    first = cls(seed=3, data_format="channels_first", **kwargs)(x.movedim(-1, 1))
    torch.testing.assert_close(first.movedim(1, -1), last, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(("cls", "kwargs"), AUGMENTERS, ids=_ids(AUGMENTERS))
def test_single_image_equals_batch_of_one(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images((1, 8, 9, 3))
    batch = cls(seed=3, **kwargs)(x)
    single = cls(seed=3, **kwargs)(x[0])
    assert single.dim() == 3
    torch.testing.assert_close(single, batch[0])


@pytest.mark.parametrize(("cls", "kwargs"), AUGMENTERS, ids=_ids(AUGMENTERS))
def test_uint8_input_gives_float32(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images().to(torch.uint8)
    out = cls(seed=0, **kwargs)(x)
    assert out.dtype == torch.float32
    assert cls(**kwargs)(x, training=False).dtype == torch.float32


def test_warped_channels_last_output_is_contiguous_nhwc() -> None:
    out = layers.RandomRotation(0.1, seed=0)(_images())
    assert out.is_contiguous()  # keeps later convs on channels_last kernels


def test_zero_factor_is_exact_identity() -> None:
    x = _images()
    for layer in (
        layers.RandomRotation(0.0),
        layers.RandomZoom(0.0),
        layers.RandomTranslation(0.0, 0.0),
        layers.RandomBrightness(0.0),
    ):
        torch.testing.assert_close(layer(x), x, rtol=0, atol=0)
    # (x - mean) * 1 + mean: equal up to float32 rounding.
    torch.testing.assert_close(layers.RandomContrast(0.0)(x), x, rtol=1e-6, atol=1e-5)


def test_rescaling_per_channel_and_dtypes() -> None:
    x = np.full((2, 3, 3, 3), 10, dtype="uint8")
    out = layers.Rescaling([1.0, 0.5, 0.1], offset=1.0)(x)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([11.0, 6.0, 2.0]))
    assert layers.Rescaling(2.0, dtype="float64")(x).dtype == torch.float64
    cnnkit.config.set_image_data_format("channels_first")
    try:
        out = layers.Rescaling([1.0, 0.5, 0.1])(np.ones((2, 3, 4, 4), "float32"))
    finally:
        cnnkit.config.set_image_data_format("channels_last")
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor([1.0, 0.5, 0.1]))


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize(
    "make",
    [
        lambda f: layers.RandomRotation(
            (0.1, 0.1), fill_mode=f, fill_value=0.5, dtype="float64"
        ),
        lambda f: layers.RandomZoom(
            (0.3, 0.3), (-0.2, -0.2), fill_mode=f, dtype="float64"
        ),
        lambda f: layers.RandomTranslation(
            (0.3, 0.3), (-0.4, -0.4), fill_mode=f, dtype="float64"
        ),
    ],
    ids=["rotation", "zoom", "translation"],
)
def test_warps_have_correct_input_gradients(fill_mode: str, make: Any) -> None:
    layer = make(fill_mode)
    x = torch.rand(2, 4, 5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))


def test_resizing_and_contrast_gradients() -> None:
    x = torch.rand(1, 4, 5, 2, dtype=torch.float64, requires_grad=True)
    resize = layers.Resizing(3, 7, dtype="float64")
    assert torch.autograd.gradcheck(resize, (x,))
    contrast = layers.RandomContrast((0.2, 0.2), value_range=(-5, 5), dtype="float64")
    contrast._uniform = lambda shape, low, high, like: torch.full(
        shape, 1.3, dtype=like.dtype
    )
    assert torch.autograd.gradcheck(contrast, (x,))


# ------------------------------------------------------------------ devices


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(("cls", "kwargs"), AUGMENTERS, ids=_ids(AUGMENTERS))
def test_runs_on_cuda_with_device_generators(cls: type, kwargs: dict[str, Any]) -> None:
    x = _images().cuda()
    a, b = cls(seed=7, **kwargs), cls(seed=7, **kwargs)
    out = a(x)
    assert out.device == x.device
    assert out.dtype == torch.float32
    torch.testing.assert_close(b(x), out)
    torch.testing.assert_close(a(x, training=False), x)
