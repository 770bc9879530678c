"""Shared test setup.

Keras is a test-only oracle: it must run on its torch backend, so the variable is set
before anything can import it.
"""

from __future__ import annotations

import os
import random

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch
from hypothesis import settings

# Matmuls and convs must be plain float32 so tolerances mean what they say.
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=40)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _isolated_cnnkit_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the user's real cache."""
    home = tmp_path_factory.mktemp("cnnkit_home")
    monkeypatch.setenv("CNNKIT_HOME", str(home))
