"""``Dense.get_config`` has Keras 3's keys; ``quantization_config`` is accepted as None."""

from __future__ import annotations

import pytest

from cnnkit import layers
from cnnkit.errors import InvalidArgumentError


def test_config_has_quantization_config_and_no_unset_activity_regularizer() -> None:
    config = layers.Dense(4).get_config()
    assert config["quantization_config"] is None
    assert "activity_regularizer" not in config


def test_config_keeps_a_set_activity_regularizer() -> None:
    config = layers.Dense(4, activity_regularizer="l2").get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    again = layers.Dense.from_config(config)
    assert again.activity_regularizer is not None


def test_from_config_round_trip() -> None:
    layer = layers.Dense.from_config(layers.Dense(3, name="d").get_config())
    assert layer.name == "d"
    assert layer.get_config() == layers.Dense(3, name="d").get_config()


def test_quantization_config_other_than_none_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="no quantized Dense"):
        layers.Dense(4, quantization_config={"mode": "int8"})
