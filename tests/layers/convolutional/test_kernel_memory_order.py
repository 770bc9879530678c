"""Conv kernels are stored filters-first, so torch's view of them is channels_last.

The kernel keeps Keras' shape ``(*k, in, out)`` and values; only its strides differ.
The torch-layout view ``(out, in, *k)`` the convolution takes is then a channels_last
tensor, the format oneDNN runs channels_last inputs with, so no call reorders it (a
third of a batch-1 conv here). The order must survive everything that writes weights.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers


def torch_view(kernel: torch.Tensor) -> torch.Tensor:
    rank = kernel.dim() - 2
    return kernel.permute(rank + 1, rank, *range(rank))


def is_channels_last(kernel: torch.Tensor) -> bool:
    fmt = torch.channels_last if kernel.dim() == 4 else torch.channels_last_3d
    return torch_view(kernel).is_contiguous(memory_format=fmt)


def built(layer: layers.Layer, shape: tuple[int, ...]) -> layers.Layer:
    layer(np.zeros(shape, dtype="float32"))
    return layer


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (layers.Conv2D(8, 3), (1, 6, 6, 3)),
        (layers.Conv2D(4, (3, 5), groups=2, padding="same"), (1, 6, 6, 4)),
        (layers.Conv3D(2, 2), (1, 4, 4, 4, 3)),
    ],
    ids=["conv2d", "grouped", "conv3d"],
)
def test_the_torch_view_of_a_kernel_is_channels_last(layer, shape) -> None:
    built(layer, shape)
    assert is_channels_last(layer.kernel)
    assert tuple(layer.kernel.shape) == (
        *layer.kernel_size,
        shape[-1] // layer.groups,
        layer.filters,
    )


def test_channels_first_layers_keep_a_contiguous_kernel() -> None:
    # Their inputs are NCHW: a channels_last kernel would turn the output format.
    layer = built(layers.Conv2D(8, 3, data_format="channels_first"), (1, 3, 6, 6))
    assert layer.kernel.is_contiguous()


def test_one_input_channel_keeps_the_keras_order() -> None:
    # A first layer on grayscale images: the order slowed its kernel gradient.
    layer = built(layers.Conv2D(8, 3), (1, 6, 6, 1))
    assert layer.kernel.is_contiguous()


def test_values_are_keras_and_every_write_keeps_the_order(tmp_path) -> None:
    model = cnnkit.Sequential([layers.Input((6, 6, 2)), layers.Conv2D(3, 3)])
    conv = model.layers[0]
    kernel = np.arange(3 * 3 * 2 * 3, dtype="float32").reshape(3, 3, 2, 3)
    conv.set_weights([kernel, np.zeros(3, dtype="float32")])
    assert is_channels_last(conv.kernel)
    np.testing.assert_array_equal(conv.get_weights()[0], kernel)
    np.testing.assert_array_equal(conv.kernel.detach().numpy(), kernel)

    x = np.random.default_rng(0).random((2, 6, 6, 2), dtype=np.float32)
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(x).permute(0, 3, 1, 2),
        torch.from_numpy(kernel).permute(3, 2, 0, 1),
    ).permute(0, 2, 3, 1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.numpy(), rtol=1e-5)

    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((2, 4, 4, 3), dtype="float32"), epochs=2, verbose=0)
    assert is_channels_last(conv.kernel)

    path = tmp_path / "m.keras"
    model.save(path)
    loaded = cnnkit.models.load_model(path)
    assert is_channels_last(loaded.layers[0].kernel)
    np.testing.assert_array_equal(
        loaded.layers[0].get_weights()[0], conv.get_weights()[0]
    )
    model.save_weights(tmp_path / "m.weights.h5")
    model.load_weights(tmp_path / "m.weights.h5")
    assert is_channels_last(conv.kernel)

    model.double()
    assert conv.kernel.dtype == torch.float64
    assert is_channels_last(conv.kernel)
