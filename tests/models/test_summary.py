"""summary(): same rows, shapes and totals as Keras 3 (compared with Keras itself)."""

from __future__ import annotations

import pytest

import cnnkit
from cnnkit import layers, models
from cnnkit.backend import clear_session


def _capture(model, line_length: int = 88, **kwargs) -> str:
    lines: list[str] = []
    model.summary(
        print_fn=lambda text, **_: lines.append(text),
        line_length=line_length,
        **kwargs,
    )
    return "".join(lines)


def _seed(lib):
    model = lib.models.Sequential()
    model.add(lib.layers.Input((28, 28, 1)))
    model.add(lib.layers.Conv2D(32, (5, 5), activation="relu"))
    model.add(lib.layers.MaxPooling2D((2, 2)))
    model.add(lib.layers.Conv2D(64, (5, 5), activation="relu"))
    model.add(lib.layers.MaxPooling2D((2, 2)))
    model.add(lib.layers.Flatten())
    model.add(lib.layers.Dense(10, activation="softmax"))
    return model


def _dag(lib, input_fn):
    inputs = input_fn((8, 8, 3), name="img")
    a = lib.layers.Conv2D(4, 3, padding="same", name="a")(inputs)
    b = lib.layers.Conv2D(4, 1, name="b")(inputs)
    added = lib.layers.Add(name="add")([a, b])
    merged = lib.layers.Concatenate(name="cat")([added, a])
    pooled = lib.layers.GlobalAveragePooling2D(name="gap")(merged)
    return lib.Model(inputs, lib.layers.Dense(2, name="out")(pooled), name="dag")


def test_seed_summary_totals() -> None:
    clear_session()
    text = _capture(_seed(cnnkit))
    assert " Total params: 62,346 (243.54 KB)" in text
    assert "│ conv2d (Conv2D)" in text
    assert "(None, 24, 24, 32)" in text


@pytest.mark.oracle
def test_seed_summary_equals_keras() -> None:
    import keras

    keras.backend.clear_session()
    clear_session()
    theirs = _capture(_seed(keras))
    ours = _capture(_seed(cnnkit))
    assert ours == theirs


@pytest.mark.oracle
def test_dag_summary_shows_connections_like_keras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keras

    # rich (for Keras and for us) cuts the table at the console width, which is 80
    # columns off a terminal; a wide console lets the "Connected to" column show.
    monkeypatch.setenv("COLUMNS", "200")
    ours = _capture(_dag(cnnkit, cnnkit.Input), line_length=120)
    theirs = _capture(_dag(keras, keras.Input), line_length=120)
    assert ours == theirs
    assert "Connected to" in ours
    assert "a[0][0], b[0][0]" in ours


@pytest.mark.oracle
def test_unbuilt_and_compiled_summaries_equal_keras() -> None:
    import keras

    ours_model = models.Sequential([layers.Dense(3, name="d")], name="s")
    theirs_model = keras.models.Sequential([keras.layers.Dense(3, name="d")], name="s")
    assert _capture(ours_model) == _capture(theirs_model)


def test_trainable_column_and_layer_range() -> None:
    model = _seed(cnnkit)
    model.layers[0].trainable = False
    text = _capture(model, show_trainable=True, layer_range=("conv2d", "max_pooling2d"))
    assert "Trainable" in text
    assert "flatten" not in text
    with pytest.raises(ValueError, match="matches no layer"):
        _capture(model, layer_range=("nope", "nope"))
    with pytest.raises(ValueError, match="two layer names"):
        _capture(model, layer_range=("conv2d",))


def test_too_narrow_line_length_is_explained() -> None:
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="too narrow"):
        model.summary(line_length=5, print_fn=lambda *_: None)
