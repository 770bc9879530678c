"""The public API, compared against a golden list so that no name vanishes unnoticed.

A name added on purpose is recorded with ``CNNKIT_UPDATE_GOLDEN=1``; a name that
disappears breaks user code, so the diff in the failure names it.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden" / "public_api.txt"
NAMESPACES = (
    "cnnkit",
    "cnnkit.activations",
    "cnnkit.backend",
    "cnnkit.callbacks",
    "cnnkit.config",
    "cnnkit.constraints",
    "cnnkit.datasets",
    "cnnkit.explain",
    "cnnkit.initializers",
    "cnnkit.layers",
    "cnnkit.losses",
    "cnnkit.metrics",
    "cnnkit.mixed_precision",
    "cnnkit.models",
    "cnnkit.optimizers",
    "cnnkit.optimizers.schedules",
    "cnnkit.regularizers",
    "cnnkit.saving",
    "cnnkit.utils",
)


def _public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        # Modules without __all__: everything not private and not an imported module.
        names = [
            n
            for n, v in vars(module).items()
            if not n.startswith("_")
            and type(v).__name__ != "module"
            and n not in ("annotations",)
        ]
    return sorted(names)


def _snapshot() -> str:
    lines = []
    for namespace in NAMESPACES:
        lines.extend(f"{namespace}.{name}" for name in _public_names(namespace))
    return "\n".join(lines) + "\n"


def test_public_api_matches_golden() -> None:
    text = _snapshot()
    if os.environ.get("CNNKIT_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
        return
    expected = set(GOLDEN.read_text(encoding="utf-8").splitlines())
    actual = set(text.splitlines())
    missing, added = sorted(expected - actual), sorted(actual - expected)
    if missing or added:
        pytest.fail(
            f"public API changed. Gone: {missing}. New: {added}. "
            "If intended, rerun with CNNKIT_UPDATE_GOLDEN=1."
        )


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_all_entry_exists(namespace: str) -> None:
    module = importlib.import_module(namespace)
    missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
    assert missing == []
