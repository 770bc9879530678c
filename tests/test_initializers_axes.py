"""``VarianceScaling`` reads the ``input_axes``/``output_axes`` Keras 3.15 writes."""

from __future__ import annotations

import pytest

from cnnkit import initializers
from cnnkit.errors import InvalidArgumentError


def test_variance_scaling_config_has_keras_axes_and_round_trips() -> None:
    made = initializers.VarianceScaling(2.0, mode="fan_out", distribution="uniform")
    config = made.get_config()
    assert (config["input_axes"], config["output_axes"]) == (None, None)
    again = initializers.get({"class_name": "VarianceScaling", "config": config})
    assert again.get_config() == config
    assert tuple(again((3, 3, 4, 8), "float32").shape) == (3, 3, 4, 8)


def test_variance_scaling_refuses_chosen_axes() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`input_axes` and `output_axes` must be None"
    ):
        initializers.VarianceScaling(input_axes=[0])
