"""ONNX export, checked by running the file in onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cnnkit
from cnnkit import layers
from cnnkit.errors import InvalidArgumentError, NotBuiltError
from cnnkit.saving.onnx_export import export_model

ort = pytest.importorskip("onnxruntime")

pytestmark = pytest.mark.slow  # each export traces the model (seconds)


def _run(path: Path, *inputs: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))[0]


def _seed_model() -> cnnkit.Sequential:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((28, 28, 1)),
            layers.Conv2D(8, (5, 5), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.RandomState(0)
    model.fit(rng.rand(16, 28, 28, 1), rng.randint(0, 10, 16), verbose=0)
    return model


def test_seed_model_matches_in_onnxruntime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _seed_model()
    model.export(tmp_path / "seed.onnx", format="onnx")
    assert capsys.readouterr().out == f"Saved artifact at '{tmp_path / 'seed.onnx'}'.\n"
    for batch in (1, 7):  # the batch axis is dynamic
        x = np.random.RandomState(batch).rand(batch, 28, 28, 1).astype("float32")
        np.testing.assert_allclose(
            _run(tmp_path / "seed.onnx", x), model.predict(x, verbose=0), atol=1e-5
        )


def test_functional_two_branches_match(tmp_path: Path) -> None:
    image, extra = cnnkit.Input((8, 8, 3)), cnnkit.Input((8, 8, 3))
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    a = layers.BatchNormalization()(a)
    b = layers.DepthwiseConv2D(3, padding="same")(extra)
    b = layers.Conv2D(4, 1)(b)
    x = layers.Concatenate()([layers.Add()([a, b]), a])
    x = layers.GlobalAveragePooling2D()(layers.Dropout(0.5)(x))
    model = cnnkit.Model([image, extra], layers.Dense(3, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.RandomState(0)
    data = [rng.rand(12, 8, 8, 3).astype("float32") for _ in range(2)]
    model.fit(data, rng.randint(0, 3, 12), epochs=2, verbose=0)
    model.train()
    export_model(model, tmp_path / "fn.onnx", verbose=False)
    assert model.training  # export put the model back in its previous mode
    got = _run(tmp_path / "fn.onnx", data[0][:5], data[1][:5])
    np.testing.assert_allclose(
        got, model.predict([d[:5] for d in data], verbose=0), atol=1e-5
    )


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cnnkit.cli import main

    model = _seed_model()
    model.save(tmp_path / "m.keras")
    assert main(["export", str(tmp_path / "m.keras"), str(tmp_path / "m.onnx")]) == 0
    x = np.random.RandomState(3).rand(2, 28, 28, 1).astype("float32")
    np.testing.assert_allclose(
        _run(tmp_path / "m.onnx", x), model.predict(x, verbose=0), atol=1e-5
    )
    assert "m.onnx" in capsys.readouterr().out


def test_export_errors(tmp_path: Path) -> None:
    model = cnnkit.Sequential([cnnkit.Input((4,)), layers.Dense(2)])
    with pytest.raises(
        InvalidArgumentError, match="Unrecognized format='tf_saved_model'"
    ):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(
        InvalidArgumentError, match=r"unsupported argument\(s\) \['input_signature'\]"
    ):
        model.export(tmp_path / "m.onnx", input_signature=[])
    with pytest.raises(NotBuiltError, match="no known input shape"):
        cnnkit.Sequential([layers.Dense(2)]).export(tmp_path / "m.onnx")
    ragged = cnnkit.Sequential(
        [cnnkit.Input((None, None, 3)), layers.GlobalAveragePooling2D()]
    )
    with pytest.raises(InvalidArgumentError, match="unknown sizes besides the batch"):
        ragged.export(tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_missing_exporter_package_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxscript" else real(name, *a),
    )
    model = cnnkit.Sequential([cnnkit.Input((4,)), layers.Dense(2)])
    with pytest.raises(ModuleNotFoundError, match="pip install onnxscript"):
        model.export(tmp_path / "m.onnx")
