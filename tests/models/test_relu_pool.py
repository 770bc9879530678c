"""Sequential moves a convolution's ReLU after a following max-pool: same numbers."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from cnnkit import activations, layers, models
from cnnkit.models._relu_pool import defers_relu


def _pair(rank: int, data_format: str, padding: str) -> models.Sequential:
    conv = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}[rank]
    pool = {1: layers.MaxPooling1D, 2: layers.MaxPooling2D, 3: layers.MaxPooling3D}[
        rank
    ]
    shape = (5,) * rank + (2,) if data_format == "channels_last" else (2,) + (5,) * rank
    return models.Sequential(
        [
            layers.Input(shape),
            conv(3, 2, activation="relu", data_format=data_format),
            pool(2, strides=2, padding=padding, data_format=data_format),
        ]
    )


def _stepwise(model: models.Sequential, x: torch.Tensor) -> torch.Tensor:
    for layer in model.layers:
        x = layer(x)
    return x


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_deferred_relu_gives_the_same_values_and_gradients(
    rank: int, data_format: str, padding: str
) -> None:
    model = _pair(rank, data_format, padding)
    assert defers_relu(*model.layers)
    x = torch.randn(3, *model.input_shape[1:], dtype=torch.float32)
    fused = model(x)
    grads_fused = torch.autograd.grad(
        fused.square().sum(), [v.value for v in model.trainable_weights]
    )
    plain = _stepwise(model, x)
    grads_plain = torch.autograd.grad(
        plain.square().sum(), [v.value for v in model.trainable_weights]
    )
    torch.testing.assert_close(fused, plain, rtol=0, atol=0)
    for got, expected in zip(grads_fused, grads_plain):
        torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-7)
    assert model.layers[0].activation.__name__ == "relu"  # restored after the call


def _conv_pool(**conv_kwargs: Any) -> tuple[Any, Any]:
    conv = layers.Conv2D(2, 3, **conv_kwargs)
    return conv, layers.MaxPooling2D()


def test_rewrite_only_where_it_cannot_be_observed() -> None:
    assert not defers_relu(*_conv_pool(activation="tanh"))
    assert not defers_relu(*_conv_pool(activation="relu", activity_regularizer="l2"))
    conv, _ = _conv_pool(activation="relu")
    assert not defers_relu(conv, layers.AveragePooling2D(2))
    assert not defers_relu(conv, layers.MaxPooling2D(data_format="channels_first"))
    handle = conv.register_forward_hook(lambda *args: None)
    assert not defers_relu(conv, layers.MaxPooling2D())
    handle.remove()
    assert defers_relu(conv, layers.MaxPooling2D())


def test_hooked_convolution_sees_its_relu_output() -> None:
    model = _pair(2, "channels_last", "valid")
    seen: list[torch.Tensor] = []
    model.layers[0].register_forward_hook(lambda m, i, out: seen.append(out))
    model(torch.randn(2, 5, 5, 2))
    assert len(seen) == 1
    assert bool((seen[0] >= 0).all())


def test_the_rewrite_leaves_the_layer_untouched_for_other_threads() -> None:
    """While one thread runs the rewrite, another calling the same conv gets its ReLU."""
    import threading

    from cnnkit.layers.base import context

    conv = layers.Conv2D(3, 3, activation="relu")
    x = torch.randn(2, 6, 6, 1)
    expected = conv(x)
    seen: list[torch.Tensor] = []
    with context.defer_activation(conv):
        assert conv.activation is activations.relu  # never reassigned
        assert (conv(x) < 0).any()  # this thread: pre-activation values
        worker = threading.Thread(target=lambda: seen.append(conv(x)))
        worker.start()
        worker.join()
    assert torch.equal(seen[0], expected)
