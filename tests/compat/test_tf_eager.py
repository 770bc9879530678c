"""TensorFlow's eager ``tensor.numpy()`` / ``float(tensor)`` while a script has
imported ``tensorflow`` through the hook, and torch's own behaviour afterwards."""

from __future__ import annotations

import importlib
import warnings

import pytest
import torch

from cnnkit.compat import hook
from cnnkit.compat.tf import eager


def test_importing_tensorflow_makes_numpy_and_float_work_on_grad_tensors() -> None:
    hook.install()
    try:
        importlib.import_module("tensorflow")
        assert eager.is_enabled()
        w = torch.ones(2, requires_grad=True)
        loss = (w * 3).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch would warn for float/item
            assert float(loss) == 6.0
            assert loss.item() == 6.0
            assert int(loss) == 6
        assert (w * 2).numpy().tolist() == [2.0, 2.0]
    finally:
        hook.uninstall()
    assert not eager.is_enabled()
    with pytest.raises(RuntimeError, match="requires grad"):
        (torch.ones(1, requires_grad=True) * 2).numpy()
    assert "numpy" not in vars(torch.Tensor)


def test_keras_alone_leaves_torch_as_it_is() -> None:
    hook.install()
    try:
        importlib.import_module("keras")
        assert not eager.is_enabled()
    finally:
        hook.uninstall()


def test_enable_twice_and_disable_twice_are_harmless() -> None:
    eager.enable()
    eager.enable()
    eager.disable()
    eager.disable()
    assert torch.zeros(1).numpy().tolist() == [0.0]
