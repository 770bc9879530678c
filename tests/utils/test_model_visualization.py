"""``plot_model`` / ``model_to_dot``: DOT text for every kind of model, and images.

Tests that render need Graphviz's ``dot`` (Debian ``graphviz``, which ``make``
installs when it can); they skip, saying so, where it is absent.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch

import cnnkit
from cnnkit import Input, Model, Sequential, layers
from cnnkit.errors import InvalidArgumentError, MissingDependencyError, NotBuiltError
from cnnkit.utils import model_to_dot, plot_model

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` is not installed (apt-get install graphviz)",
)


def _resnet_like() -> Model:
    inputs = Input((32, 32, 3), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inputs)
    for i in range(2):
        y = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
        y = layers.BatchNormalization()(y)
        y = layers.Conv2D(16, 3, padding="same")(y)
        x = layers.Activation("relu")(layers.add([x, y], name=f"residual_{i}"))
    head = Sequential(
        [Input((32, 32, 16)), layers.GlobalAveragePooling2D(), layers.Dense(10)],
        name="head",
    )
    return Model(inputs, head(x), name="resnet_like")


def _edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"(layer_\d+) -> (layer_\d+);", dot)


def _ids(dot: str) -> dict[str, str]:
    """Box id -> layer name (labels drawn with show_layer_names=True)."""
    return dict(re.findall(r"(layer_\d+) \[label=<.*?<b>([^<]+)</b> \(", dot))


def test_sequential_is_a_chain_with_shapes() -> None:
    model = Sequential(
        [Input((8,)), layers.Dense(4, activation="relu"), layers.Dense(1)], name="seq"
    )
    dot = model_to_dot(model, show_shapes=True, show_layer_activations=True)
    names = _ids(dot)
    assert sorted(names.values()) == sorted(layer.name for layer in model.layers)
    assert [(names[a], names[b]) for a, b in _edges(dot)] == [
        (model.layers[0].name, model.layers[1].name)
    ]
    assert "Input shape: <b>(None, 8)</b>" in dot
    assert "Output shape: <b>(None, 1)</b>" in dot
    assert "Activation: <b>relu</b>" in dot


def test_functional_branches_and_merges() -> None:
    model = _resnet_like()
    dot = model_to_dot(model)
    names = _ids(dot)
    pairs = {(names[a], names[b]) for a, b in _edges(dot)}
    assert ("image", "stem") in pairs
    assert ("stem", "residual_0") in pairs  # the skip connection
    merge_inputs = [a for a, b in pairs if b == "residual_0"]
    assert len(merge_inputs) == 2
    last_relu = model.get_layer("head")._inbound_nodes[0].input_tensors[0]
    assert (last_relu._keras_history[0].name, "head") in pairs


def test_expand_nested_draws_a_cluster_and_connects_inside() -> None:
    model = _resnet_like()
    collapsed = model_to_dot(model, expand_nested=False)
    expanded = model_to_dot(model, expand_nested=True)
    assert "subgraph cluster_" not in collapsed
    assert re.search(r'subgraph cluster_\d+ \{\n\s+label="head";', expanded)
    names = _ids(expanded)
    assert "head" not in names.values()
    targets = {names[b] for _, b in _edges(expanded)}
    assert model.get_layer("head").layers[0].name in targets


def test_subclassed_model_is_one_box() -> None:
    class Tiny(Model):
        def __init__(self) -> None:
            super().__init__(name="tiny")
            self.dense = layers.Dense(2)

        def call(self, x: torch.Tensor) -> torch.Tensor:
            return self.dense(x)

    model = Tiny()
    with pytest.raises(NotBuiltError, match=r"'tiny' has not been built.*call it on"):
        model_to_dot(model)
    model(torch.zeros(1, 3))
    dot = model_to_dot(model)
    assert list(_ids(dot).values()) == ["tiny"]
    assert _edges(dot) == []


def test_options_change_the_label() -> None:
    model = _resnet_like()
    plain = model_to_dot(model, show_layer_names=False, rankdir="LR")
    assert 'rankdir="LR"' in plain
    assert "<b>Conv2D</b>" in plain
    assert "stem" not in plain
    rich = model_to_dot(model, show_dtype=True, show_trainable=True, dpi=72)
    assert "Output dtype: <b>float32</b>" in rich
    assert "<b>Trainable</b>" in rich
    assert "dpi=72" in rich
    model.get_layer("stem").trainable = False
    assert "<b>Non-trainable</b>" in model_to_dot(model, show_trainable=True)


def test_dot_file_needs_no_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "out" / "model.dot"
    plot_model(_resnet_like(), to_file=path, show_shapes=True)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("digraph G {")
    with pytest.raises(MissingDependencyError, match="apt-get install graphviz"):
        plot_model(_resnet_like(), to_file=tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()


def test_bad_arguments_are_explained(tmp_path: Path) -> None:
    model = _resnet_like()
    with pytest.raises(InvalidArgumentError, match=r"extension must be one of.*'\.jp"):
        plot_model(model, to_file=tmp_path / "m.jpg")
    with pytest.raises(InvalidArgumentError, match="`rankdir` must be one of"):
        model_to_dot(model, rankdir="up")


def test_utils_namespace_exports_them() -> None:
    assert cnnkit.utils.plot_model is plot_model
    assert cnnkit.utils.model_to_dot is model_to_dot


@needs_dot
def test_png_of_a_resnet_like_model_opens_with_pillow(tmp_path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    path = tmp_path / "resnet.png"
    plot_model(
        _resnet_like(),
        to_file=path,
        show_shapes=True,
        show_layer_names=True,
        expand_nested=True,
        dpi=96,
    )
    with image_module.open(path) as image:
        image.load()
        width, height = image.size
        assert image.format == "PNG"
    # A dozen boxes stacked top to bottom: much taller than wide, and readable.
    assert height > width > 200
    assert height > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["resnet.png"]  # no temp left


@needs_dot
@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_svg_and_pdf(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"m{suffix}"
    plot_model(_resnet_like(), to_file=path, rankdir="LR")
    head = path.read_bytes()[:200]
    assert (
        (b"<svg" in head or b"<?xml" in head)
        if suffix == ".svg"
        else head[:4] == b"%PDF"
    )
