"""The restricted unpickler admits numpy arrays and containers, and nothing else."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from dataset_builders import py2_dumps

from cnnkit.datasets._safe_pickle import safe_load
from cnnkit.errors import FileFormatError


class _RunsShell:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_loads_numpy_arrays_lists_and_dicts() -> None:
    obj = {"data": np.arange(6, dtype=np.uint8).reshape(2, 3), "labels": [3, 4]}
    for protocol in (3, 4, 5):
        loaded = safe_load(io.BytesIO(pickle.dumps(obj, protocol=protocol)), what="t")
        np.testing.assert_array_equal(loaded["data"], obj["data"])
        assert loaded["labels"] == [3, 4]


def test_loads_python2_style_pickles_with_str_keys() -> None:
    # Python 2's str (CIFAR's keys and array bytes) decode as latin1 text.
    blob = py2_dumps({b"data": np.arange(300, dtype=np.uint16), b"labels": [1]})
    loaded = safe_load(io.BytesIO(blob), what="t")
    assert set(loaded) == {"data", "labels"}
    np.testing.assert_array_equal(loaded["data"], np.arange(300, dtype=np.uint16))


def test_refuses_a_pickle_that_would_run_a_shell_command(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    blob = pickle.dumps(_RunsShell(marker))
    with pytest.raises(
        FileFormatError, match=r"Refusing to unpickle `(posix|os)\.system`"
    ):
        safe_load(io.BytesIO(blob), what="evil.pkl")
    assert not marker.exists()


def test_refuses_builtins_eval_even_inside_a_dict() -> None:
    class Evil:
        def __reduce__(self) -> tuple:
            return (eval, ("1 + 1",))

    blob = pickle.dumps({"data": Evil()})
    with pytest.raises(FileFormatError, match=r"`builtins\.eval` from batch_1"):
        safe_load(io.BytesIO(blob), what="batch_1")


def test_refuses_object_arrays() -> None:
    blob = pickle.dumps(np.array([1, "a"], dtype=object))
    with pytest.raises(FileFormatError, match="array of dtype object"):
        safe_load(io.BytesIO(blob), what="t")


def test_refuses_persistent_ids() -> None:
    class WithPid(pickle.Pickler):
        def persistent_id(self, obj: object) -> str | None:
            return "external" if obj == "x" else None

    buf = io.BytesIO()
    WithPid(buf).dump(["x"])
    buf.seek(0)
    with pytest.raises(FileFormatError, match="persistent reference from t"):
        safe_load(buf, what="t")
