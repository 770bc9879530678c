"""``utils.get_file`` names files and folders exactly as Keras 3's does."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from cnnkit.utils import get_file

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"fname": "renamed.tar.gz"},
        {"extract": True},
        {"fname": "renamed.tar.gz", "extract": True},
        {"fname": "folder", "extract": True},
        {"cache_subdir": "models"},
    ],
)
def test_paths_match_keras(tmp_path: Path, kwargs: dict) -> None:
    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("inner/a.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"a"))
    # Keras never creates `cache_dir` (a missing one sends it to /tmp/.keras);
    # cnnkit creates it. Both exist here, so the layouts below must agree.
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = get_file(origin=archive.as_uri(), cache_dir=str(tmp_path / "ours"), **kwargs)
    theirs = keras.utils.get_file(
        origin=archive.as_uri(), cache_dir=str(tmp_path / "theirs"), **kwargs
    )
    assert Path(ours).relative_to(tmp_path / "ours") == Path(theirs).relative_to(
        tmp_path / "theirs"
    )
    if kwargs.get("extract"):
        assert (Path(ours) / "inner" / "a.txt").read_bytes() == b"a"
