"""Shapes: ``compute_output_shape`` equals the real output, and the layer contract."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import layers
from cnnkit.testing import run_layer_test

sizes = st.integers(min_value=1, max_value=12)
formats = st.sampled_from(["channels_last", "channels_first"])


def _shape(batched: bool, h: int, w: int, c: int, data_format: str) -> tuple[int, ...]:
    spatial = (h, w, c) if data_format == "channels_last" else (c, h, w)
    return (2, *spatial) if batched else spatial


@given(
    batched=st.booleans(),
    h=sizes,
    w=sizes,
    c=st.integers(1, 3),
    th=sizes,
    tw=sizes,
    data_format=formats,
    training=st.booleans(),
    which=st.sampled_from(
        ["Resizing", "CenterCrop", "RandomCrop", "Resizing-crop", "Resizing-pad"]
    ),
)
def test_resizing_layers_output_shape_property(
    batched: bool,
    h: int,
    w: int,
    c: int,
    th: int,
    tw: int,
    data_format: str,
    training: bool,
    which: str,
) -> None:
    name, _, option = which.partition("-")
    kwargs: dict[str, Any] = {"data_format": data_format}
    if option:
        kwargs[f"{option}_to_aspect_ratio"] = True
    layer = getattr(layers, name)(th, tw, **kwargs)
    shape = _shape(batched, h, w, c, data_format)
    out = (
        layer(torch.rand(shape), training=training)
        if name == "RandomCrop"
        else layer(torch.rand(shape))
    )
    assert tuple(out.shape) == layer.compute_output_shape(shape)
    unknown = (None, *shape[1:]) if batched else shape
    assert layer.compute_output_shape(unknown)[-3:] == tuple(out.shape)[-3:]


@given(
    batched=st.booleans(),
    h=sizes,
    w=sizes,
    c=st.integers(1, 3),
    data_format=formats,
    which=st.integers(0, 5),
    seed=st.integers(0, 2**31),
)
def test_augmenters_keep_the_shape_property(
    batched: bool, h: int, w: int, c: int, data_format: str, which: int, seed: int
) -> None:
    make = [
        lambda: layers.RandomFlip(seed=seed, data_format=data_format),
        lambda: layers.RandomRotation(0.5, seed=seed, data_format=data_format),
        lambda: layers.RandomZoom(0.5, 0.3, seed=seed, data_format=data_format),
        lambda: layers.RandomTranslation(0.5, 0.5, seed=seed, data_format=data_format),
        lambda: layers.RandomContrast(0.5, seed=seed, data_format=data_format),
        lambda: layers.RandomBrightness(0.5, seed=seed, data_format=data_format),
    ][which]
    layer = make()
    shape = _shape(batched, h, w, c, data_format)
    out = layer(torch.rand(shape) * 255)
    assert tuple(out.shape) == layer.compute_output_shape(shape) == shape
    assert bool(torch.isfinite(out).all())


def test_unknown_sizes_pass_through() -> None:
    assert layers.Resizing(3, 4).compute_output_shape((None, None, None, 3)) == (
        None,
        3,
        4,
        3,
    )
    assert layers.RandomRotation(0.1).compute_output_shape((None, None, None, 3)) == (
        None,
        None,
        None,
        3,
    )
    assert layers.Rescaling(0.5).compute_output_shape((None, 7)) == (None, 7)


CONTRACT = [
    (
        layers.Rescaling,
        {"scale": 1 / 255, "offset": 0.5},
        (2, 5, 6, 3),
        (2, 5, 6, 3),
        True,
    ),
    (layers.Resizing, {"height": 3, "width": 4}, (2, 5, 6, 3), (2, 3, 4, 3), True),
    (layers.CenterCrop, {"height": 3, "width": 4}, (2, 5, 6, 3), (2, 3, 4, 3), True),
    (layers.RandomFlip, {"seed": 1}, (2, 5, 6, 3), (2, 5, 6, 3), False),
    (layers.RandomRotation, {"factor": 0.2}, (2, 5, 6, 3), (2, 5, 6, 3), False),
    (layers.RandomZoom, {"height_factor": 0.2}, (2, 5, 6, 3), (2, 5, 6, 3), False),
    (
        layers.RandomTranslation,
        {"height_factor": 0.2, "width_factor": 0.1},
        (2, 5, 6, 3),
        (2, 5, 6, 3),
        False,
    ),
    (layers.RandomContrast, {"factor": 0.5}, (2, 5, 6, 3), (2, 5, 6, 3), False),
    (layers.RandomBrightness, {"factor": 0.5}, (2, 5, 6, 3), (2, 5, 6, 3), False),
    (layers.RandomCrop, {"height": 3, "width": 4}, (2, 5, 6, 3), (2, 3, 4, 3), False),
    (
        layers.RandomRotation,
        {"factor": 0.2, "data_format": "channels_first"},
        (2, 3, 5, 6),
        (2, 3, 5, 6),
        False,
    ),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape", "deterministic"),
    CONTRACT,
    ids=[f"{case[0].__name__}-{i}" for i, case in enumerate(CONTRACT)],
)
def test_layer_contract(
    cls: type,
    kwargs: dict[str, Any],
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    deterministic: bool,
) -> None:
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        deterministic=deterministic,
    )
