"""Fixtures for the ``cnnkit`` command: in-process runs, fake datasets, model files.

Fast tests run ``cnnkit.cli.main`` in this process on tiny synthetic datasets (the
real loaders are monkeypatched); tests marked ``slow`` use real MNIST from the shared
test cache and the installed console script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import DATA_HOME, Cli, Result, mnist_like, small_cnn

from cnnkit.cli import main


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``cnnkit ARGS...`` in this process; return the status, stdout and stderr."""

    def run(*args: object) -> Result:
        capsys.readouterr()  # drop what earlier steps of the test printed
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def fake_mnist(monkeypatch: pytest.MonkeyPatch) -> tuple:
    """``mnist.load_data`` returns 120 training and 40 test random images."""
    from cnnkit.datasets import mnist

    data = mnist_like(120, 40)
    monkeypatch.setattr(mnist, "load_data", lambda *a, **k: data)
    return data


@pytest.fixture
def fake_cifar10(monkeypatch: pytest.MonkeyPatch) -> tuple:
    """``cifar10.load_data`` returns tiny 32x32 RGB images with (N, 1) labels."""
    from cnnkit.datasets import cifar10

    (x_train, y_train), (x_test, y_test) = mnist_like(40, 20, (32, 32, 3))
    data = (x_train, y_train[:, None]), (x_test, y_test[:, None])
    monkeypatch.setattr(cifar10, "load_data", lambda *a, **k: data)
    return data


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """An untrained small MNIST-shaped CNN saved as ``.keras``."""
    path = tmp_path / "small.keras"
    small_cnn().save(path)
    return path


@pytest.fixture
def real_mnist_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``CNNKIT_HOME`` at the shared test cache holding the real MNIST."""
    monkeypatch.setenv("CNNKIT_HOME", str(DATA_HOME))
    from cnnkit.datasets import mnist

    mnist.load_data()  # the cache, or the real sources once (then cached)
    return DATA_HOME
