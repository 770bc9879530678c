"""Doctests for ``src/cnnkit`` (tests/ has its own conftest).

Every example in a docstring runs with the suite (STYLE.md §3). Only the package is
collected for doctests: collecting tests/ that way would import each test folder's
``conftest.py`` a second time under the same module name.

Docstring examples show Keras' auto-names (``conv2d``, ``dense``); those come from a
process-wide counter, so each example starts from a fresh session as a reader would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.doctest import DoctestModule

PACKAGE = Path(__file__).resolve().parent / "src" / "cnnkit"


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    # __main__.py runs the command when imported, so it has no examples to collect.
    if (
        file_path.suffix == ".py"
        and PACKAGE in file_path.parents
        and file_path.name != "__main__.py"
    ):
        return DoctestModule.from_parent(parent, path=file_path)
    return None


@pytest.fixture(autouse=True)
def _fresh_session_for_doctests(request: pytest.FixtureRequest) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        from cnnkit.backend import clear_session

        clear_session()
