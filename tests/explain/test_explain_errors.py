"""Every error of cnnkit.explain names the argument, what was expected and received,
and says what to do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import explain, layers, models
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError


def small_cnn() -> Any:
    return models.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(3, 3, activation="relu", name="conv"),
        layers.Flatten(name="flat"),
        layers.Dense(3, name="out"),
    ])  # fmt: skip


X = np.random.default_rng(0).random((2, 8, 8, 1), dtype=np.float32)


class Unused(torch.nn.Module):
    """A torch model with a module its forward never calls, and one returning a pair."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.spare = torch.nn.Conv2d(2, 2, 1)
        self.pair = Pair()
        self.head = torch.nn.Linear(72, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, _ = self.pair(self.conv(x))
        return self.head(a.flatten(1))


class Pair(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, x


TORCH_X = torch.rand(2, 1, 8, 8)


def twin_bases() -> Any:
    inputs = cnnkit.Input((8, 8, 1))
    branches = []
    for name in ("left", "right"):
        base = models.Sequential(
            [layers.Input((8, 8, 1)), layers.Conv2D(2, 3, name="conv")], name=name
        )
        branches.append(layers.Flatten()(base(inputs)))
    return cnnkit.Model(inputs, layers.Dense(2)(layers.Concatenate()(branches)))


def two_outputs() -> Any:
    inputs = cnnkit.Input((8, 8, 1))
    flat = layers.Flatten()(inputs)
    return cnnkit.Model(inputs, [layers.Dense(2)(flat), layers.Dense(3)(flat)])


CASES: list[tuple[str, Any, type[Exception], str]] = [
    # the model and the input
    ("model", lambda: explain.gradcam("model.keras", X), InvalidTypeError,
     r"`explain.gradcam` needs a model.*received model='model.keras'.*explain.gradcam\(model, x\)"),
    ("x type", lambda: explain.saliency(small_cnn(), {"x": 1}), InvalidTypeError,
     r"`x` must be a numpy array or a torch tensor.*received x of type dict"),
    ("x text", lambda: explain.activations(small_cnn(), np.array([["a.png"]])),
     InvalidTypeError, r"`x`: Received an array of strings.*load_img"),
    ("x rank", lambda: explain.gradcam(small_cnn(), X[0, :, :, 0]), InvalidArgumentError,
     r"`x` must be a batch with at least 3 axes.*received shape \(8, 8\).*`x\[None\]`"),
    ("x empty", lambda: explain.activations(small_cnn(), X[:0]), InvalidArgumentError,
     r"`x` is an empty batch \(shape \(0, 8, 8, 1\)\); pass at least one sample"),
    # layer lookup
    ("unknown name", lambda: explain.gradcam(small_cnn(), X, layer="conv9"),
     InvalidArgumentError, r"`layer`='conv9' names no layer.*\['conv', 'flat', 'out'\]"),
    ("foreign layer", lambda: explain.filters(small_cnn(), layers.Conv2D(2, 3)),
     InvalidArgumentError, r"`layer` is the layer Conv2D .* not part of the model"),
    ("layer type", lambda: explain.filters(small_cnn(), 3), InvalidTypeError,
     r"`layer` must be a layer name \(str\) or a layer of the model; received layer=3"),
    ("ambiguous", lambda: explain.activations(twin_bases(), X, layers="conv"),
     InvalidArgumentError, r"`layers`='conv' names 2 layers.*'left/conv', 'right/conv'.*full path"),
    ("layers type", lambda: explain.activations(small_cnn(), X, layers=7),
     InvalidTypeError, r"`layers` must be None \(every layer\), a layer name.*received layers=7"),
    ("not run", lambda: explain.activations(Unused(), TORCH_X, layers="spare"),
     InvalidArgumentError, r"the layer 'spare' did not run"),
    ("tuple output", lambda: explain.activations(Unused(), TORCH_X, layers=["pair"]),
     InvalidArgumentError, r"the layer 'pair' outputs a tuple, not one tensor"),
    # filters
    ("no kernel", lambda: explain.filters(small_cnn(), "flat"), InvalidArgumentError,
     r"`layer`='flat' is a Flatten, which has no kernel.*\['conv'\]"),
    ("torch no kernel", lambda: explain.filters(torch.nn.Sequential(torch.nn.ReLU()), "0"),
     InvalidArgumentError, r"`layer`='0' is a ReLU, which has no kernel \(`weight`\)"),
    ("no convolution", lambda: explain.filters(models.Sequential([layers.Input((4,)), layers.Dense(2)])),
     InvalidArgumentError, r"found no convolution layer in the model.*Pass `layer=`"),
    ("unbuilt", lambda: explain.filters(models.Sequential([layers.Conv2D(2, 3)])),
     NotBuiltError, r"has not created its kernel yet.*model.build\(input_shape\)"),
    # gradcam
    ("method", lambda: explain.gradcam(small_cnn(), X, method="gradcam+"),
     InvalidArgumentError, r"`method` must be one of \['gradcam', 'gradcam\+\+', 'layercam'\]; received method='gradcam\+'"),
    ("batch_size", lambda: explain.gradcam(small_cnn(), X, batch_size=0),
     InvalidArgumentError, r"`batch_size` must be a positive integer; received batch_size=0"),
    ("no spatial layer", lambda: explain.gradcam(models.Sequential([layers.Input((8, 8, 1)), layers.Flatten(), layers.Dense(2)]), X),
     InvalidArgumentError, r"found no layer with spatial output.*Pass `layer=`"),
    ("flat target", lambda: explain.gradcam(small_cnn(), X, layer="flat"),
     InvalidArgumentError, r"`layer`='flat' outputs shape \(2, 108\), which has no spatial axes"),
    ("target not run", lambda: explain.gradcam(Unused(), TORCH_X, layer="spare"),
     InvalidArgumentError, r"`layer`='spare' did not run when the model was called"),
    ("two outputs", lambda: explain.saliency(two_outputs(), X), InvalidArgumentError,
     r"models with one output.*returned a list"),
    ("3-D output", lambda: explain.saliency(models.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(2, 3)]), X),
     InvalidArgumentError, r"class scores of shape \(batch, classes\); the model returned shape \(2, 6, 6, 2\)"),
    # class_index
    ("class bool", lambda: explain.gradcam(small_cnn(), X, class_index=True),
     InvalidTypeError, r"`class_index` must be None .*received class_index=True"),
    ("class str", lambda: explain.gradcam(small_cnn(), X, class_index="cat"),
     InvalidTypeError, r"`class_index` must be None .*received class_index='cat' of type str"),
    ("class floats", lambda: explain.gradcam(small_cnn(), X, class_index=[0.5, 1.0]),
     InvalidTypeError, r"1-D sequence of ints \(one per sample\); received class_index=\[0.5, 1.0\]"),
    ("class count", lambda: explain.saliency(small_cnn(), X, class_index=[0, 1, 2]),
     InvalidArgumentError, r"`class_index` has 3 entries but `x` has 2 samples"),
    ("class range", lambda: explain.gradcam(small_cnn(), X, class_index=3),
     InvalidArgumentError, r"`class_index` must lie in \[0, 3\).*received \[3\]"),
    # saliency options
    ("saliency method", lambda: explain.saliency(small_cnn(), X, method="lime"),
     InvalidArgumentError, r"`method` must be one of \['gradient', 'smoothgrad', 'integrated_gradients', 'occlusion'\]"),
    ("unknown option", lambda: explain.saliency(small_cnn(), X, steps=10),
     InvalidArgumentError, r"saliency\(method='gradient'\) got unknown option\(s\) \['steps'\].*\['abs', 'internal_batch_size'\].*`steps` is an option of \['integrated_gradients'\]"),
    ("typo option", lambda: explain.saliency(small_cnn(), X, method="smoothgrad", nsamples=3),
     InvalidArgumentError, r"unknown option\(s\) \['nsamples'\].*Check the spelling"),
    ("internal batch", lambda: explain.saliency(small_cnn(), X, internal_batch_size=-1),
     InvalidArgumentError, r"`internal_batch_size` must be a positive integer"),
    ("abs", lambda: explain.saliency(small_cnn(), X, abs="yes"), InvalidTypeError,
     r"`abs` must be True or False; received abs='yes'"),
    ("samples", lambda: explain.saliency(small_cnn(), X, method="smoothgrad", samples=0),
     InvalidArgumentError, r"`samples` must be a positive integer"),
    ("noise", lambda: explain.saliency(small_cnn(), X, method="smoothgrad", noise_level=-1),
     InvalidArgumentError, r"`noise_level` is the noise's standard deviation.*received noise_level=-1"),
    ("seed", lambda: explain.saliency(small_cnn(), X, method="smoothgrad", seed="0"),
     InvalidTypeError, r"`seed` must be None or an int; received seed='0'"),
    ("integration", lambda: explain.saliency(small_cnn(), X, method="integrated_gradients", integration="simpson"),
     InvalidArgumentError, r"`integration` must be one of \['gausslegendre', 'riemann_left'"),
    ("steps", lambda: explain.saliency(small_cnn(), X, method="integrated_gradients", steps=0),
     InvalidArgumentError, r"`steps` must be a positive integer"),
    ("trapezoid steps", lambda: explain.saliency(small_cnn(), X, method="integrated_gradients", steps=1, integration="riemann_trapezoid"),
     InvalidArgumentError, r"`steps` must be at least 2 with integration='riemann_trapezoid'"),
    ("ig baseline", lambda: explain.saliency(small_cnn(), X, method="integrated_gradients", baseline=np.zeros((8, 8))),
     InvalidArgumentError, r"`baseline` must be a number, one sample of the shape of `x\[0\]` \(8, 8, 1\).*received shape \(8, 8\)"),
    ("occlusion baseline", lambda: explain.saliency(small_cnn(), X, method="occlusion", baseline=None),
     InvalidTypeError, r"`baseline` of method='occlusion' is the value that fills the occluded window"),
    ("window", lambda: explain.saliency(small_cnn(), X, method="occlusion", window=9),
     InvalidArgumentError, r"`window`=\(9, 9\) is larger than the input's spatial size \(8, 8\)"),
    ("window type", lambda: explain.saliency(small_cnn(), X, method="occlusion", window="big"),
     InvalidTypeError, r"`window` must be an int or a tuple of 2 ints"),
    ("stride", lambda: explain.saliency(small_cnn(), X, method="occlusion", window=2, stride=3),
     InvalidArgumentError, r"`stride`=\(3, 3\) is larger than `window`=\(2, 2\).*never be occluded"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_errors_teach(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_hooks_are_removed_when_the_model_fails() -> None:
    model = small_cnn()
    with pytest.raises(ValueError, match="class_index"):
        explain.gradcam(model, X, class_index=5)
    with pytest.raises(ValueError, match=r"expects|shape"):
        explain.activations(model, np.zeros((2, 5, 5, 1), dtype=np.float32))
    assert all(not m._forward_hooks for m in model.modules())
