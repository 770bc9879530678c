"""A seeded fuzzer over a saved `.keras` file: every mutant either loads or fails
with one of cnnkit's own errors (never a bare TypeError, KeyError, ...)."""

from __future__ import annotations

import json
import random
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from hostile_files import members, tiny_model, write_zip

from cnnkit.errors import CnnkitError
from cnnkit.saving import load_model

_ODD_VALUES: list[Any] = [None, -1, 0, 10**12, "x", [], {}, [1, [2]], {"a": 1}, 1.5]


def _json_paths(item: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(item, dict):
        for key, value in item.items():
            found += _json_paths(value, (*path, key))
    elif isinstance(item, list):
        for index, value in enumerate(item):
            found += _json_paths(value, (*path, index))
    return found


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return root


def _mutant(rng: random.Random, original: bytes, path: Path) -> bytes | None:
    """Bytes of a mutated archive (or ``None`` when written through ``path``)."""
    kind = rng.choice(["flip", "truncate", "config", "rename"])
    if kind == "flip":
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == "truncate":
        return original[: rng.randrange(len(original))]
    contents = members(path)
    if kind == "rename":
        name = rng.choice(sorted(contents))
        contents[rng.choice(["assets/x", "other.json", name.upper()])] = contents.pop(
            name
        )
    else:
        config = json.loads(contents["config.json"])
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(_json_paths(config))
            config = _set(config, target, rng.choice(_ODD_VALUES))
        contents["config.json"] = json.dumps(config).encode()
    write_zip(path, contents)
    return None


def _fuzz(tmp_path: Path, runs: int, seed: int) -> None:
    source = tmp_path / "source.keras"
    model = tiny_model()
    model.save(source)
    original = source.read_bytes()
    rng = random.Random(seed)
    for run in range(runs):
        path = tmp_path / f"mutant{run}.keras"
        path.write_bytes(original)
        data = _mutant(rng, original, path)
        if data is not None:
            path.write_bytes(data)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Both readers: the whole model, and weights into a built one.
                if run % 2:
                    model.load_weights(path)
                else:
                    load_model(path)
        except CnnkitError:
            pass
        except Exception as error:
            raise AssertionError(
                f"mutant {run} (seed {seed}) raised {type(error).__name__}: {error}"
            ) from error
        assert time.perf_counter() - start < 10, f"mutant {run} took too long"


def test_fuzz_short(tmp_path: Path) -> None:
    _fuzz(tmp_path, runs=50, seed=0)


@pytest.mark.slow
def test_fuzz_long(tmp_path: Path) -> None:
    for seed in range(1, 11):
        _fuzz(tmp_path, runs=100, seed=seed)
