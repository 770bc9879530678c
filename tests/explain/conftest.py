"""Oracles for the explain tests: pytorch-grad-cam and Captum.

pytorch-grad-cam imports torchvision when it loads (for image helpers and detection
targets that Grad-CAM, Grad-CAM++ and LayerCAM never call). torchvision's only
wheels on the package index are CUDA builds, which cannot load beside the CPU
torch these machines run, so the Makefile installs grad-cam without its
dependencies and this fixture gives it empty stand-ins for the three torchvision
modules it names, only while it is imported: nothing else ever sees them.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

import pytest

_TORCHVISION_NAMES = {
    "torchvision": [],
    "torchvision.transforms": ["Compose", "Normalize", "ToTensor"],
    "torchvision.transforms.functional": ["resize"],
}


def _import_grad_cam() -> Any:
    if "pytorch_grad_cam" in sys.modules:
        return sys.modules["pytorch_grad_cam"]
    pytest.importorskip("ttach")
    pytest.importorskip("cv2")
    if importlib.util.find_spec("torchvision") is not None:
        try:
            importlib.import_module("torchvision")
        except Exception:  # a CUDA build beside CPU torch fails as it loads
            for name in [n for n in sys.modules if n.split(".")[0] == "torchvision"]:
                del sys.modules[name]
        else:
            return importlib.import_module("pytorch_grad_cam")
    stubs = {}
    for name, attributes in _TORCHVISION_NAMES.items():
        if name in sys.modules:
            continue
        stub = types.ModuleType(name)
        stub.__path__ = []  # a package, so its submodules import
        for attribute in attributes:
            setattr(stub, attribute, None)
        stubs[name] = stub
    sys.modules.update(stubs)
    try:
        return importlib.import_module("pytorch_grad_cam")
    except ModuleNotFoundError as error:
        pytest.skip(f"pytorch-grad-cam is not installed ({error}); run `make install`")
    finally:
        for name in stubs:
            sys.modules.pop(name, None)


@pytest.fixture(scope="session")
def grad_cam() -> Any:
    """The ``pytorch_grad_cam`` package (test oracle)."""
    return _import_grad_cam()


@pytest.fixture(scope="session")
def captum_attr() -> Any:
    """``captum.attr`` (test oracle)."""
    return pytest.importorskip("captum.attr")
