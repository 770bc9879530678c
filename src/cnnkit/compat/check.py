"""``cnnkit run --check``: list the Keras / TensorFlow names a script uses, statically.

Nothing is executed: the script is parsed with ``ast``, every name reached from a
keras/tensorflow import is resolved against what cnnkit provides, and each is reported
with its line.

Example:
    >>> report = check_source("from keras import layers\\nlayers.Conv2D(8, 3)\\nlayers.Nope()")
    >>> [(r.line, r.name, r.supported) for r in report]
    [(1, 'keras.layers', True), (2, 'keras.layers.Conv2D', True), (3, 'keras.layers.Nope', False)]
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from cnnkit.compat.hook import install, resolve_api

_ROOTS = ("keras", "tensorflow", "tf_keras")

# Model methods old tutorials call; resolvable only by name (objects are dynamic).
_MODEL_METHODS = (
    "fit_generator",
    "evaluate_generator",
    "predict_generator",
    "predict_classes",
)


@dataclass(frozen=True)
class Usage:
    line: int
    name: str
    supported: bool


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _is_supported(name: str) -> bool:
    try:
        resolve_api(name)
    except (AttributeError, ModuleNotFoundError, ImportError):
        return False
    return True


def check_source(source: str, filename: str = "<script>") -> list[Usage]:
    """Every keras/tensorflow API ``source`` uses, with support status, by line."""
    install()
    tree = ast.parse(source, filename)
    aliases: dict[str, str] = {}
    found: dict[tuple[int, str], bool] = {}

    def record(line: int, name: str) -> None:
        found.setdefault((line, name), _is_supported(name))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in _ROOTS:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        (alias.asname and alias.name) or alias.name.split(".")[0]
                    )
                    record(node.lineno, alias.name)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] in _ROOTS
        ):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = full
                record(node.lineno, full)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(
            getattr(node, "_parent_attr", None), ast.Attribute
        ):
            parts = _dotted(node)
            if parts and parts[0] in aliases:
                record(node.lineno, ".".join([aliases[parts[0]], *parts[1:]]))
            elif parts and parts[-1] in _MODEL_METHODS:
                found.setdefault((node.lineno, f"Model.{parts[-1]}"), True)
        for child in ast.iter_child_nodes(node):
            child._parent_attr = node  # type: ignore[attr-defined]
    return [Usage(line, name, ok) for (line, name), ok in sorted(found.items())]


def format_report(usages: list[Usage], filename: str) -> str:
    lines = [f"{filename}: {len(usages)} Keras/TensorFlow name(s) used"]
    for usage in usages:
        status = "ok" if usage.supported else "NOT SUPPORTED by cnnkit"
        lines.append(f"  line {usage.line}: {usage.name} — {status}")
    unsupported = sum(not u.supported for u in usages)
    lines.append(
        "All supported." if not unsupported else f"{unsupported} unsupported name(s)."
    )
    return "\n".join(lines)
