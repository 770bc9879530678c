"""The package imports one way: every import in src/cnnkit points down the order below.

Read from the source (the AST of every module), so imports written inside functions
count as much as those at the top of a file: they run too, and hiding an arrow in a
function does not remove it. Only imports under ``if TYPE_CHECKING:`` are left out
(annotations, never executed). A new module must find its place in ``ORDER``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cnnkit"

# Lowest first. A unit may import from its own rank or any rank below it, never
# above; units sharing a rank must not import each other both ways.
ORDER: list[set[str]] = [
    {"errors", "naming", "_version", "_layout"},
    {"config", "mixed_precision", "serialization"},
    {"utils"},
    {"_kernels", "ops", "random", "distributed", "datasets", "backend"},
    {"activations", "initializers", "regularizers", "constraints"},
    {"layers"},
    {"testing", "losses"},
    {"metrics", "optimizers"},
    {"saving"},
    {"callbacks"},
    {"training"},
    {"models"},
    {"applications"},
    {"zoo"},
    {"explain"},
    {"compat"},
    {"web"},
    {"cli"},
    {"__main__", "__init__"},
]
RANK = {unit: rank for rank, units in enumerate(ORDER) for unit in units}


def _unit(module: str) -> str:
    """``cnnkit.models.sequential`` → ``models``; the package root is ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    return skipped


def _is_module(name: str) -> bool:
    """Whether the dotted ``name`` is a module or package of src/cnnkit."""
    path = SRC.parent.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def imports_of(path: Path, module: str | None = None) -> list[tuple[str, int]]:
    """Every cnnkit module ``path`` imports (anywhere in it), with the line."""
    module = module or _module_name(path)
    package = (
        module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    )
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from cnnkit.saving import layer_config` imports a module by name.
            found += [
                (
                    f"{target}.{a.name}"
                    if _is_module(f"{target}.{a.name}")
                    else target,
                    node.lineno,
                )
                for a in node.names
            ]
    return [(name, line) for name, line in found if name.split(".")[0] == "cnnkit"]


def upward_imports() -> list[str]:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        source_unit = _unit(_module_name(path))
        for target, line in imports_of(path):
            target_unit = _unit(target)
            if target_unit == source_unit:
                continue
            if target_unit not in RANK or source_unit not in RANK:
                wrong.append(
                    f"{path.relative_to(SRC)}:{line}: {target} has no place in ORDER"
                )
            elif RANK[target_unit] > RANK[source_unit]:
                wrong.append(
                    f"{path.relative_to(SRC)}:{line}: {source_unit} imports {target} "
                    f"({target_unit} sits above {source_unit})"
                )
    return wrong


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        source_unit = _unit(_module_name(path))
        targets = {_unit(t) for t, _ in imports_of(path)} - {source_unit}
        graph.setdefault(source_unit, set()).update(targets)
    return graph


def test_every_unit_of_the_package_has_a_place_in_the_order() -> None:
    units = {_unit(_module_name(p)) for p in SRC.rglob("*.py")}
    assert units - set(RANK) == set()
    assert set(RANK) - units == set()


def test_no_import_points_up_the_order() -> None:
    assert upward_imports() == []


def module_graph() -> dict[str, set[str]]:
    """Module → the cnnkit modules it imports (a package means its __init__)."""
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        module = _module_name(path)
        graph[module] = {t for t, _ in imports_of(path) if t != module}
    return graph


def assert_acyclic(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()

    def visit(unit: str, path: list[str]) -> None:
        if unit in path:
            pytest.fail(
                "import cycle: " + " -> ".join([*path[path.index(unit) :], unit])
            )
        if unit in done:
            return
        for target in sorted(graph.get(unit, ())):
            visit(target, [*path, unit])
        done.add(unit)

    for unit in sorted(graph):
        visit(unit, [])


def test_the_package_graph_has_no_cycle() -> None:
    assert_acyclic(package_graph())


def test_no_modules_import_each_other_in_a_circle() -> None:
    """Inside a package too: ``model`` ↔ ``functional``-style circles (even through
    function-level imports) are what the layering exists to prevent."""
    assert_acyclic(module_graph())


def test_the_cycle_check_finds_a_circle() -> None:
    with pytest.raises(pytest.fail.Exception, match="a -> b -> a"):
        assert_acyclic({"a": {"b"}, "b": {"a"}})


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The walk must not miss a function-level import (the arrows it exists to see)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cnnkit.training import trainer\n"
        "def f():\n    from cnnkit.models import Model\n"
        "    from . import layer_config\n"
        "    from cnnkit import layers, __version__\n"
    )
    assert imports_of(probe, module="cnnkit.saving.probe") == [
        ("cnnkit.models", 5),
        ("cnnkit.saving.layer_config", 6),
        ("cnnkit.layers", 7),
        ("cnnkit", 7),
    ]
