"""The runnable examples, each run as a user would: ``python examples/<name>.py``.

The child process reads MNIST from the shared test cache through ``CNNKIT_HOME``
(the dataset sources look there first), so it needs no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cnnkit.datasets import fashion_mnist, mnist

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# The cache that tests/datasets/test_dataset_real.py fills from the real sources.
DATA_HOME = ROOT / ".pytest_data" / "cnnkit_home"


# Runs the example file unchanged, after seeding every generator, so an accuracy
# floor is a property of the code rather than of one lucky initialisation.
_SEEDED = (
    "import runpy, sys; from cnnkit.utils import set_random_seed; set_random_seed({seed}); "
    "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def _run_example(
    name: str, home: Path, cwd: Path, seed: int | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(EXAMPLES / name)]
    if seed is not None:
        command = [
            sys.executable,
            "-c",
            _SEEDED.format(seed=seed),
            str(EXAMPLES / name),
        ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=1800,  # the seed tutorial trains 5 epochs on all of MNIST
        cwd=cwd,
        env={**os.environ, "CNNKIT_HOME": str(home)},
    )


def test_seed_conv2d_example_runs(tmp_path: Path) -> None:
    result = _run_example("seed_conv2d.py", tmp_path, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "conv2d (Conv2D)" in out
    assert "(None, 26, 26, 16)" in out  # 28x28 input, 3x3 kernel, 'valid'
    assert "Total params: 10,977" in out  # 3*3*16+16 + 26*26*16+1
    epochs = re.findall(r"4/4 - .* - accuracy: ([\d.]+) - loss: ([\d.]+)", out)
    assert len(epochs) == 2, out  # 100 samples, batch 32, verbose=2: a line per epoch
    assert "Warning" not in result.stderr, result.stderr


def test_seed_mnist_example_reaches_the_tutorial_accuracy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNKIT_HOME", str(DATA_HOME))
    mnist.load_data()  # make sure the shared cache holds MNIST before the child runs
    result = _run_example("seed_mnist.py", DATA_HOME, tmp_path, seed=0)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Total params: 62,346" in out
    assert "Epoch 5/5" in out
    match = re.search(r"Précision du test: ([\d.]+)", out)
    assert match, out[-2000:]
    accuracy = float(match[1])
    print(f"seed_mnist test accuracy: {accuracy}")
    assert accuracy >= 0.965
    assert "Warning" not in result.stderr, result.stderr


def test_custom_train_step_example_learns_fashion_mnist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNKIT_HOME", str(DATA_HOME))
    fashion_mnist.load_data()  # the shared cache holds Fashion-MNIST before the child runs
    result = _run_example("custom_train_step.py", DATA_HOME, tmp_path, seed=0)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Epoch 2/2" in out
    match = re.search(r"Test accuracy: ([\d.]+)", out)
    assert match, out[-2000:]
    # Two epochs on 12,000 images with the custom step: well above chance (0.10).
    assert float(match[1]) >= 0.75
    assert "conv2d output: (1, 26, 26, 16) ['small_cnn/conv2d/kernel'" in out
    assert "Warning" not in result.stderr, result.stderr
