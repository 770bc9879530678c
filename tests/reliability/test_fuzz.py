"""The seeded fuzzers of ``fuzzing.py``, each in a child process capped at 1.5 GiB
of address space, with a hang guard per mutant: every mutant of a ``.keras``,
``.weights.h5``, ``.h5``, BackupAndRestore state, ``.npz`` or image file either
loads or is refused with the library's own error. A short run per target by default, ten seeds of 100
mutants each behind ``slow``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cnnkit

SRC = str(Path(cnnkit.__file__).resolve().parents[1])
HERE = Path(__file__).resolve().parent
TARGETS = ["keras", "weights", "legacy", "backup", "npz", "image"]

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="RLIMIT_AS and SIGALRM are Linux's"
)


def _fuzz(folder: Path, target: str, seed: int, runs: int) -> dict[str, Any]:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([SRC, str(HERE)]),
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "fuzzing.py"),
            target,
            str(seed),
            str(runs),
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=600,  # against a hang of the whole child only
        env=env,
        check=False,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-3000:])
    summary: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return summary


def _check(summary: dict[str, Any], runs: int) -> None:
    assert summary["findings"] == [], summary["findings"]
    outcomes = summary["outcomes"]
    assert outcomes["loaded"] + outcomes["refused"] == runs
    assert outcomes["refused"] > 0, "no mutant was refused: the fuzzer mutates nothing"


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_short(tmp_path: Path, target: str) -> None:
    runs = 40
    _check(_fuzz(tmp_path, target, seed=0, runs=runs), runs)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("seed", range(1, 11))
def test_fuzz_long(tmp_path: Path, target: str, seed: int) -> None:
    runs = 100
    _check(_fuzz(tmp_path, target, seed=seed, runs=runs), runs)
