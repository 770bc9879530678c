"""Helpers for the ``cnnkit run`` tests: the hook as a fixture, scripts in files, and
``cnnkit run`` in a subprocess (the only way to see real exit codes and stderr)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cnnkit.compat import hook

# The tutorial scripts are programs, not test modules: importing them (as
# --doctest-modules would) trains models with whatever `keras` is installed.
collect_ignore = ["scripts", "tools"]
# The venv's own `cnnkit` console script, next to the interpreter running the tests.
CNNKIT = str(Path(sys.executable).with_name("cnnkit"))
# Generous: only a hung child should ever reach it (it is not a speed check).
SUBPROCESS_TIMEOUT_S = 900


@pytest.fixture
def keras_hook() -> Iterator[None]:
    """The import hook for one test; whatever it hid comes back afterwards."""
    hook.install()
    try:
        yield
    finally:
        hook.uninstall()


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented source to ``tmp_path/name`` and return its path."""

    def write(source: str, name: str = "script.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    return write


def _run_cli(
    *args: str | os.PathLike[str],
    module: bool = False,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cnnkit"] if module else [CNNKIT]
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, module=False, env=None, cwd=None)``: ``cnnkit ARGS`` (or
    ``python -m cnnkit ARGS``) in a child process, output captured as text."""
    return _run_cli
