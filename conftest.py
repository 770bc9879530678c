"""Doctest setup for ``src/cnnkit`` (tests/ has its own conftest).

Docstring examples show Keras' auto-names (``conv2d``, ``dense``); those come from a
process-wide counter, so each example starts from a fresh session as a reader would.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_session_for_doctests(request: pytest.FixtureRequest) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        from cnnkit.backend import clear_session

        clear_session()
