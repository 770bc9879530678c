"""A resumable training snapshot: weights, optimizer state, progress and RNG states.

``BackupAndRestore`` writes it. Everything lives in **one** ``.weights.h5`` file,
replaced atomically, so weights and "epoch reached" can never disagree after a
crash. The file is an ordinary Keras weights file (Keras reads it with
``load_weights``) plus a ``cnnkit_training_state`` group holding the progress as
JSON and the random-number generator states: torch's (CPU and CUDA), numpy's,
Python's ``random``, and the generators owned by seeded layers. Restoring them
makes the resumed run shuffle and drop out exactly as the uninterrupted one would.

Example:
    >>> import os, random, tempfile
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "latest.weights.h5")
    >>> save_training_state(model, path, {"epoch": 3, "batch": 0})
    >>> expected = random.random()  # the next number after the snapshot...
    >>> load_training_state(model, path)
    {'epoch': 3, 'batch': 0}
    >>> random.random() == expected  # ...comes again once it is restored
    True
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import h5py
import numpy as np
import torch

from cnnkit.errors import FileFormatError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving._files import expect_kind, h5_bytes, write_bytes
from cnnkit.saving.weights_h5 import (
    load_state,
    open_h5,
    safe_dataset,
    safe_group,
    write_state,
)

__all__ = ["load_training_state", "save_training_state"]

_GROUP = "cnnkit_training_state"


def _layer_generators(model: Layer) -> Iterator[tuple[str, Any, str, Any]]:
    """``(key, holder, attribute, generator-or-dict)`` for generators layers own.

    cnnkit's seeded random layers keep a ``_generators`` dict ``{device:
    torch.Generator}`` (filled on first use), on the layer itself or on a helper
    object it holds (``SeedStream``); a plain ``torch.Generator`` attribute counts too.
    """
    for name, module in model.named_modules():
        prefix = name or "<root>"
        for attr, value in vars(module).items():
            if isinstance(value, torch.Generator) or (
                attr == "_generators" and isinstance(value, dict)
            ):
                yield f"{prefix}:{attr}", module, attr, value
            elif not isinstance(value, torch.nn.Module) and isinstance(
                getattr(value, "_generators", None), dict
            ):
                yield (
                    f"{prefix}:{attr}._generators",
                    value,
                    "_generators",
                    value._generators,
                )


def _write_rng(group: h5py.Group, model: Layer) -> None:
    group.create_dataset("torch", data=torch.get_rng_state().numpy())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            group.create_dataset(f"torch_cuda_{index}", data=state.numpy())
    _, keys, pos, has_gauss, cached = np.random.get_state()
    group.create_dataset("numpy", data=keys)
    group.attrs["numpy_extra"] = json.dumps([int(pos), int(has_gauss), float(cached)])
    version, internal, gauss_next = random.getstate()
    group.create_dataset("python", data=np.asarray(internal, dtype=np.int64))
    group.attrs["python_extra"] = json.dumps([version, gauss_next])
    layers = group.create_group("layers")
    for key, _, _, value in _layer_generators(model):
        if isinstance(value, torch.Generator):
            data = layers.create_dataset(
                key.replace("/", "|"), data=value.get_state().numpy()
            )
            data.attrs["device"] = "-"
            continue
        for index, (device, generator) in enumerate(value.items()):
            data = layers.create_dataset(
                f"{key.replace('/', '|')}#{index}", data=generator.get_state().numpy()
            )
            data.attrs["device"] = str(device)


def _read_rng(group: h5py.Group, model: Layer, path: str) -> Callable[[], None]:
    """Read every generator state of the file; returns what applies them.

    Nothing changes until the returned function runs, so a file that fails
    half-way through being read leaves every generator as it was.
    """
    torch_state = torch.from_numpy(safe_dataset(group, "torch", path))
    cuda_states: dict[int, torch.Tensor] = {}
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            if f"torch_cuda_{index}" in group:
                cuda_states[index] = torch.from_numpy(
                    safe_dataset(group, f"torch_cuda_{index}", path)
                )
    pos, has_gauss, cached = json.loads(group.attrs["numpy_extra"])
    keys = safe_dataset(group, "numpy", path).astype(np.uint32)
    version, gauss_next = json.loads(group.attrs["python_extra"])
    internal = tuple(int(v) for v in safe_dataset(group, "python", path))
    layers = safe_group(group, "layers", path)
    saved = {name: str(layers[name].attrs["device"]) for name in layers}
    plain: list[tuple[torch.Generator, torch.Tensor]] = []
    owned: list[tuple[dict[Any, Any], str, torch.Tensor]] = []
    for key, module, attr, value in _layer_generators(model):
        stem = key.replace("/", "|")
        if isinstance(value, torch.Generator) and stem in saved:
            plain.append((value, torch.from_numpy(safe_dataset(layers, stem, path))))
            continue
        for name, device in saved.items():
            if name.startswith(f"{stem}#"):
                state = torch.from_numpy(safe_dataset(layers, name, path))
                owned.append((getattr(module, attr), device, state))

    def apply() -> None:
        torch.set_rng_state(torch_state)
        for index, state in cuda_states.items():
            torch.cuda.set_rng_state(state, index)
        np.random.set_state(("MT19937", keys, pos, has_gauss, cached))
        random.setstate((version, internal, gauss_next))
        for generator, state in plain:
            generator.set_state(state)
        for generators, device, state in owned:
            generator = torch.Generator(device=device)
            generator.set_state(state)
            generators[torch.device(device)] = generator

    return apply


def _capture_rng(model: Layer) -> Callable[[], None]:
    """The generator states now; returns what puts them back."""
    torch_state = torch.get_rng_state()
    cuda_states = (
        torch.cuda.get_rng_state_all()
        if torch.cuda.is_available() and torch.cuda.is_initialized()
        else None
    )
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    plain: list[tuple[torch.Generator, torch.Tensor]] = []
    owned: list[tuple[dict[Any, Any], dict[Any, Any]]] = []
    for _, _, _, value in _layer_generators(model):
        if isinstance(value, torch.Generator):
            plain.append((value, value.get_state()))
        else:
            owned.append((value, dict(value)))

    def restore() -> None:
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        for generator, state in plain:
            generator.set_state(state)
        for generators, entries in owned:
            generators.clear()
            generators.update(entries)

    return restore


def _check_progress(progress: Any, path: str) -> dict[str, Any]:
    epoch = progress.get("epoch") if isinstance(progress, dict) else None
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise FileFormatError(
            f"{path!r}: the training progress should be an object like "
            f'{{"epoch": 3, "batch": 0}} with a non-negative epoch; found '
            f"{progress!r:.100}."
        )
    return progress


def save_training_state(model: Layer, path: str, progress: dict[str, Any]) -> None:
    """Write weights, optimizer state, ``progress`` and RNG states to ``path``.

    Raises:
        SaveError: If the file cannot be written; the previous backup is intact.
    """

    def fill(h5: h5py.File) -> None:
        write_state(h5, model)
        group = h5.create_group(_GROUP)
        group.attrs["progress"] = json.dumps(progress)
        _write_rng(group, model)

    # In memory first: HDF5 writing to a full disk segfaults (see _files.h5_bytes).
    write_bytes(path, h5_bytes(fill))


def load_training_state(model: Layer, path: str) -> dict[str, Any] | None:
    """Restore what ``save_training_state`` wrote; returns the progress dict.

    A plain Keras weights file (no cnnkit group) restores weights and returns
    ``None``.

    All or nothing: when the file is refused, the model's weights, its
    optimizer and every random generator keep their values.

    Raises:
        FileFormatError: If the file is not a valid weights file for ``model``,
            or its progress or generator states are damaged.
    """
    expect_kind(path, "hdf5", "a training backup (`.weights.h5`)")
    with open_h5(path, path) as h5:
        # Read and check everything first; if the generators or the model then
        # refuse what was read, both are put back: a damaged backup changes
        # nothing.
        restore = _capture_rng(model)
        try:
            progress: dict[str, Any] | None = None
            apply_rng = None
            if _GROUP in h5:
                group = safe_group(h5, _GROUP, path)
                progress = _check_progress(json.loads(group.attrs["progress"]), path)
                apply_rng = _read_rng(group, model, path)
                try:
                    apply_rng()
                except RuntimeError as error:  # torch: a state of the wrong size
                    raise FileFormatError(
                        f"{path!r}: a random-generator state in the backup is "
                        f"invalid ({error}); the backup is damaged. Delete it to "
                        "train from the start."
                    ) from error
            load_state(h5, model, path)
        except BaseException as error:
            restore()
            if isinstance(error, FileFormatError) or not isinstance(
                error,
                OSError
                | KeyError
                | ValueError
                | TypeError
                | IndexError
                | OverflowError,
            ):
                raise
            raise FileFormatError(
                f"{path!r}: the training state is unreadable: "
                f"{type(error).__name__}: {error}"
            ) from error
    return progress
