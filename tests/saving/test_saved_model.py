"""Saving takes models; a plain layer handed to it gets an error that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

import cnnkit
from cnnkit.errors import InvalidTypeError
from cnnkit.saving.onnx_export import export_model


def test_exporting_a_layer_says_to_wrap_it_in_a_model(tmp_path: Path) -> None:
    dense = cnnkit.layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(
        InvalidTypeError,
        match=r"Cannot export Dense 'dense\w*': it is a layer, not a model\. Wrap it "
        r"in a model first, e\.g\. `cnnkit\.Sequential",
    ):
        export_model(dense, tmp_path / "dense.onnx")
