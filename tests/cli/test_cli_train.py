"""``cnnkit train``: defaults, every option, the run folder it writes, bad input.

These tests train for one epoch on the tiny fake datasets of ``conftest.py``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import Cli, small_cnn

from cnnkit.cli import build_parser
from cnnkit.models import load_model

QUICK = ("--epochs", "1", "--verbose", "0")


def _train(cli: Cli, tmp_path: Path, *args: object, name: str = "run") -> Path:
    result = cli(
        "train", *QUICK, "--output-dir", tmp_path / "runs", "--name", name, *args
    )
    assert result.code == 0, result.err
    assert result.err == ""
    return tmp_path / "runs" / name


def test_defaults_are_the_seed_tutorial() -> None:
    args = build_parser().parse_args(["train"])
    assert (args.dataset, args.model, args.optimizer) == ("mnist", None, "sgd")
    assert (args.epochs, args.batch_size) == (5, 100)
    assert (args.learning_rate, args.validation_split, args.max_samples) == (
        None,
        0.0,
        None,
    )
    assert args.output_dir == "runs"


def test_one_epoch_on_a_subset_writes_the_run_folder(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    result = cli(
        "train", "--epochs", "1", "--max-samples", "50", "--batch-size", "10",
        "--output-dir", tmp_path / "runs", "--name", "quick", "--seed", "3",
    )  # fmt: skip
    assert result.code == 0, result.err
    run = tmp_path / "runs" / "quick"
    assert sorted(p.name for p in run.iterdir()) == [
        "history.csv",
        "metrics.json",
        "model.keras",
    ]
    assert 'Model: "seed_cnn"' in result.out  # verbose 1: summary and progress bar
    assert "5/5" in result.out  # 50 images, batch 10
    assert f"Run written to {run}/" in result.out

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["dataset"] == "mnist"
    assert metrics["model"] == "seed_cnn"
    assert (metrics["epochs"], metrics["batch_size"], metrics["optimizer"]) == (
        1,
        10,
        "sgd",
    )
    assert metrics["learning_rate"] == 0.01  # Keras' SGD default
    assert (
        metrics["max_samples"],
        metrics["train_images"],
        metrics["test_images"],
    ) == (
        50,
        50,
        40,
    )
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["test_loss"] > 0
    assert set(metrics["final_epoch"]) == {"accuracy", "loss"}

    with open(run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0"]
    assert float(rows[0]["loss"]) == pytest.approx(metrics["final_epoch"]["loss"])

    # The saved model is the trained one: it reproduces the reported test accuracy.
    (_, _), (x_test, y_test) = fake_mnist
    model = load_model(run / "model.keras")
    predicted = model.predict(x_test[..., None] / 255.0, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(metrics["test_accuracy"])


def test_default_run_name_is_dataset_and_time(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    result = cli("train", *QUICK, "--output-dir", tmp_path)
    assert result.code == 0, result.err
    [run] = list(tmp_path.iterdir())
    assert re.fullmatch(r"mnist-\d{8}-\d{6}", run.name)
    assert (run / "model.keras").is_file()


def test_optimizer_and_learning_rate_are_used(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    run = _train(cli, tmp_path, "--optimizer", "adam", "--learning-rate", "0.005")
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["optimizer"], metrics["learning_rate"]) == ("adam", 0.005)
    assert type(load_model(run / "model.keras").optimizer).__name__ == "Adam"


def test_validation_split_adds_val_columns(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    run = _train(cli, tmp_path, "--validation-split", "0.25", "--verbose", "2")
    with open(run / "history.csv", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert float(row["val_loss"]) > 0  # a number, not CSVLogger's "NA"
    metrics = json.loads((run / "metrics.json").read_text())
    assert "val_accuracy" in metrics["final_epoch"]


def test_same_seed_same_model(cli: Cli, fake_mnist: tuple, tmp_path: Path) -> None:
    runs = [_train(cli, tmp_path, "--seed", "5", name=name) for name in ("a", "b")]
    weights = [load_model(run / "model.keras").get_weights() for run in runs]
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_colour_dataset_gets_the_cifar_cnn(
    cli: Cli, fake_cifar10: tuple, tmp_path: Path
) -> None:
    run = _train(cli, tmp_path, "--dataset", "cifar10")
    assert json.loads((run / "metrics.json").read_text())["model"] == "small_cifar_cnn"
    assert load_model(run / "model.keras").input_shape == (None, 32, 32, 3)


def test_zoo_name_picks_the_architecture(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    run = _train(cli, tmp_path, "--model", "small_cifar_cnn")
    model = load_model(run / "model.keras")
    assert model.name == "small_cifar_cnn"
    assert model.input_shape == (None, 28, 28, 1)  # built for the dataset


def test_python_file_with_build_model(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    arch = tmp_path / "arch.py"
    arch.write_text(
        "import cnnkit\n"
        "from cnnkit import layers\n"
        "def build_model(input_shape, num_classes):\n"
        "    return cnnkit.Sequential([cnnkit.Input(input_shape), layers.Flatten(),\n"
        "        layers.Dense(num_classes, activation='softmax')], name='from_file')\n"
    )
    run = _train(cli, tmp_path, "--architecture", arch)
    model = load_model(run / "model.keras")
    assert model.name == "from_file"
    assert model.count_params() == 28 * 28 * 10 + 10


def test_python_file_with_a_model_variable(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    arch = tmp_path / "arch.py"
    arch.write_text(
        "import cnnkit\n"
        "from cnnkit import layers\n"
        "model = cnnkit.Sequential([layers.Flatten(),\n"
        "    layers.Dense(10, activation='softmax')], name='plain')\n"
    )
    run = _train(cli, tmp_path, "--model", arch)
    assert load_model(run / "model.keras").name == "plain"


def test_keras_file_is_trained_further(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    start = small_cnn()
    start.save(tmp_path / "start.keras")
    run = _train(cli, tmp_path, "--model", tmp_path / "start.keras")
    trained = load_model(run / "model.keras")
    assert trained.count_params() == start.count_params()
    changed = [
        not np.array_equal(a, b)
        for a, b in zip(start.get_weights(), trained.get_weights())
    ]
    assert any(changed)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--epochs", "0", "argument --epochs: expected a positive integer, got '0'"),
        ("--epochs", "two", "argument --epochs: expected a positive integer, got 'two'"),
        ("--batch-size", "-8", "argument --batch-size: expected a positive integer"),
        ("--max-samples", "0", "argument --max-samples: expected a positive integer"),
        ("--learning-rate", "0", "argument --learning-rate: expected a positive number, got '0'"),
        ("--learning-rate", "inf", "argument --learning-rate: expected a positive number"),
        ("--learning-rate", "fast", "argument --learning-rate: expected a positive number, got 'fast'"),
        ("--validation-split", "1", r"argument --validation-split: expected a number in \[0, 1\), got '1'"),
        ("--validation-split", "-0.1", r"argument --validation-split: expected a number in \[0, 1\)"),
        ("--validation-split", "half", r"argument --validation-split: expected a number in \[0, 1\), got 'half'"),
        ("--verbose", "3", "argument --verbose: invalid choice: 3"),
        ("--dataset", "imagenet", r"argument --dataset: Unknown dataset name='imagenet'\. Available datasets: \["),
    ],
)  # fmt: skip
def test_bad_option_values_are_one_line_usage_errors(
    cli: Cli, option: str, value: str, message: str
) -> None:
    result = cli("train", option, value)
    assert result.code == 2
    assert re.fullmatch(
        rf"cnnkit train: error: {message}.*\(see `cnnkit train --help`\)\n", result.err
    )


@pytest.mark.usefixtures("fake_mnist")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--optimizer", "adamw2"], r"Unknown optimizer 'adamw2'"),
        (["--model", "resnet9000"], r"Unknown architecture 'resnet9000': use one of \['seed_cnn', 'small_cifar_cnn'\]"),
        (["--model", "missing.py"], r"Architecture file not found: missing\.py"),
        (["--model", "missing.keras"], r"Model file not found: missing\.keras"),
    ],
)  # fmt: skip
def test_bad_names_are_one_line_errors(
    cli: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    result = cli("train", *QUICK, "--output-dir", tmp_path, *args)
    assert result.code == 1
    assert re.fullmatch(rf"cnnkit: error: {message}.*\n", result.err)
    assert list(tmp_path.iterdir()) == []  # nothing written for a failed start


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", r"arch\.py must define `build_model\(input_shape, num_classes\)`"),
        (
            "def build_model(input_shape, num_classes):\n    return 'a model'\n",
            r"arch\.py gave a str, not a cnnkit model",
        ),
    ],
)
def test_python_file_without_a_model(
    cli: Cli, fake_mnist: tuple, tmp_path: Path, source: str, message: str
) -> None:
    arch = tmp_path / "arch.py"
    arch.write_text(source)
    result = cli("train", *QUICK, "--model", arch, "--output-dir", tmp_path / "runs")
    assert result.code == 1
    assert re.fullmatch(rf"cnnkit: error: .*{message}.*\n", result.err)


def test_model_for_other_images_is_refused(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    small_cnn((32, 32, 3)).save(tmp_path / "colour.keras")
    result = cli("train", *QUICK, "--model", tmp_path / "colour.keras")
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: The model takes inputs of shape (None, 32, 32, 3), but mnist "
        "images have shape (None, 28, 28, 1). Pick a model built for this dataset, "
        "or leave --model out to get a matching one.\n"
    )


def test_model_with_other_classes_is_refused(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    small_cnn(classes=3).save(tmp_path / "three.keras")
    result = cli("train", *QUICK, "--model", tmp_path / "three.keras")
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: The model has 3 outputs, but mnist has 10 classes. Its last "
        "layer must be Dense(10, activation='softmax').\n"
    )


def test_other_ranks_neither_print_nor_write(
    cli: Cli, fake_mnist: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under torchrun every rank runs the command; only rank 0 may speak and write.
    # (fit() hides the other ranks' progress bars itself: tests/test_distributed.py.)
    monkeypatch.setattr("cnnkit.distributed.is_main_process", lambda: False)
    result = cli("train", "--epochs", "1", "--output-dir", tmp_path, "--name", "r1")
    assert (result.code, result.err) == (0, "")
    for line in ("Loading mnist", 'Model: "seed_cnn"', "Test accuracy", "Run written"):
        assert line not in result.out
    assert list(tmp_path.iterdir()) == []


def test_without_validation_history_has_no_empty_val_columns(
    cli: Cli, fake_mnist: tuple, tmp_path: Path
) -> None:
    run = _train(cli, tmp_path)
    with open(run / "history.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["epoch", "accuracy", "loss"]
