"""The registry used by the CLI, the download helper, and import hygiene."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from dataset_builders import LocalServer, digest, mnist_like, write_npz

import cnnkit.datasets as datasets
from cnnkit.datasets import _download, _sources, mnist
from cnnkit.errors import DatasetError, InvalidArgumentError


def test_list_datasets_names_every_module() -> None:
    assert datasets.list_datasets() == ["cifar10", "cifar100", "fashion_mnist", "mnist"]


def test_get_accepts_dashes_and_capitals() -> None:
    handle = datasets.get("Fashion-MNIST")
    assert handle.name == "fashion_mnist"
    assert handle.title == "Fashion-MNIST"


@pytest.mark.parametrize("name", ["imagenet", 3])
def test_get_unknown_dataset_lists_the_known_ones(name: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"Unknown dataset .*\['cifar10', "):
        datasets.get(name)  # type: ignore[arg-type]


def test_sources_are_described_in_order_without_io() -> None:
    lines = datasets.get("cifar10").sources()
    assert lines[0] == f"cache: {_sources.cache_dir() / 'cifar10.npz'}"
    assert lines[1].startswith("placed by hand: ")
    assert not _sources.cache_dir().exists()


def test_verify_and_fetch_report_the_source(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = mnist_like()
    write_npz(http_server.root / "mnist.npz", arrays)
    monkeypatch.setattr(mnist, "MIRRORS", [http_server.url + "mnist.npz"])
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", digest(arrays))
    handle = datasets.get("mnist")
    report = handle.verify()
    assert report.source.startswith("download: ")
    assert report.sha256 == digest(arrays)
    assert report.shapes["x_train"] == (12, 28, 28)
    assert str(report).startswith(f"download: {http_server.url}mnist.npz (sha256 ")
    assert handle.fetch() == _sources.cache_dir() / "mnist.npz"
    assert handle.verify().source.startswith("cache: ")
    (x_train, _), _ = handle.load_data()
    assert x_train.shape == (12, 28, 28)


def test_verify_raises_when_nothing_works() -> None:
    with pytest.raises(DatasetError, match="Could not load CIFAR-100"):
        datasets.get("cifar100").verify()


def test_download_writes_atomically_and_returns_the_sha256(
    http_server: LocalServer, tmp_path: Path
) -> None:
    (http_server.root / "f.bin").write_bytes(b"abc")
    dest = tmp_path / "f.bin"
    sha = _download.download(http_server.url + "f.bin", dest, timeout=5)
    assert dest.read_bytes() == b"abc"
    assert sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert not (tmp_path / "f.bin.part").exists()


def test_malformed_url_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(_download.DownloadError, match="network error for nonsense"):
        _download.download("nonsense", tmp_path / "x", timeout=1)


def test_progress_bar_draws_on_a_tty(
    http_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (http_server.root / "big.bin").write_bytes(bytes(200_000))
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", stream)
    _download.download(
        http_server.url + "big.bin", tmp_path / "b", timeout=5, label="big"
    )
    text = stream.getvalue()
    assert text.startswith("\rbig [")
    assert text.endswith("] 100% 0.2/0.2 MB\n")


def test_progress_bar_without_a_length_shows_megabytes() -> None:
    stream = io.StringIO()
    bar = _download._Progress("data", 0, stream)
    bar.update(1_500_000)
    bar.close()
    assert stream.getvalue().endswith("\rdata 1.5 MB\n")


def test_no_progress_output_when_stderr_is_not_a_tty(
    http_server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (http_server.root / "f.bin").write_bytes(b"abc")
    _download.download(http_server.url + "f.bin", tmp_path / "f", timeout=5)
    assert capsys.readouterr() == ("", "")


@pytest.mark.slow  # a fresh interpreter importing torch takes several seconds
def test_importing_datasets_and_utils_never_imports_keras() -> None:
    code = (
        "import sys, cnnkit.datasets, cnnkit.utils.dataset_utils, "
        "cnnkit.utils.image_utils, cnnkit.utils.numerical_utils; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
