"""``cnnkit evaluate | predict | summary | export`` on small models and fake data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import Cli, small_cnn

import cnnkit
from cnnkit import layers
from cnnkit.utils import to_categorical

# A model whose output ignores the image: class 3 (50 %), then 1 (30 %), then 7 (20 %).
PROBABILITIES = np.array([0, 0.3, 0, 0.5, 0, 0, 0, 0.2, 0, 0])


def _constant_model(path: Path, activation: str = "softmax") -> Path:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(10, activation=activation),
        ]
    )
    logits = np.log(np.maximum(PROBABILITIES, 1e-12)).astype("float32")
    model.set_weights([np.zeros((784, 10), "float32"), logits])
    model.save(path)
    return path


def _image(path: Path, shape: tuple[int, ...] = (28, 28), mode: str = "L") -> Path:
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(pixels).convert(mode).save(path)
    return path


# ---------------------------------------------------------------------- evaluate


def test_evaluate_reports_the_library_numbers(
    cli: Cli, fake_mnist: tuple, model_file: Path
) -> None:
    result = cli("evaluate", model_file, "--dataset", "mnist", "--batch-size", "7")
    assert result.code == 0, result.err
    model = cnnkit.models.load_model(model_file, compile=False)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    (_, _), (x_test, y_test) = fake_mnist
    loss, accuracy = model.evaluate(
        x_test[..., None] / 255.0, to_categorical(y_test, 10), verbose=0
    )
    assert result.out == (
        f"mnist test accuracy: {accuracy:.4f}  (loss {loss:.4f}, 40 images)\n"
    )


def test_evaluate_max_samples(cli: Cli, fake_mnist: tuple, model_file: Path) -> None:
    result = cli("evaluate", model_file, "--max-samples", "8")
    assert result.code == 0, result.err
    assert result.out.endswith(", 8 images)\n")


def test_evaluate_missing_model_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("evaluate", tmp_path / "none.keras")
    assert result.code == 1
    assert (
        result.err
        == f"cnnkit: error: Model file not found: {tmp_path / 'none.keras'}\n"
    )


def test_evaluate_refuses_a_model_for_other_images(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    small_cnn((32, 32, 3)).save(tmp_path / "colour.keras")
    result = cli("evaluate", tmp_path / "colour.keras", "--dataset", "mnist")
    assert result.code == 1
    assert result.err.startswith(
        "cnnkit: error: The model takes inputs of shape (None, 32, 32, 3), but mnist"
    )


def test_evaluate_bad_batch_size_is_a_usage_error(cli: Cli, model_file: Path) -> None:
    result = cli("evaluate", model_file, "--batch-size", "0")
    assert result.code == 2
    assert "argument --batch-size: expected a positive integer, got '0'" in result.err


# ---------------------------------------------------------------------- predict


def test_predict_prints_top_k_with_probabilities(cli: Cli, tmp_path: Path) -> None:
    model = _constant_model(tmp_path / "const.keras")
    images = [_image(tmp_path / "a.png"), _image(tmp_path / "b.jpg", (40, 30), "RGB")]
    result = cli("predict", model, *images, "--top-k", "2")
    assert result.code == 0, result.err
    assert result.out == (
        f"{images[0]}: 3  (3 50.0%, 1 30.0%)\n{images[1]}: 3  (3 50.0%, 1 30.0%)\n"
    )


def test_predict_class_names_and_a_large_top_k(cli: Cli, tmp_path: Path) -> None:
    model = _constant_model(tmp_path / "const.keras")
    image = _image(tmp_path / "a.bmp")
    names = ",".join(f"c{i}" for i in range(10))
    result = cli("predict", model, image, "--class-names", names, "--top-k", "50")
    assert result.code == 0, result.err
    line = result.out.strip()
    assert line.startswith(f"{image}: c3  (c3 50.0%, c1 30.0%, c7 20.0%, ")
    assert line.count("%") == 10  # every class, no more


def test_predict_turns_logits_into_probabilities(cli: Cli, tmp_path: Path) -> None:
    model = _constant_model(tmp_path / "logits.keras", activation="linear")
    result = cli("predict", model, _image(tmp_path / "a.png"), "--top-k", "3")
    assert result.code == 0, result.err
    assert result.out.endswith(": 3  (3 50.0%, 1 30.0%, 7 20.0%)\n")


def test_predict_wrong_number_of_class_names(cli: Cli, tmp_path: Path) -> None:
    model = _constant_model(tmp_path / "const.keras")
    result = cli("predict", model, _image(tmp_path / "a.png"), "--class-names", "a,b")
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: --class-names lists 2 names, but the model has 10 classes: "
        "give one name per class, in order.\n"
    )


def test_predict_top_k_must_be_positive(cli: Cli, model_file: Path) -> None:
    result = cli("predict", model_file, "a.png", "--top-k", "0")
    assert result.code == 2
    assert "argument --top-k: expected a positive integer, got '0'" in result.err


def test_predict_needs_an_image(cli: Cli, model_file: Path) -> None:
    result = cli("predict", model_file)
    assert result.code == 2
    assert "the following arguments are required: images" in result.err


def test_predict_unreadable_and_missing_images(
    cli: Cli, model_file: Path, tmp_path: Path
) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    result = cli("predict", model_file, text)
    assert result.code == 1
    assert re.fullmatch(
        rf"cnnkit: error: Cannot read image {re.escape(str(text))}: cannot identify "
        r"image file .*\n",
        result.err,
    )
    result = cli("predict", model_file, tmp_path / "gone.png")
    assert result.code == 1
    assert result.err.startswith(
        f"cnnkit: error: Cannot read image {tmp_path / 'gone.png'}"
    )


def test_predict_refuses_a_model_that_is_not_for_images(
    cli: Cli, tmp_path: Path
) -> None:
    vector = cnnkit.Sequential([cnnkit.Input((4,)), layers.Dense(2)])
    vector.save(tmp_path / "vector.keras")
    result = cli("predict", tmp_path / "vector.keras", _image(tmp_path / "a.png"))
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: `cnnkit predict` needs an image model with input (H, W, C); "
        "this one takes (4,).\n"
    )


def test_predict_refuses_inputs_without_a_fixed_size(cli: Cli, tmp_path: Path) -> None:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((None, None, 1)),
            layers.Conv2D(2, 3),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.save(tmp_path / "any_size.keras")
    result = cli("predict", tmp_path / "any_size.keras", _image(tmp_path / "a.png"))
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: The model's input has no fixed height/width; cannot resize "
        "images for it.\n"
    )


def test_predict_refuses_odd_channel_counts(cli: Cli, tmp_path: Path) -> None:
    small_cnn((28, 28, 2)).save(tmp_path / "two.keras")
    result = cli("predict", tmp_path / "two.keras", _image(tmp_path / "a.png"))
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: Images can feed grayscale (1 channel) or RGB (3 channels) "
        "models; this model takes 2 channels.\n"
    )


# ---------------------------------------------------------------------- summary


def test_summary_prints_the_layers(cli: Cli, model_file: Path) -> None:
    result = cli("summary", model_file)
    assert result.code == 0, result.err
    assert "Conv2D" in result.out
    # Conv2D(4, 5): 5*5*4 + 4; Dense(10) on 6*6*4 features: 144*10 + 10.
    assert "Total params: 1,554" in result.out


def test_summary_of_a_file_that_is_not_a_model(cli: Cli, tmp_path: Path) -> None:
    fake = tmp_path / "fake.keras"
    fake.write_text("hello")
    result = cli("summary", fake)
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"cnnkit: error: Cannot read '{fake}'")


# ---------------------------------------------------------------------- export


@pytest.mark.slow  # tracing the model for ONNX takes seconds
def test_export_writes_onnx_that_matches_predict(
    cli: Cli, model_file: Path, tmp_path: Path
) -> None:
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "small.onnx"
    result = cli("export", model_file, out)
    assert (result.code, result.out, result.err) == (0, f"Wrote {out}\n", "")
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    [onnx_out] = session.run(None, {session.get_inputs()[0].name: x})
    model = cnnkit.models.load_model(model_file)
    np.testing.assert_allclose(onnx_out, model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.slow  # tracing the model for ONNX takes seconds
def test_export_without_an_output_writes_beside_the_model(
    cli: Cli, model_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("export", model_file)
    assert result.code == 0, result.err
    assert model_file.with_suffix(".onnx").is_file()
    assert list(elsewhere.iterdir()) == []  # nothing left in the current folder


def test_export_missing_model(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", tmp_path / "no.keras", tmp_path / "out.onnx")
    assert result.code == 1
    assert result.err.startswith("cnnkit: error: Model file not found:")
    assert not (tmp_path / "out.onnx").exists()
