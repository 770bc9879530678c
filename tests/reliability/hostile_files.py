"""Builders of hostile files, made exactly as an attacker would (h5py, zipfile)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

import cnnkit


def tiny_model() -> Any:
    """A built, compiled model small enough that every test stays fast."""
    model = cnnkit.Sequential(
        [cnnkit.Input((4,)), cnnkit.layers.Dense(3), cnnkit.layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 4)), np.zeros((4, 2)), epochs=1, verbose=0)
    return model


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {i.filename: archive.read(i.filename) for i in archive.infolist()}


def write_zip(
    path: Path, contents: dict[str, bytes], compression: int = zipfile.ZIP_STORED
) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
