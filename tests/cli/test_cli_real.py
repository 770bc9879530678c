"""The ``cnnkit`` console script on real MNIST (slow).

A seed CNN is trained once here through the library (1 epoch of Adam on the 60,000
training images: about 98 % test accuracy), then ``cnnkit predict`` must recognise
MNIST test digits written as PNG files in both polarities, at 28x28 grayscale and as
64x64 RGB.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import CNNKIT_SCRIPT, DATA_HOME, subprocess_env
from PIL import Image

from cnnkit import zoo
from cnnkit.datasets import mnist
from cnnkit.utils import set_random_seed

pytestmark = pytest.mark.slow

VARIANTS = (
    "28-light-on-dark",
    "28-dark-on-light",
    "64rgb-light-on-dark",
    "64rgb-dark-on-light",
)


@pytest.fixture(scope="module")
def real_mnist() -> Iterator[tuple]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNKIT_HOME", str(DATA_HOME))
        yield mnist.load_data()


@pytest.fixture(scope="module")
def trained_model(
    real_mnist: tuple, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, float]:
    """A seed CNN trained briefly on all of MNIST; its file and test accuracy."""
    (x_train, y_train), (x_test, y_test) = real_mnist
    set_random_seed(0)
    model = zoo.seed_cnn()
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x_train[..., None] / 255.0, y_train, batch_size=100, epochs=1, verbose=0)
    _, accuracy = model.evaluate(x_test[..., None] / 255.0, y_test, verbose=0)
    path = tmp_path_factory.mktemp("model") / "mnist.keras"
    model.save(path)
    return path, float(accuracy)


def _cnnkit(*args: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CNNKIT_SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(DATA_HOME),
    )


def _write_digit(pixels: np.ndarray, variant: str, path: Path) -> None:
    image = Image.fromarray(pixels)
    if variant.startswith("64rgb"):
        image = image.resize((64, 64), Image.Resampling.BICUBIC).convert("RGB")
    if variant.endswith("dark-on-light"):
        image = Image.fromarray(255 - np.asarray(image))
    image.save(path)


def test_predict_recognises_digit_files_in_both_polarities(
    real_mnist: tuple, trained_model: tuple[Path, float], tmp_path: Path
) -> None:
    model_path, accuracy = trained_model
    assert accuracy >= 0.97
    _, (x_test, y_test) = real_mnist
    chosen = [int(np.flatnonzero(y_test == digit)[0]) for digit in range(10)]
    files: dict[str, tuple[str, int]] = {}
    for variant in VARIANTS:
        for index in chosen:
            path = tmp_path / f"{variant}-{index}.png"
            _write_digit(x_test[index], variant, path)
            files[str(path)] = (variant, int(y_test[index]))

    result = _cnnkit("predict", model_path, *files, "--top-k", "3")
    assert result.returncode == 0, result.stderr

    correct = dict.fromkeys(VARIANTS, 0)
    lines = result.stdout.splitlines()
    assert len(lines) == len(files)
    for line in lines:
        match = re.fullmatch(
            r"(.+): (\d)  \((\d [\d.]+%), (\d [\d.]+%), (\d [\d.]+%)\)", line
        )
        assert match, line
        variant, label = files[match[1]]
        correct[variant] += int(match[2]) == label
    print("correct of 10:", correct)
    assert all(count >= 9 for count in correct.values()), correct


def test_evaluate_matches_the_library(trained_model: tuple[Path, float]) -> None:
    model_path, accuracy = trained_model
    result = _cnnkit("evaluate", model_path, "--dataset", "mnist")
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(
        r"mnist test accuracy: ([\d.]+)  \(loss [\d.]+, 10000 images\)\n", result.stdout
    )
    assert match, result.stdout
    assert float(match[1]) == pytest.approx(accuracy, abs=1e-4)


def test_train_one_epoch_on_a_real_subset(tmp_path: Path, real_mnist: tuple) -> None:
    result = _cnnkit(
        "train", "--epochs", "1", "--max-samples", "2000", "--optimizer", "adam",
        "--seed", "0", "--output-dir", tmp_path, "--name", "quick",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = tmp_path / "quick"
    assert {p.name for p in run.iterdir()} == {
        "model.keras",
        "history.csv",
        "metrics.json",
    }
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["train_images"], metrics["test_images"]) == (2000, 2000)
    # 20 Adam steps already beat chance (10 %) by far.
    assert metrics["test_accuracy"] > 0.5, metrics
    assert f"Test accuracy: {metrics['test_accuracy']:.4f}" in result.stdout
