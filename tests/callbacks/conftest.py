"""Fixtures for the callback tests: the golden-file check.

Golden files live in ``tests/golden/``; regenerate them with
``CNNKIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/callbacks tests/training``
and review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


def visible(text: str) -> str:
    """Control characters spelled out, one redraw per line, so diffs are readable.

    Backslashes are doubled first, so the mapping cannot be confused.
    """
    text = text.replace("\\", "\\\\").replace("\x1b", "\\x1b").replace("\b", "\\b")
    return text.replace("\r\n", "\\r\\n\n").replace("\r", "\\r\n")


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``tests/golden/<name>``, or rewrite it when asked."""
    path = GOLDEN_DIR / name
    text = visible(text)
    if os.environ.get("CNNKIT_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    if not path.exists():
        pytest.fail(
            f"Golden file {path} is missing; create it with CNNKIT_UPDATE_GOLDEN=1."
        )
    with open(path, encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert text == expected, (
        f"Output differs from golden file {name}. If the change is intended, "
        "regenerate with CNNKIT_UPDATE_GOLDEN=1 and review the diff."
    )


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """``golden(name, text)`` checks text against a golden file."""
    return check_golden
