"""Every error the preprocessing layers raise, with the wording that teaches."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cnnkit import layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.layers.preprocessing._image import BaseAffineLayer


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "match"),
    [
        (
            layers.RandomRotation,
            {"factor": 1.5},
            InvalidArgumentError,
            r"`factor` must be a number or a pair .* in \[-1, 1\]; "
            r"received factor=1.5\. "
            r"It is a fraction of a full turn",
        ),
        (
            layers.RandomRotation,
            {"factor": (0.1, 0.2, 0.3)},
            InvalidArgumentError,
            r"received factor=\(0.1, 0.2, 0.3\)",
        ),
        (
            layers.RandomRotation,
            {"factor": (-2, 0.5)},
            InvalidArgumentError,
            r"each in \[-1, 1\]",
        ),
        (
            layers.RandomRotation,
            {"factor": "big"},
            InvalidTypeError,
            r"received factor='big'",
        ),
        (
            layers.RandomRotation,
            {"factor": (0.1, None)},
            InvalidTypeError,
            r"received factor=\(0.1, None\)",
        ),
        (
            layers.RandomRotation,
            {"factor": True},
            InvalidTypeError,
            r"received factor=True",
        ),
        (
            layers.RandomZoom,
            {"height_factor": -1.0},
            InvalidArgumentError,
            r"`height_factor` .* each in \(-1, 1\]; received height_factor=-1.0\. "
            r"A positive factor zooms out",
        ),
        (
            layers.RandomZoom,
            {"height_factor": 0.1, "width_factor": (0.5, 1.2)},
            InvalidArgumentError,
            r"`width_factor` .* received width_factor=\(0.5, 1.2\)",
        ),
        (
            layers.RandomTranslation,
            {"height_factor": 1.1, "width_factor": 0.1},
            InvalidArgumentError,
            r"`height_factor` .* \[-1, 1\]; .* fraction of the image",
        ),
        (
            layers.RandomTranslation,
            {"height_factor": 0.1, "width_factor": [-3, 0]},
            InvalidArgumentError,
            r"received width_factor=\[-3, 0\]",
        ),
        (
            layers.RandomContrast,
            {"factor": -0.2},
            InvalidArgumentError,
            r"each in \[0, 1\]; received factor=-0.2\. The contrast factor is drawn",
        ),
        (
            layers.RandomContrast,
            {"factor": 0.2, "value_range": (1, 0)},
            InvalidArgumentError,
            r"low < high; received value_range=\(1, 0\)",
        ),
        (
            layers.RandomContrast,
            {"factor": 0.2, "value_range": 255},
            InvalidArgumentError,
            r"`value_range` must be a pair of numbers",
        ),
        (
            layers.RandomBrightness,
            {"factor": 2},
            InvalidArgumentError,
            r"received factor=2\. It is a fraction of the value range",
        ),
        (
            layers.RandomBrightness,
            {"factor": 0.1, "value_range": (0, "x")},
            InvalidArgumentError,
            r"received value_range=\(0, 'x'\)",
        ),
        (
            layers.RandomFlip,
            {"mode": "diagonal"},
            InvalidArgumentError,
            r"`mode` must be one of \['horizontal', 'vertical', "
            r"'horizontal_and_vertical'\]",
        ),
        (
            layers.RandomFlip,
            {"seed": 1.5},
            InvalidTypeError,
            r"`seed` must be an int or None; received seed=1.5",
        ),
        (
            layers.RandomRotation,
            {"factor": 0.1, "fill_mode": "mirror"},
            InvalidArgumentError,
            r"`fill_mode` must be one of \['reflect', 'wrap', 'constant', 'nearest'\]",
        ),
        (
            layers.RandomZoom,
            {"height_factor": 0.1, "interpolation": "bicubic"},
            InvalidArgumentError,
            r"`interpolation` must be one of \['nearest', 'bilinear'\]",
        ),
        (
            layers.RandomTranslation,
            {"height_factor": 0.1, "width_factor": 0.1, "fill_value": "black"},
            InvalidTypeError,
            r"`fill_value` must be a number; received fill_value='black'",
        ),
        (
            layers.Resizing,
            {"height": 0, "width": 3},
            InvalidArgumentError,
            r"`height` must be a positive integer .*received height=0",
        ),
        (
            layers.Resizing,
            {"height": 3, "width": 2.5},
            InvalidArgumentError,
            r"`width` must be a positive integer .*received width=2.5",
        ),
        (
            layers.Resizing,
            {"height": 3, "width": 3, "interpolation": "lanczos3"},
            InvalidArgumentError,
            r"`interpolation` must be one of "
            r"\['bilinear', 'nearest', 'bicubic', 'area'\]",
        ),
        (
            layers.Resizing,
            {"height": 3, "width": 3, "fill_mode": "reflect"},
            InvalidArgumentError,
            r"`fill_mode` must be one of \['constant'\]",
        ),
        (
            layers.Resizing,
            {
                "height": 3,
                "width": 3,
                "crop_to_aspect_ratio": True,
                "pad_to_aspect_ratio": True,
            },
            InvalidArgumentError,
            r"Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`",
        ),
        (
            layers.CenterCrop,
            {"height": -1, "width": 3},
            InvalidArgumentError,
            r"received height=-1",
        ),
        (
            layers.RandomCrop,
            {"height": 3, "width": True},
            InvalidArgumentError,
            r"received width=True",
        ),
        (
            layers.Rescaling,
            {"scale": "1/255"},
            InvalidTypeError,
            r"`scale` must be a number, or a list/array of numbers "
            r".*received scale='1/255'",
        ),
        (
            layers.Rescaling,
            {"scale": 1.0, "offset": [["a"]]},
            InvalidTypeError,
            r"received offset=\[\['a'\]\]",
        ),
        (
            layers.RandomRotation,
            {"factor": 0.1, "data_format": "NHWC"},
            InvalidArgumentError,
            r"`data_format` must be one of",
        ),
    ],
)
def test_bad_arguments_raise_teaching_errors(
    cls: type, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandomFlip(),
        layers.Resizing(3, 3),
        layers.CenterCrop(2, 2),
        layers.RandomCrop(2, 2),
        layers.RandomRotation(0.1),
        layers.RandomContrast(0.1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_wrong_rank_inputs_name_the_layer_shape_and_fix(layer: layers.Layer) -> None:
    name = type(layer).__name__
    with pytest.raises(
        IncompatibleShapeError,
        match=rf"of {name} '.*' is incompatible with the layer: expected min_ndim=3, "
        r"found ndim=2\. Full shape received: \(28, 28\)\. .*`x = x\[\.\.\., None\]`",
    ):
        layer(np.zeros((28, 28), "float32"))
    with pytest.raises(
        IncompatibleShapeError,
        match=r"expected max_ndim=4, found ndim=5\. Full shape received: "
        r"\(1, 2, 8, 8, 3\)\. Image layers take a batch "
        r"\(batch, height, width, channels\)",
    ):
        layer(np.zeros((1, 2, 8, 8, 3), "float32"))


@pytest.mark.parametrize(
    "layer",
    [
        layers.Resizing(3, 3),
        layers.RandomZoom(0.1),
        layers.CenterCrop(3, 3, data_format="channels_first"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_compute_output_shape_rejects_wrong_rank(layer: layers.Layer) -> None:
    name = type(layer).__name__
    with pytest.raises(
        IncompatibleShapeError,
        match=rf"{name} '.*' cannot process input of shape \(None, 8\): with "
        r"data_format='channels_(last|first)' image layers expect 4-D input .*"
        r"Reshape the input to \(batch, height, width, channels\)",
    ):
        layer.compute_output_shape((None, 8))


def test_affine_base_requires_a_matrix() -> None:
    class Incomplete(BaseAffineLayer):
        pass

    with pytest.raises(
        TypeError, match=r"abstract class Incomplete.*(_is_identity|_matrix)"
    ):
        Incomplete()
