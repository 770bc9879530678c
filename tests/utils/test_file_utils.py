"""``utils.get_file``: Keras' cache, hashes, downloads, offline errors, extraction."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnkit.errors import DatasetError, FileFormatError, InvalidArgumentError
from cnnkit.utils import file_utils, get_file

PAYLOAD = b"cnnkit get_file test payload\n" * 10
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "served" / "payload.bin"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


@pytest.fixture
def server(source: Path) -> Iterator[str]:
    """A loopback HTTP server for ``source``'s folder; yields its base URL."""
    folder = str(source.parent)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=folder, **kwargs)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_file_origin_goes_to_the_cache_once(source: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = get_file(origin=source.as_uri(), cache_dir=str(cache), file_hash=SHA256)
    assert path == str(cache / "datasets" / "payload.bin")
    assert Path(path).read_bytes() == PAYLOAD
    source.unlink()  # the cached, verified file is used without the origin
    again = get_file(
        "payload.bin", source.as_uri(), cache_dir=str(cache), file_hash=SHA256
    )
    assert again == path
    assert [p.name for p in (cache / "datasets").iterdir()] == ["payload.bin"]


def test_keras_home_is_the_default_cache(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    path = get_file(origin=source.as_uri(), cache_subdir="models")
    assert path == str(tmp_path / "kh" / "models" / "payload.bin")


def test_an_unwritable_cache_falls_back_to_tmp_keras(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = str(tmp_path / "locked")
    real_access = os.access
    monkeypatch.setattr(
        file_utils.os,
        "access",
        lambda p, m: False if p == locked else real_access(p, m),
    )
    subdir = f"cnnkit-test-{os.getpid()}-{tmp_path.name}"
    path = get_file(origin=source.as_uri(), cache_dir=locked, cache_subdir=subdir)
    try:
        assert path == os.path.join("/tmp/.keras", subdir, "payload.bin")
    finally:
        os.remove(path)
        os.rmdir(os.path.dirname(path))


def test_http_download_with_md5_and_a_stale_cache(server: str, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    stale = Path(cache, "datasets", "payload.bin")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old, truncated copy")
    path = get_file(origin=f"{server}/payload.bin", cache_dir=cache, md5_hash=MD5)
    assert Path(path).read_bytes() == PAYLOAD
    forced = get_file(
        origin=f"{server}/payload.bin", cache_dir=cache, force_download=True,
        file_hash=MD5, hash_algorithm="md5",
    )  # fmt: skip
    assert forced == path


def test_a_wrong_hash_is_refused_and_nothing_is_kept(
    server: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(
        FileFormatError, match=r"not the expected 0{64}: it is incomplete"
    ):
        get_file(
            origin=f"{server}/payload.bin", cache_dir=str(cache), file_hash="0" * 64
        )
    assert list((cache / "datasets").iterdir()) == []


def test_offline_says_where_to_put_the_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    target = cache / "models" / "weights.h5"
    with pytest.raises(DatasetError) as caught:
        get_file(
            "weights.h5", "http://127.0.0.1:9/weights.h5", cache_subdir="models",
            cache_dir=str(cache), file_hash=SHA256,
        )  # fmt: skip
    message = str(caught.value)
    assert "could not download http://127.0.0.1:9/weights.h5 (network error" in message
    assert f"put it at {target}. Its hash must be {SHA256}." in message
    assert list(target.parent.iterdir()) == []


def test_an_http_error_is_named(server: str, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"HTTP error 404"):
        get_file(origin=f"{server}/missing.bin", cache_dir=str(tmp_path))


def test_an_oversized_download_is_cut(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_utils, "MAX_DOWNLOAD_BYTES", 16)
    with pytest.raises(DatasetError, match=r"sent more than 16 bytes"):
        get_file(origin=f"{server}/payload.bin", cache_dir=str(tmp_path))


def _tar(path: Path, members: dict[str, bytes], links: dict[str, str] = {}) -> None:  # noqa: B006
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)


def test_extract_tar_and_zip_with_keras_folder_names(tmp_path: Path) -> None:
    archive = tmp_path / "photos.tar.gz"
    _tar(archive, {"photos/a.txt": b"a", "photos/b/c.txt": b"c"})
    cache = str(tmp_path / "cache")
    folder = get_file(origin=archive.as_uri(), extract=True, cache_dir=cache)
    assert folder == os.path.join(cache, "datasets", "photos.tar.gz")
    assert Path(folder, "photos", "b", "c.txt").read_bytes() == b"c"
    named = get_file("pics.tar.gz", archive.as_uri(), extract=True, cache_dir=cache)
    assert named == os.path.join(cache, "datasets", "pics_extracted")
    zipped = tmp_path / "z.zip"
    with zipfile.ZipFile(zipped, "w") as archive_zip:
        archive_zip.writestr("inner/z.txt", "z")
    folder = get_file("zdata", zipped.as_uri(), extract=True, cache_dir=cache)
    assert folder == os.path.join(cache, "datasets", "zdata")
    assert Path(folder, "inner", "z.txt").read_text() == "z"
    assert os.path.isfile(os.path.join(cache, "datasets", "zdata_archive"))


def test_archive_members_outside_the_folder_are_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    _tar(
        archive,
        {"ok.txt": b"ok", "../escaped.txt": b"x", "/tmp/absolute-cnnkit.txt": b"x"},
        links={"to_passwd": "/etc/passwd", "up": "../../outside", "fine": "ok.txt"},
    )
    cache = tmp_path / "cache"
    with pytest.warns(UserWarning, match=r"Skipping unsafe archive member"):
        folder = get_file("evil", archive.as_uri(), extract=True, cache_dir=str(cache))
    assert sorted(os.listdir(folder)) == ["fine", "ok.txt"]
    assert not (cache / "datasets" / "escaped.txt").exists()
    zipped = tmp_path / "evil.zip"
    with zipfile.ZipFile(zipped, "w") as archive_zip:
        archive_zip.writestr("../../zip-escaped.txt", "x")
        archive_zip.writestr("fine.txt", "y")
    with pytest.warns(
        UserWarning, match=r"Skipping unsafe archive member '\.\./\.\./zip"
    ):
        folder = get_file(
            "evilzip", zipped.as_uri(), extract=True, cache_dir=str(cache)
        )
    assert os.listdir(folder) == ["fine.txt"]
    assert not (tmp_path / "zip-escaped.txt").exists()


def test_not_an_archive_warns(source: Path, tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"could not extract"):
        get_file(origin=source.as_uri(), extract=True, cache_dir=str(tmp_path))


def test_argument_errors_teach(source: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=r"pass `origin=`"):
        get_file("x.bin")
    with pytest.raises(
        InvalidArgumentError, match=r"`fname` is a file name, not a path"
    ):
        get_file("a/b.bin", source.as_uri(), cache_dir=str(tmp_path))
    with pytest.raises(InvalidArgumentError, match=r"cannot take a file name"):
        get_file(origin="http://127.0.0.1:9/", cache_dir=str(tmp_path))
    with pytest.raises(InvalidArgumentError, match=r"`hash_algorithm` must be"):
        get_file(origin=source.as_uri(), hash_algorithm="sha1", cache_dir=str(tmp_path))
    with pytest.raises(InvalidArgumentError, match=r"`archive_format` must be"):
        get_file(origin=source.as_uri(), extract=True, archive_format="rar",
                 cache_dir=str(tmp_path))  # fmt: skip
