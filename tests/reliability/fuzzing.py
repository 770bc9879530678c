"""Seeded fuzzers over every file cnnkit reads, run by ``test_fuzz.py`` in a child
process whose address space is capped (``RLIMIT_AS``) and whose every mutant is
guarded against hanging.

Each target makes a valid file, then mutants of it; each mutant must either load
or be refused with the library's own error (``CnnkitError``; for dataset files,
the errors a dataset source turns into "cannot decode it"). Anything else is a
finding: a bare ``TypeError``/``KeyError``/``MemoryError``, a refusal that only
came because the allocator gave up, or a mutant that hangs.

Run a target by hand: ``python fuzzing.py keras SEED RUNS FOLDER``; it prints one
JSON summary line.
"""

from __future__ import annotations

import copy
import io
import json
import os
import random
import resource
import shutil
import signal
import struct
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from PIL import Image

# Importing torch and cnnkit takes about 0.6 GiB of address space; the rest is
# what a hostile file may make the loader reserve before it must refuse.
ADDRESS_SPACE_LIMIT = 3 << 29  # 1.5 GiB
# Per mutant, against hangs only: a refusal normally takes milliseconds.
HANG_GUARD_S = 60

_ODD_VALUES: list[Any] = [None, -1, 0, 10**12, "x", [], {}, [1, [2]], {"a": 1}, 1.5]


class Hang(BaseException):
    """Raised by the alarm: a mutant took longer than ``HANG_GUARD_S``."""


# ------------------------------------------------------------------ helpers


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


def mutate_json(rng: random.Random, text: str | bytes) -> str:
    """1 to 3 values anywhere in a JSON document replaced by odd ones."""
    document = json.loads(text)
    for _ in range(rng.randint(1, 3)):
        value = copy.deepcopy(rng.choice(_ODD_VALUES))  # never shared: no cycles
        document = _set(document, rng.choice(_json_paths(document)), value)
    return json.dumps(document)


def _flip(rng: random.Random, data: bytes) -> bytes:
    mutant = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutant[rng.randrange(len(mutant))] ^= 1 << rng.randrange(8)
    return bytes(mutant)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {i.filename: archive.read(i.filename) for i in archive.infolist()}


def _write_zip(path: Path, contents: dict[str, bytes], deflate: bool = False) -> None:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def tiny_model() -> Any:
    import cnnkit

    model = cnnkit.Sequential(
        [cnnkit.Input((4,)), cnnkit.layers.Dense(3), cnnkit.layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 4)), np.zeros((4, 2)), epochs=1, verbose=0)
    return model


def _state(model: Any) -> list[np.ndarray]:
    """The model's weights and optimizer variables, copied."""
    values = [w.copy() for w in model.get_weights()]
    values += [v.detach().cpu().numpy().copy() for v in model.optimizer.variables]
    return values


def load_weights_atomically(model: Any, path: Path) -> None:
    """``model.load_weights(path)``; a refused file must leave the model as it
    was (issue 15, part 3: a failed load used to leave it half-loaded)."""
    before = _state(model)
    try:
        model.load_weights(path)
    except BaseException:
        after = _state(model)
        changed = len(after) != len(before) or any(
            a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
            for a, b in zip(before, after)
        )
        if changed:
            raise AssertionError("a refused load_weights changed the model") from None
        raise


# ------------------------------------------------------------------ HDF5 mutants


def _datasets(h5: h5py.File) -> list[str]:
    found: list[str] = []
    h5.visititems(
        lambda name, item: (
            found.append(name) if isinstance(item, h5py.Dataset) else None
        )
    )
    return found


def _groups(h5: h5py.File) -> list[str]:
    found = ["/"]
    h5.visititems(
        lambda name, item: found.append(name) if isinstance(item, h5py.Group) else None
    )
    return found


def _other_file(folder: Path, shape: tuple[int, ...]) -> Path:
    other = folder / "other.h5"
    with h5py.File(other, "w") as h5:
        h5.create_dataset("data", data=np.full(shape, 7.0, "float32"))
    return other


def _replace(h5: h5py.File, name: str, make: Callable[[h5py.Group, str], Any]) -> None:
    parent, _, leaf = name.rpartition("/")
    group = h5[parent] if parent else h5
    del group[leaf]
    make(group, leaf)


def mutate_h5(rng: random.Random, path: Path, folder: Path) -> str:
    """Mutate the HDF5 file at ``path`` in place; returns the kind of mutation."""
    kind = rng.choice(
        ["shape", "dtype", "bomb", "external", "virtual", "softlink", "deep",
         "attrs", "delete", "flip", "truncate"]
    )  # fmt: skip
    if kind in ("flip", "truncate"):
        data = path.read_bytes()
        path.write_bytes(_flip(rng, data) if kind == "flip" else _truncate(rng, data))
        return kind
    with h5py.File(path, "a") as h5:
        names = _datasets(h5)
        name = rng.choice(names)
        shape = h5[name].shape
        if kind == "shape":
            lie = rng.choice(
                [(), (1,), (10**9,), (10**5, 10**5), (*shape, 2), (3, 3, 3, 3)]
            )
            _replace(h5, name, lambda g, leaf: g.create_dataset(
                leaf, shape=lie, dtype="f4", chunks=True if lie else None, fillvalue=1.0))  # fmt: skip
        elif kind == "dtype":
            choice = rng.choice(["f2", "f8", "i8", "u1", "S8", "c8", "?", "str"])
            dtype: Any = h5py.string_dtype() if choice == "str" else choice
            if choice == "S8":
                data: Any = np.full(shape, b"x", "S8")
            elif choice == "str":
                data = np.full(shape, "x", object)
            else:
                data = np.ones(shape, choice)
            _replace(
                h5, name, lambda g, leaf: g.create_dataset(leaf, data=data, dtype=dtype)
            )
        elif kind == "bomb":
            # 64 MiB of zeros, stored as ~64 kB: the wrong shape, and a bomb.
            _replace(h5, name, lambda g, leaf: g.create_dataset(
                leaf, data=np.zeros(1 << 24, "f4"), compression="gzip", chunks=(1 << 20,)))  # fmt: skip
        elif kind == "external":
            other = _other_file(folder, shape)
            _replace(h5, name, lambda g, leaf: g.__setitem__(
                leaf, h5py.ExternalLink(str(other), "/data")))  # fmt: skip
        elif kind == "virtual":
            other = _other_file(folder, shape)
            layout = h5py.VirtualLayout(shape=shape, dtype="f4")
            layout[...] = h5py.VirtualSource(str(other), "data", shape=shape)
            _replace(h5, name, lambda g, leaf: g.create_virtual_dataset(leaf, layout))
        elif kind == "softlink":
            target = rng.choice(["/", "/" + name.rpartition("/")[0], "/nowhere"])
            _replace(
                h5, name, lambda g, leaf: g.__setitem__(leaf, h5py.SoftLink(target))
            )
        elif kind == "deep":
            group = h5[rng.choice(_groups(h5))]
            for level in range(rng.choice([50, 300])):
                group = group.create_group(f"g{level}")
            group.attrs["deep"] = "[" * 10_000 + "]" * 10_000
        elif kind == "attrs":
            item = h5[rng.choice(_groups(h5) + names)]
            keys = list(item.attrs)
            key = rng.choice(keys) if keys and rng.random() < 0.7 else "odd"
            value = item.attrs.get(key)
            if isinstance(value, bytes | str) and value[:1] in ("{", "[", b"{", b"["):
                item.attrs[key] = mutate_json(rng, value)
            else:
                item.attrs[key] = rng.choice(
                    [
                        7,
                        -1.5,
                        "x" * 30_000,
                        np.arange(5000),
                        b"\xff\xfe",
                        np.zeros((2, 2)),
                    ]
                )
        else:  # delete
            victim = rng.choice(names + _groups(h5)[1:])
            del h5[victim]
    return kind


# ------------------------------------------------------------------ targets


class Target:
    """How to make the valid file, a mutant of it, and how to load one."""

    suffix = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def source(self) -> Path:
        raise NotImplementedError

    def mutate(self, rng: random.Random, path: Path) -> str:
        raise NotImplementedError

    def load(self, path: Path, run: int) -> None:
        raise NotImplementedError

    def allowed(self) -> tuple[type[BaseException], ...]:
        from cnnkit.errors import CnnkitError

        return (CnnkitError,)


class KerasTarget(Target):
    suffix = ".keras"

    def source(self) -> Path:
        self.model = tiny_model()
        path = self.folder / "source.keras"
        self.model.save(path)
        return path

    def mutate(self, rng: random.Random, path: Path) -> str:
        kind = rng.choice(["flip", "truncate", "config", "rename", "weights"])
        if kind in ("flip", "truncate"):
            data = path.read_bytes()
            path.write_bytes(
                _flip(rng, data) if kind == "flip" else _truncate(rng, data)
            )
            return kind
        contents = _members(path)
        if kind == "rename":
            name = rng.choice(sorted(contents))
            new = rng.choice(["assets/x", "other.json", name.upper(), "../" + name])
            contents[new] = contents.pop(name)
        elif kind == "config":
            member = rng.choice(["config.json", "metadata.json"])
            contents[member] = mutate_json(rng, contents[member]).encode()
        else:  # the HDF5 inside
            inner = self.folder / "inner.weights.h5"
            inner.write_bytes(contents["model.weights.h5"])
            kind = "weights-" + mutate_h5(rng, inner, self.folder)
            contents["model.weights.h5"] = inner.read_bytes()
        _write_zip(path, contents, deflate=rng.random() < 0.5)
        return kind

    def load(self, path: Path, run: int) -> None:
        from cnnkit.saving import load_model

        # Both readers: the whole model, and weights into a built one.
        if run % 2:
            load_weights_atomically(self.model, path)
        else:
            load_model(path)


class WeightsTarget(Target):
    suffix = ".weights.h5"

    def source(self) -> Path:
        self.model = tiny_model()
        path = self.folder / "source.weights.h5"
        self.model.save_weights(path)
        return path

    def mutate(self, rng: random.Random, path: Path) -> str:
        return mutate_h5(rng, path, self.folder)

    def load(self, path: Path, run: int) -> None:
        load_weights_atomically(self.model, path)


class LegacyTarget(Target):
    suffix = ".h5"

    def source(self) -> Path:
        path = self.folder / "source.h5"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tiny_model().save(path)
        return path

    def mutate(self, rng: random.Random, path: Path) -> str:
        if rng.random() < 0.3:
            key = rng.choice(["model_config", "training_config"])
            with h5py.File(path, "a") as h5:
                if rng.random() < 0.5:
                    h5.attrs[key] = mutate_json(rng, h5.attrs[key])
                else:
                    h5.attrs[key] = rng.choice(
                        ["[" * 100_000 + "]" * 100_000, "{", 7, np.arange(3), "null"]
                    )
            return f"attr-{key}"
        return mutate_h5(rng, path, self.folder)

    def load(self, path: Path, run: int) -> None:
        from cnnkit.saving import load_model

        if run % 3 == 2:  # the weights only, into a model built in code
            if not hasattr(self, "model"):
                self.model = tiny_model()
            load_weights_atomically(self.model, path)
        else:
            load_model(path, compile=bool(run % 3))


class BackupTarget(Target):
    """A BackupAndRestore training state (weights, optimizer, progress, RNG)."""

    suffix = ".weights.h5"

    def source(self) -> Path:
        from cnnkit.saving.training_state import save_training_state

        self.model = tiny_model()
        path = self.folder / "latest.weights.h5"
        save_training_state(self.model, str(path), {"epoch": 1, "batch": 0})
        return path

    def mutate(self, rng: random.Random, path: Path) -> str:
        return mutate_h5(rng, path, self.folder)

    def load(self, path: Path, run: int) -> None:
        from cnnkit.saving.training_state import load_training_state

        before = _state(self.model)
        try:
            load_training_state(self.model, str(path))
        except BaseException:
            after = _state(self.model)
            if len(after) != len(before) or any(
                not np.array_equal(a, b, equal_nan=True) for a, b in zip(before, after)
            ):
                raise AssertionError(
                    "a refused training state changed the model"
                ) from None
            raise


class NpzTarget(Target):
    """Keras-style ``mnist.npz``, read as a dataset source reads it."""

    suffix = ".npz"

    def source(self) -> Path:
        path = self.folder / "source.npz"
        rng = np.random.default_rng(0)
        np.savez_compressed(
            path,
            x_train=rng.integers(0, 255, (6, 4, 4), dtype=np.uint8),
            y_train=np.arange(6, dtype=np.uint8),
            x_test=rng.integers(0, 255, (2, 4, 4), dtype=np.uint8),
            y_test=np.arange(2, dtype=np.uint8),
        )
        return path

    def mutate(self, rng: random.Random, path: Path) -> str:
        kind = rng.choice(
            ["object", "header", "flip", "truncate", "rename", "trailing"]
        )
        if kind in ("flip", "truncate"):
            data = path.read_bytes()
            path.write_bytes(
                _flip(rng, data) if kind == "flip" else _truncate(rng, data)
            )
            return kind
        contents = _members(path)
        name = rng.choice(sorted(contents))
        if kind == "object":  # a real pickle inside the .npy
            buffer = io.BytesIO()
            np.save(
                buffer, np.array([{"a": 1}, print], dtype=object), allow_pickle=True
            )
            contents[name] = buffer.getvalue()
        elif kind == "header":
            header = io.BytesIO()
            descr = rng.choice(["<f4", "|O", "<U10", "|V8", "<c16", "|u1"])
            shape = rng.choice([(10**9,), (6, 4, 4), (), (2**40, 2**40), (-1,)])
            try:
                np.lib.format.write_array_header_1_0(
                    header, {"descr": descr, "fortran_order": False, "shape": shape}
                )
            except ValueError:  # numpy refuses to write it: forge the bytes
                text = repr({"descr": descr, "fortran_order": False, "shape": shape})
                body = text.encode("latin1") + b" " * (118 - len(text)) + b"\n"
                header.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body)
            contents[name] = header.getvalue() + bytes(96)
        elif kind == "rename":
            contents[rng.choice(["x_train", "X_TRAIN.npy", "../x.npy"])] = contents.pop(
                name
            )
        else:  # trailing: the array's bytes followed by 63 more copies
            contents[name] = contents[name] * 64
        _write_zip(path, contents, deflate=True)
        return kind

    def load(self, path: Path, run: int) -> None:
        from cnnkit.datasets import _sources
        from cnnkit.datasets._formats import decode_npz

        _sources._decode(
            lambda paths: decode_npz(paths, ("x_train", "y_train", "x_test", "y_test")),
            [path],
        )

    def allowed(self) -> tuple[type[BaseException], ...]:
        from cnnkit.datasets._sources import SourceFailed

        return (*super().allowed(), SourceFailed)


class ImageTarget(Target):
    suffix = ".img"

    def source(self) -> Path:
        self.sources: list[Path] = []
        rng = np.random.default_rng(0)
        pixels = rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)
        for fmt in ("PNG", "JPEG", "GIF", "BMP"):
            path = self.folder / f"source.{fmt.lower()}"
            Image.fromarray(pixels).save(path, format=fmt)
            self.sources.append(path)
        return self.sources[0]

    def mutate(self, rng: random.Random, path: Path) -> str:
        source = rng.choice(self.sources)
        kind = rng.choice(["flip", "truncate", "dims", "bomb"])
        data = source.read_bytes()
        if kind == "flip":
            data = _flip(rng, data)
        elif kind == "truncate":
            data = _truncate(rng, data)
        elif kind == "dims":  # a header declaring other dimensions
            width, height = rng.choice(
                [(30000, 30000), (7000, 7000), (0, 5), (2**31 - 1, 1)]
            )
            data = _forge_dims(source.suffix, bytearray(data), width, height)
        else:  # a real image over the pixel limit, tiny on disk
            buffer = io.BytesIO()
            Image.new("1", (8000, 8000)).save(buffer, format="PNG")
            data = buffer.getvalue()
        path.write_bytes(data)
        return f"{source.suffix[1:]}-{kind}"

    def load(self, path: Path, run: int) -> None:
        from cnnkit.utils import img_to_array, load_img

        # As image_dataset_from_directory reads: decoded, then resized; a float
        # array of the full image (up to MAX_PIXELS x 4 channels x 4 bytes, 800
        # MB) is the caller's request, not the file's doing.
        mode = ["rgb", "grayscale", "rgba"][run % 3]
        img = load_img(path, color_mode=mode, target_size=(24, 24) if run % 2 else None)
        if run % 2:
            img_to_array(img)
        else:
            np.asarray(img)


def _forge_dims(suffix: str, data: bytearray, width: int, height: int) -> bytes:
    if suffix == ".png":
        struct.pack_into(">II", data, 16, width, height)
    elif suffix == ".gif":
        struct.pack_into("<HH", data, 6, min(width, 65535), min(height, 65535))
    elif suffix == ".bmp":
        struct.pack_into("<ii", data, 18, min(width, 2**31 - 1), min(height, 2**31 - 1))
    else:  # JPEG: the first SOF0/SOF2 marker's height and width
        for marker in (b"\xff\xc0", b"\xff\xc2"):
            at = data.find(marker)
            if at >= 0:
                struct.pack_into(
                    ">HH", data, at + 5, min(height, 65535), min(width, 65535)
                )
                break
    return bytes(data)


TARGETS: dict[str, type[Target]] = {
    "keras": KerasTarget,
    "weights": WeightsTarget,
    "legacy": LegacyTarget,
    "backup": BackupTarget,
    "npz": NpzTarget,
    "image": ImageTarget,
}


# ------------------------------------------------------------------ running


def _allocator_gave_up(error: BaseException) -> bool:
    """Whether the address-space cap, not a check, stopped this load."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, MemoryError) or "can't allocate memory" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def run(target_name: str, seed: int, runs: int, folder: Path) -> dict[str, Any]:
    """Load ``runs`` mutants; returns counts by outcome and the findings."""
    target = TARGETS[target_name](folder)
    source = target.source()
    allowed = target.allowed()
    rng = random.Random(seed)
    outcomes: dict[str, int] = {"loaded": 0, "refused": 0}
    kinds: dict[str, int] = {}
    findings: list[dict[str, Any]] = []

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {HANG_GUARD_S} s")

    signal.signal(signal.SIGALRM, on_alarm)
    for index in range(runs):
        path = folder / f"mutant{index}{target.suffix}"
        shutil.copyfile(source, path)
        kind = target.mutate(rng, path)
        kinds[kind] = kinds.get(kind, 0) + 1
        signal.alarm(HANG_GUARD_S)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                target.load(path, index)
            outcomes["loaded"] += 1
        except allowed as error:
            if _allocator_gave_up(error):
                findings.append(
                    {
                        "run": index,
                        "kind": kind,
                        "error": "only the memory cap stopped it: " + str(error)[:500],
                    }
                )
            else:
                outcomes["refused"] += 1
        except BaseException as error:  # a finding, whatever it is
            findings.append(
                {
                    "run": index,
                    "kind": kind,
                    "error": f"{type(error).__name__}: {str(error)[:500]}",
                }
            )
        finally:
            signal.alarm(0)
        path.unlink(missing_ok=True)
    return {"target": target_name, "seed": seed, "runs": runs, "outcomes": outcomes,
            "kinds": kinds, "findings": findings}  # fmt: skip


def main(argv: list[str]) -> None:
    target_name, seed, runs, folder = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    limit = int(os.environ.get("CNNKIT_FUZZ_AS_LIMIT", ADDRESS_SPACE_LIMIT))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    print(json.dumps(run(target_name, seed, runs, folder)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
