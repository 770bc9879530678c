"""The worst hostile files, loaded in a child process whose address space is
capped at 1.5 GiB (importing torch and cnnkit takes ~0.6 GiB of it): each must
fail with a FileFormatError instead of exhausting memory (the child's timeout
guards against a hang; the seconds each took are printed, not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import pytest
from hostile_files import members, tiny_model, write_zip

_LIMIT_BYTES = 3 << 29  # 1.5 GiB
_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
import cnnkit
from cnnkit.errors import FileFormatError
model = cnnkit.Sequential([cnnkit.Input((4,)), cnnkit.layers.Dense(3),
                           cnnkit.layers.Dense(2)])
for path in sys.argv[1:]:
    start = time.perf_counter()
    try:
        if path.endswith(".weights.h5"):
            model.load_weights(path)
        else:
            cnnkit.saving.load_model(path)
    except FileFormatError as error:
        print("refused", path, round(time.perf_counter() - start, 2), error)
    else:
        print("LOADED", path)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is Linux's")
def test_hostile_files_fail_within_bounded_memory(tmp_path: Path) -> None:
    model = tiny_model()
    weights = tmp_path / "bomb.weights.h5"
    model.save_weights(weights)
    with h5py.File(weights, "a") as h5:
        del h5["layers/dense/vars/0"]
        # 4e9 bytes: under the old 4 GiB guard, so it used to be read whole.
        h5.create_dataset("layers/dense/vars/0", shape=(10**9,), dtype="f4",
                          chunks=True, fillvalue=1.0)  # fmt: skip
    saved = tmp_path / "m.keras"
    model.save(saved)
    contents = members(saved)
    config = json.loads(contents["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10**8  # 1.6 GB kernel
    units = tmp_path / "units.keras"
    write_zip(units, {**contents, "config.json": json.dumps(config).encode()})
    deep = tmp_path / "deep.keras"
    write_zip(deep, {**contents, "config.json": b"[" * 10**6 + b"]" * 10**6})
    bomb = tmp_path / "zip_bomb.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        with archive.open("assets/zeros.bin", "w", force_zip64=True) as member:
            for _ in range(16):  # 256 MiB of zeros, ~250 kB stored
                member.write(bytes(16 << 20))
    paths = [weights, units, deep, bomb]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD.format(limit=_LIMIT_BYTES)]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["refused"] * len(paths), lines
    assert "possible decompression bomb" in lines[0]
    assert "units=100000000" in lines[1]
    assert "nests too deeply" in lines[2]
    assert "decompression bomb" in lines[3]
