"""Every public module says what it exports (``__all__``), and says it truthfully:
``from cnnkit.constraints import *`` brings constraints, not ``Any`` or ``torch``."""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import types
import typing

import pytest

from test_public_api import NAMESPACES

# The namespaces whose names the golden API list keeps, and the other public modules.
PUBLIC_MODULES = sorted(
    {
        *NAMESPACES,
        "cnnkit.distributed",
        "cnnkit.errors",
        "cnnkit.ops",
        "cnnkit.serialization",
        "cnnkit.testing",
        "cnnkit.zoo",
    }
)


def _module(name: str) -> types.ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_a_public_module_lists_its_exports(name: str) -> None:
    module = _module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list | tuple), f"{name} has no __all__"
    assert len(set(exported)) == len(exported), "a name is listed twice"
    assert [n for n in exported if not hasattr(module, n)] == []


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_exports_are_cnnkit_objects_not_imports_from_elsewhere(name: str) -> None:
    module = _module(name)
    foreign = []
    for export in module.__all__:
        obj = getattr(module, export)
        defined_here = inspect.isclass(obj) or inspect.isfunction(obj)
        if defined_here and not (obj.__module__ or "").startswith("cnnkit"):
            foreign.append(f"{export} (from {obj.__module__})")
    assert foreign == []


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_what_a_module_defines_in_public_it_exports(name: str) -> None:
    """A public class or function written in the module itself is part of its API
    (otherwise it would start with ``_``)."""
    module = _module(name)
    unlisted = [
        attr
        for attr, obj in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == name
        and attr not in module.__all__
    ]
    assert unlisted == []


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_star_import_brings_no_typing_or_stdlib_names(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    leaked = [
        attr
        for attr, obj in namespace.items()
        if attr != "__builtins__"
        and (
            (
                isinstance(obj, types.ModuleType)
                and not obj.__name__.startswith("cnnkit")
            )
            or obj is getattr(typing, attr, None)
            or obj is getattr(collections.abc, attr, None)
            or attr == "annotations"
        )
    ]
    assert leaked == []
