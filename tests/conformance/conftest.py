"""Fixtures of the conformance suite (see ``harness.py``).

- ``clear_both_sessions`` (autouse): ``cnnkit.backend.clear_session()`` and
  ``keras.backend.clear_session()`` before each test, so auto-names match; the image
  data format of both is restored afterwards.
- ``frozen_gc`` (session, autouse): ``gc.freeze()`` once the imports are done, so the
  ``gc.collect()`` inside both ``clear_session`` calls scans only what a test created
  (0.3 s -> 0.1 ms per test; nothing is leaked, frozen objects just are not scanned).
- ``data``: ``data(2, 8, 8, 3)`` gives seeded float32 numpy data (``low=``/``high=``
  for uniform data).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import cnnkit

from .harness import DataFactory, clear_sessions, keras, make_data


@pytest.fixture(scope="session", autouse=True)
def frozen_gc() -> Iterator[None]:
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def clear_both_sessions() -> Iterator[None]:
    ours, theirs = cnnkit.config.image_data_format(), keras.config.image_data_format()
    clear_sessions()
    yield
    cnnkit.config.set_image_data_format(ours)
    keras.config.set_image_data_format(theirs)


@pytest.fixture
def data() -> DataFactory:
    return make_data(0)
