"""The explain API as a user calls it: layouts, nesting, torch modules, every layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import explain, layers, models
from cnnkit.errors import InvalidArgumentError

# ----------------------------------------------------------------- model makers


def small_cnn(data_format: str = "channels_last", softmax: bool = True) -> Any:
    shape = (10, 12, 3) if data_format == "channels_last" else (3, 10, 12)
    return models.Sequential([
        layers.Input(shape),
        layers.Conv2D(4, 3, activation="relu", data_format=data_format, name="c1"),
        layers.MaxPooling2D(data_format=data_format, name="p1"),
        layers.Conv2D(5, 3, padding="same", data_format=data_format, name="c2"),
        layers.Flatten(name="flat"),
        layers.Dense(3, activation="softmax" if softmax else None, name="out"),
    ])  # fmt: skip


def nested_cnn() -> Any:
    base = models.Sequential([
        layers.Input((10, 12, 3)),
        layers.Conv2D(4, 3, activation="relu", name="conv_a"),
        layers.Conv2D(4, 3, activation="relu", name="conv_b"),
    ], name="base")  # fmt: skip
    inputs = cnnkit.Input((10, 12, 3))
    hidden = layers.GlobalAveragePooling2D(name="gap")(base(inputs))
    return cnnkit.Model(inputs, layers.Dense(2, activation="softmax")(hidden))


def torch_cnn() -> torch.nn.Sequential:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 5, 3),
    )  # fmt: skip


def images(n: int = 4, shape: tuple[int, ...] = (10, 12, 3)) -> np.ndarray:
    return np.random.default_rng(0).random((n, *shape), dtype=np.float32)


def no_hooks_left(model: torch.nn.Module) -> bool:
    return all(not m._forward_hooks for m in model.modules())


# ------------------------------------------------------------------ activations


def test_activations_are_every_layer_output_in_keras_layout() -> None:
    model, x = small_cnn(), images()
    maps = explain.activations(model, x, batch_size=3)
    assert {k: v.shape for k, v in maps.items()} == {
        "c1": (4, 8, 10, 4), "p1": (4, 4, 5, 4), "c2": (4, 4, 5, 5),
        "flat": (4, 100), "out": (4, 3),
    }  # fmt: skip
    # The ReLU-after-pooling rewrite steps aside: c1 shows its own (ReLU'd) output.
    assert maps["c1"].min() >= 0
    assert np.allclose(maps["out"], model.predict(x, verbose=0), atol=1e-6)
    assert np.allclose(maps["out"].sum(axis=1), 1, atol=1e-5)  # softmax kept here
    assert no_hooks_left(model)


def test_activations_respect_channels_first_layers() -> None:
    model = small_cnn("channels_first")
    maps = explain.activations(model, images(2, (3, 10, 12)), layers=["c1", "c2"])
    assert maps["c1"].shape == (2, 4, 8, 10)
    assert maps["c2"].shape == (2, 5, 4, 5)


def test_activations_of_nested_models_are_keyed_by_path() -> None:
    model = nested_cnn()
    maps = explain.activations(model, images(2))
    assert list(maps)[:3] == ["base", "base/conv_a", "base/conv_b"]
    assert np.array_equal(maps["base"], maps["base/conv_b"])
    base = model.get_layer("base")
    picked = explain.activations(
        model, images(2), layers=["conv_a", base.get_layer("conv_b"), "gap"]
    )
    assert list(picked) == ["base/conv_a", "base/conv_b", "gap"]


def test_activations_of_a_torch_module_use_module_names() -> None:
    model = torch_cnn()
    x = torch.rand(2, 3, 10, 12)
    model.train()
    maps = explain.activations(model, x)
    assert list(maps) == ["0", "1", "2", "3", "4"]
    assert maps["2"].shape == (2, 4, 4, 5)
    assert model.training  # eval mode only during the call


# ---------------------------------------------------------------------- filters


CONV_CLASSES = {
    name: cls
    for name, cls in vars(layers).items()
    if isinstance(cls, type) and issubclass(cls, layers.Layer) and "Conv" in name
    and not name.startswith("Convolution") and not name.startswith("SeparableConvolution")
    and "LSTM" not in name  # a sequence of images in: tested on its own below
}  # fmt: skip
RANK = {"1D": 1, "2D": 2, "3D": 3}


def conv_model(name: str) -> tuple[Any, Any, np.ndarray]:
    """``Input -> <conv class> -> Flatten -> Dense``, with a batch of inputs."""
    rank = next(r for tag, r in RANK.items() if tag in name)
    shape = (*[7] * rank, 2)
    kwargs = (
        {"kernel_size": 3} if "Depthwise" in name else {"filters": 4, "kernel_size": 3}
    )
    layer = CONV_CLASSES[name](**kwargs, name="target")
    model = models.Sequential(
        [layers.Input(shape), layer, layers.Flatten(), layers.Dense(3)]
    )
    return model, layer, images(2, shape)


def test_the_registry_has_every_convolution() -> None:
    assert len(CONV_CLASSES) == 10


@pytest.mark.parametrize("name", sorted(CONV_CLASSES))
def test_filters_are_the_keras_kernel_of_every_convolution(name: str) -> None:
    model, layer, _ = conv_model(name)
    kernel = explain.filters(model)
    assert np.array_equal(kernel, layer.get_weights()[0])
    assert np.array_equal(explain.filters(model, "target"), kernel)


@pytest.mark.parametrize("name", sorted(CONV_CLASSES))
def test_every_convolution_is_a_gradcam_target(name: str) -> None:
    model, layer, x = conv_model(name)
    for method in ("gradcam", "gradcam++", "layercam"):
        heat = explain.gradcam(model, x, class_index=0, layer=layer, method=method)
        assert heat.shape == x.shape[:-1]
        assert (heat >= 0).all()
    # The automatic pick: the convolution, the one layer with spatial output.
    assert np.array_equal(
        explain.gradcam(model, x, class_index=0),
        explain.gradcam(model, x, class_index=0, layer="target"),
    )


def conv_lstm_model() -> tuple[Any, Any, np.ndarray]:
    layer = layers.ConvLSTM2D(4, 3, padding="same", name="target")
    model = models.Sequential(
        [layers.Input((3, 8, 8, 1)), layer, layers.Flatten(), layers.Dense(2)]
    )
    return model, layer, images(2, (3, 8, 8, 1))


def test_filters_of_a_conv_lstm_are_its_cells_input_kernel() -> None:
    model, layer, _ = conv_lstm_model()
    kernel = explain.filters(model)
    assert kernel.shape == (3, 3, 1, 16)  # four gates of 4 filters
    assert np.array_equal(kernel, layer.cell.kernel.detach().numpy())
    assert np.array_equal(kernel, layer.get_weights()[0])


def test_gradcam_explains_why_a_conv_lstm_over_time_is_no_target() -> None:
    model, _, x = conv_lstm_model()
    with pytest.raises(
        InvalidArgumentError, match=r"has no spatial axes like the input"
    ):
        explain.gradcam(model, x, class_index=0, layer="target")


def test_filters_default_to_the_first_convolution_inside_nested_models() -> None:
    model = nested_cnn()
    inner = model.get_layer("base").get_layer("conv_a")
    assert np.array_equal(explain.filters(model), inner.get_weights()[0])


def test_filters_of_torch_modules_are_permuted_to_keras_layout() -> None:
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, (3, 5)), torch.nn.ConvTranspose2d(8, 2, 4),
        torch.nn.Flatten(), torch.nn.Linear(4, 6),
    )  # fmt: skip
    assert explain.filters(model).shape == (3, 5, 3, 8)
    assert np.array_equal(
        explain.filters(model), model[0].weight.detach().permute(2, 3, 1, 0).numpy()
    )
    assert explain.filters(model, model[1]).shape == (4, 4, 2, 8)
    assert explain.filters(model, "3").shape == (4, 6)


# ---------------------------------------------------------------------- gradcam


def copy_without_softmax(model: Any) -> Any:
    twin = small_cnn(softmax=False)
    twin.set_weights(model.get_weights())
    return twin


def test_gradcam_and_saliency_score_the_logits_before_the_softmax() -> None:
    model, x = small_cnn(), images()
    twin = copy_without_softmax(model)
    for method in ("gradcam", "gradcam++", "layercam"):
        assert np.allclose(
            explain.gradcam(model, x, method=method),
            explain.gradcam(twin, x, method=method), atol=1e-6,
        )  # fmt: skip
    for method in ("gradient", "integrated_gradients"):
        assert np.allclose(
            explain.saliency(model, x, method=method),
            explain.saliency(twin, x, method=method), atol=1e-6,
        )  # fmt: skip
    assert no_hooks_left(model)


def test_a_final_softmax_layer_is_left_out_too() -> None:
    model = small_cnn(softmax=False)
    with_layer = models.Sequential([*model.layers, layers.Softmax()])
    x = images()
    assert np.array_equal(explain.gradcam(with_layer, x), explain.gradcam(model, x))


def test_gradcam_picks_the_last_spatial_layer_and_reads_channels_first() -> None:
    model = small_cnn("channels_first")
    x = images(3, (3, 10, 12))
    heat = explain.gradcam(model, x, class_index=[0, 1, 2])
    assert heat.shape == (3, 10, 12)
    assert np.array_equal(heat, explain.gradcam(model, x, [0, 1, 2], layer="c2"))


def test_gradcam_class_index_forms_agree() -> None:
    model, x = small_cnn(), images(3)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    default = explain.gradcam(model, x)
    assert np.array_equal(default, explain.gradcam(model, x, predicted.tolist()))
    assert np.array_equal(default, explain.gradcam(model, x, torch.tensor(predicted)))
    one = explain.gradcam(model, x, class_index=2, batch_size=1)
    assert np.allclose(one, explain.gradcam(model, x, class_index=np.array([2] * 3)))


def test_gradcam_of_a_torch_module_picks_its_last_spatial_module() -> None:
    model = torch_cnn()
    x = torch.rand(2, 3, 10, 12)
    assert np.array_equal(
        explain.gradcam(model, x), explain.gradcam(model, x, layer="2")
    )


def test_gradcam_normalize_spans_zero_to_one() -> None:
    heat = explain.gradcam(small_cnn(), images(), normalize=True)
    assert np.allclose(heat.min(axis=(1, 2)), 0)
    assert np.allclose(heat.max(axis=(1, 2)), 1)


# --------------------------------------------------------------------- saliency


def test_integrated_gradients_are_complete_for_every_rule() -> None:
    """sum(attributions) = score(x) - score(baseline) for the explained class."""
    model, x = copy_without_softmax(small_cnn()), images(3)
    baseline = np.full(x.shape[1:], 0.2, dtype=np.float32)
    logits = model.predict(x, verbose=0)
    classes = logits.argmax(axis=1)
    gap = (
        logits.max(axis=1)
        - model.predict(np.broadcast_to(baseline, x.shape), verbose=0)[
            [0, 1, 2], classes
        ]
    )
    for rule, steps, tolerance in [
        ("gausslegendre", 50, 1e-3), ("riemann_trapezoid", 200, 1e-2),
        ("riemann_middle", 200, 1e-2),
    ]:  # fmt: skip
        ig = explain.saliency(
            model, x, method="integrated_gradients", baseline=baseline,
            steps=steps, integration=rule,
        )  # fmt: skip
        error = np.abs(ig.sum(axis=(1, 2, 3)) - gap).max()
        assert error <= tolerance * max(1.0, np.abs(gap).max()), (rule, error)


def test_smoothgrad_is_seeded_and_independent_of_the_internal_batch() -> None:
    model, x = small_cnn(), images(3)
    first = explain.saliency(model, x, method="smoothgrad", samples=6, seed=3)
    again = explain.saliency(
        model, x, method="smoothgrad", samples=6, seed=3, internal_batch_size=4
    )
    assert np.allclose(first, again, atol=1e-6)
    other = explain.saliency(model, x, method="smoothgrad", samples=6, seed=4)
    assert not np.allclose(first, other)
    plain = explain.saliency(model, x, method="smoothgrad", noise_level=0, samples=2)
    assert np.allclose(plain, explain.saliency(model, x), atol=1e-6)


def test_occlusion_of_a_one_position_window_is_the_score_drop() -> None:
    model, x = small_cnn(softmax=False), images(2)
    attribution = explain.saliency(model, x, 1, method="occlusion", window=(10, 12))
    drop = (
        model.predict(x, verbose=0)[:, 1]
        - model.predict(np.zeros_like(x), verbose=0)[:, 1]
    )
    assert np.allclose(attribution, drop[:, None, None, None], atol=1e-5)


def test_a_model_with_one_output_unit_is_explained() -> None:
    model = models.Sequential(
        [layers.Input((6, 6, 1)), layers.Flatten(), layers.Dense(1)]
    )
    x = images(2, (6, 6, 1))
    weights = model.get_weights()[0].reshape(6, 6, 1)
    assert np.allclose(explain.saliency(model, x), np.broadcast_to(weights, x.shape))
