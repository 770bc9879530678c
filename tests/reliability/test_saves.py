"""Saves that never crash and never leave litter (issue "Nothing lost, nothing let in").

HDF5 written straight to a file segfaults inside h5py's close when the write fails
(full disk, file-size limit); every HDF5 cnnkit writes is now built in memory and
written with a checked, atomic write. The failing writes run in a child process,
once under ``RLIMIT_FSIZE`` (with SIGXFSZ ignored, so the write gets EFBIG instead
of a signal) and once on a real full disk (ENOSPC: a 512 KiB tmpfs the child
fills; skipped where mounting is not permitted): a crash there shows as a
negative exit code instead of killing pytest.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnnkit
from cnnkit.saving._files import SaveError, atomic_write, clean_stale_temps

SRC = str(Path(cnnkit.__file__).resolve().parents[1])

# The child builds a model, saves every format once with no limit (the "old"
# files), then limits file sizes to LIMIT bytes and saves again; it prints one JSON
# line per case. LIMIT is below any of the files' sizes, above the tiny metadata.
CHILD = r"""
import errno, json, os, resource, signal, sys, warnings
import numpy as np
import cnnkit

folder = sys.argv[1]
LIMIT = 4096

def build():
    model = cnnkit.Sequential([
        cnnkit.Input((32,)),
        cnnkit.layers.Dense(64, name="hidden"),
        cnnkit.layers.Dense(1, name="out"),
    ])
    model.compile(optimizer="sgd", loss="mse")
    return model

model = build()
x = np.ones((8, 32), "float32")
y = np.ones((8, 1), "float32")
backup_dir = os.path.join(folder, "backup")
backup = cnnkit.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)
model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])
paths = {
    "weights": os.path.join(folder, "m.weights.h5"),
    "legacy": os.path.join(folder, "m.h5"),
    "keras": os.path.join(folder, "m.keras"),
}
model.save_weights(paths["weights"])
model.save(paths["legacy"])
model.save(paths["keras"])
model.layers[0].kernel.assign(np.full((32, 64), 3.0, "float32"))  # changed weights

if sys.argv[2] == "fsize":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
else:  # a real full disk: fill the small file system the folder is
    with open(os.path.join(folder, "filler"), "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(bytes(4096))
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
for case, path in paths.items():
    try:
        if case == "weights":
            model.save_weights(path)
        else:
            model.save(path)
        result = {"case": case, "error": None}
    except Exception as error:
        result = {
            "case": case, "error": type(error).__name__, "message": str(error),
            "is_oserror": isinstance(error, OSError),
        }
    print(json.dumps(result), flush=True)

checkpoint = cnnkit.callbacks.ModelCheckpoint(
    paths["weights"], save_weights_only=True
)
try:
    model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    result = {"case": "checkpoint", "error": None}
except Exception as error:
    result = {"case": "checkpoint", "error": type(error).__name__, "message": str(error)}
print(json.dumps(result), flush=True)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[backup])
print(json.dumps({
    "case": "backup",
    "epochs": len(history.history["loss"]),
    "warnings": [str(w.message) for w in caught if w.category is RuntimeWarning],
}), flush=True)
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=SRC, PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("KERAS_BACKEND", "torch")
    return env


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


# What each way of running out of room reads as, in the SaveError's message.
_CAUSE = {"fsize": "file-size limit", "full": "disk is full"}


def _mount_small_tmpfs(folder: Path) -> None:
    """Mount a 512 KiB tmpfs on ``folder``, or skip saying why it cannot be."""
    if sys.platform != "linux":
        pytest.skip("the full-disk case mounts a tmpfs, which is Linux's")
    if os.geteuid() != 0:
        pytest.skip("the full-disk case mounts a small tmpfs, which needs root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(
            "mounting a small tmpfs is not permitted here (a container without "
            f"CAP_SYS_ADMIN?): {proc.stderr.strip()}"
        )


@pytest.fixture(scope="module", params=["fsize", "full"])
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """Run the child once; yield its exit code, results, folder and mode.

    ``fsize``: a file-size limit (``RLIMIT_FSIZE``, EFBIG). ``full``: a real full
    disk (ENOSPC), a 512 KiB tmpfs the child fills before its second saves.
    """
    mode: str = request.param
    folder = tmp_path_factory.mktemp(f"limited-{mode}")
    if mode == "full":
        _mount_small_tmpfs(folder)
    try:
        script = folder / "child.py"
        script.write_text(CHILD)
        proc = subprocess.run(
            [sys.executable, str(script), str(folder), mode],
            capture_output=True,
            text=True,
            timeout=300,
            env=_child_env(),
            check=False,
        )
        results = {}
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                results[record["case"]] = record
        yield {"proc": proc, "results": results, "folder": folder, "mode": mode}
    finally:
        if mode == "full":
            subprocess.run(["umount", "-l", str(folder)], check=False)


def test_size_limited_saves_exit_normally(limited: dict[str, Any]) -> None:
    proc = limited["proc"]
    # -11 (SIGSEGV) was the old behaviour for `.weights.h5` and `.h5`.
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-3000:])


@pytest.mark.parametrize("case", ["weights", "legacy", "keras"])
def test_size_limited_save_is_a_clear_error(limited: dict[str, Any], case: str) -> None:
    result = limited["results"].get(case)
    assert result is not None, limited["proc"].stderr[-3000:]
    assert result["error"] == "SaveError"
    assert result["is_oserror"]
    name = {"weights": "m.weights.h5", "legacy": "m.h5", "keras": "m.keras"}[case]
    assert name in result["message"]
    assert _CAUSE[limited["mode"]] in result["message"]


def test_size_limited_checkpoint_raises_clearly(limited: dict[str, Any]) -> None:
    # Keras semantics: a checkpoint that cannot be written ends fit with the error.
    result = limited["results"].get("checkpoint")
    assert result is not None, limited["proc"].stderr[-3000:]
    assert result["error"] == "SaveError"
    assert "m.weights.h5" in result["message"]
    assert _CAUSE[limited["mode"]] in result["message"]


def test_size_limited_saves_keep_old_files_and_leave_no_temps(
    limited: dict[str, Any],
) -> None:
    folder: Path = limited["folder"]
    assert _temps(folder) == []
    model = cnnkit.Sequential(
        [
            cnnkit.Input((32,)),
            cnnkit.layers.Dense(64, name="hidden"),
            cnnkit.layers.Dense(1, name="out"),
        ]
    )
    model.load_weights(folder / "m.weights.h5")
    # The old weights, not the 3.0 the child assigned before the failing saves.
    assert not np.allclose(model.layers[0].kernel.numpy(), 3.0)
    for name in ("m.h5", "m.keras"):
        loaded = cnnkit.saving.load_model(folder / name)
        assert not np.allclose(loaded.layers[0].kernel.numpy(), 3.0)


def test_backup_failure_warns_and_training_continues(
    limited: dict[str, Any],
) -> None:
    from cnnkit.saving.training_state import load_training_state

    result = limited["results"].get("backup")
    assert result is not None, limited["proc"].stderr[-3000:]
    assert result["epochs"] == 2  # resumed after epoch 1, ran epochs 2 and 3
    assert result["warnings"], "a failed backup must warn"
    assert all("latest.weights.h5" in w for w in result["warnings"])
    assert all(_CAUSE[limited["mode"]] in w for w in result["warnings"])
    assert all("training continues" in w for w in result["warnings"])
    folder: Path = limited["folder"]
    model = cnnkit.Sequential(
        [
            cnnkit.Input((32,)),
            cnnkit.layers.Dense(64, name="hidden"),
            cnnkit.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    # The last good backup (from the unlimited first fit) is still whole.
    progress = load_training_state(model, str(folder / "backup" / "latest.weights.h5"))
    assert progress is not None
    assert progress["epoch"] == 1  # epochs completed


def _small_model() -> Any:
    model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("name", ["m.weights.h5", "m.h5", "m.keras"])
def test_parent_that_is_a_file_is_a_clear_error(tmp_path: Path, name: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    model = _small_model()
    path = blocker / name
    save = model.save_weights if name.endswith(".weights.h5") else model.save
    with pytest.raises(SaveError, match=r"blocker.*parent of the path is a file"):
        save(path)
    assert blocker.read_text() == "not a folder"


# Saves into a read-only folder, in a child: as root (CI runs tests as root, and
# root ignores permissions) the child drops to the unprivileged `nobody` after
# building its model and before saving.
READ_ONLY_CHILD = r"""
import json, os, sys, warnings
import numpy as np
import cnnkit

folder = sys.argv[1]
model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2, name="d")])
model.compile(optimizer="sgd", loss="mse")
model.layers[0].kernel.assign(np.full((3, 2), 3.0, "float32"))
x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
# A warm-up with privileges, so every lazy import happens now: the interpreter's
# own files may not be readable by `nobody`.
warm = os.path.join(folder, "warm")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name in ("m.weights.h5", "m.h5", "m.keras"):
        path = os.path.join(warm, name)
        model.save_weights(path) if name.endswith(".weights.h5") else model.save(path)
    backup = cnnkit.callbacks.BackupAndRestore(os.path.join(warm, "backup"))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
assert os.geteuid() != 0
results = {}
for case, name in [("weights", "m.weights.h5"), ("legacy", "m.h5"),
                   ("keras", "m.keras")]:
    path = os.path.join(folder, "ro", name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.save_weights(path) if case == "weights" else model.save(path)
        results[case] = {"error": None}
    except Exception as error:
        results[case] = {"error": type(error).__name__, "message": str(error)}
for case, backup_dir in [("backup_new", os.path.join(folder, "ro", "backup")),
                         ("backup_old", os.path.join(folder, "ro_backup"))]:
    backup = cnnkit.callbacks.BackupAndRestore(backup_dir)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, epochs=3, verbose=0, callbacks=[backup])
        results[case] = {
            "error": None, "epochs": len(history.history["loss"]),
            "warnings": [str(w.message) for w in caught
                         if w.category is RuntimeWarning],
        }
    except Exception as error:
        results[case] = {"error": type(error).__name__, "message": str(error)}
print(json.dumps(results), flush=True)
"""

NOBODY = 65534


@pytest.fixture
def traversable_tmp() -> Any:
    """A folder the unprivileged child can reach: pytest's own tmp folders are
    private to their owner (0o700 up the tree)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="cnnkit-read-only-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


@pytest.mark.skipif(sys.platform != "linux", reason="permissions and setuid are POSIX")
@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
def test_read_only_folder_is_a_clear_error(traversable_tmp: Path) -> None:
    folder = traversable_tmp
    read_only, old_backup = folder / "ro", folder / "ro_backup"
    read_only.mkdir()
    model = _small_model()
    model.save_weights(read_only / "m.weights.h5")
    model.save(read_only / "m.h5")
    model.save(read_only / "m.keras")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[
            cnnkit.callbacks.BackupAndRestore(old_backup, delete_checkpoint=False)
        ],
    )
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    before = {p: _digest(p) for p in files}
    for path in (read_only, old_backup):
        path.chmod(0o555)
    script = folder / "child.py"
    script.write_text(READ_ONLY_CHILD.replace("NOBODY", str(NOBODY)))
    proc = subprocess.run(
        [sys.executable, str(script), str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_child_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.splitlines()[-1])
    for case, name in [
        ("weights", "m.weights.h5"),
        ("legacy", "m.h5"),
        ("keras", "m.keras"),
    ]:
        assert results[case]["error"] == "SaveError", results[case]
        message = results[case]["message"]
        assert str(read_only / name) in message
        assert "permission denied" in message
        assert "save into a folder you can write to" in message
    # No backup folder can be made: each epoch warns, all three run.
    new = results["backup_new"]
    assert new["error"] is None, new
    assert new["epochs"] == 3
    assert len(new["warnings"]) == 3, new["warnings"]
    assert all("Could not create the backup folder" in w for w in new["warnings"])
    assert all("permission denied" in w.lower() for w in new["warnings"])
    # An old backup in a read-only folder: restored (epoch 1 done), then every
    # new backup warns, and the one it cannot delete at the end warns too.
    old = results["backup_old"]
    assert old["error"] is None, old
    assert old["epochs"] == 2
    writes = [w for w in old["warnings"] if "could not write its backup" in w]
    assert len(writes) == 2, old["warnings"]
    assert all("latest.weights.h5" in w and "permission denied" in w for w in writes)
    deletes = [w for w in old["warnings"] if "could not delete" in w]
    assert len(deletes) == 1, old["warnings"]
    assert str(old_backup) in deletes[0]
    # Nothing changed, nothing added.
    assert sorted(
        p for p in folder.rglob("*") if p.is_file() and "warm" not in p.parts
    ) == sorted([*files, script])
    assert {p: _digest(p) for p in files} == before
    assert _temps(folder) == []


def test_backup_into_unwritable_place_warns(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    model = _small_model()
    backup = cnnkit.callbacks.BackupAndRestore(blocker / "backup")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    with pytest.warns(
        RuntimeWarning,
        match=r"blocker.*training continues.*Could not create the backup folder",
    ):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[backup])
    assert len(history.history["loss"]) == 2


def test_stale_temps_are_cleaned_fresh_ones_kept(tmp_path: Path) -> None:
    stale = tmp_path / ".m.keras.ab12cd34.tmp"
    fresh = tmp_path / ".m.keras.zz99yy88.tmp"
    foreign = tmp_path / "notes.tmp"  # not our naming pattern
    for path in (stale, fresh, foreign):
        path.write_bytes(b"partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(foreign, (old, old))
    _small_model().save(tmp_path / "m.keras")
    assert not stale.exists()
    assert fresh.exists()
    assert foreign.exists()


def test_own_temp_in_flight_is_not_cleaned(tmp_path: Path) -> None:
    target = str(tmp_path / "a.bin")
    with atomic_write(target) as tmp:
        old = time.time() - 3600
        os.utime(tmp, (old, old))
        assert clean_stale_temps(str(tmp_path)) == []
        assert os.path.exists(tmp)
    assert os.path.exists(target)


def test_failed_write_removes_its_temp(tmp_path: Path) -> None:
    with (
        pytest.raises(SaveError, match=r"out\.bin.*disk is full"),
        atomic_write(str(tmp_path / "out.bin")),
    ):
        raise OSError(28, "No space left on device")
    assert _temps(tmp_path) == []
    assert not (tmp_path / "out.bin").exists()


KILL_CHILD = r"""
import os, sys
import numpy as np
import cnnkit

folder = sys.argv[1]
model = cnnkit.Sequential([
    cnnkit.Input((8, 8, 1)),
    cnnkit.layers.Conv2D(16, 3, name="conv"),
    cnnkit.layers.Flatten(),
    # Wide, so a save (~2.4 MB per file) takes a good share of each batch: a
    # random kill then often lands mid-write and leaves a temporary behind.
    cnnkit.layers.Dense(1024, name="hidden"),
    cnnkit.layers.Dense(1, name="out"),
])
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(4096, 8, 8, 1).astype("float32")
y = np.random.rand(4096, 1).astype("float32")

class Ready(cnnkit.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            open(os.path.join(folder, "ready"), "w").close()

callbacks = [
    cnnkit.callbacks.ModelCheckpoint(os.path.join(folder, "m.keras"), save_freq=1),
    cnnkit.callbacks.ModelCheckpoint(
        os.path.join(folder, "w.weights.h5"), save_weights_only=True, save_freq=1
    ),
    Ready(),
]
model.fit(x, y, batch_size=4, epochs=100, verbose=0, callbacks=callbacks)
"""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kill_during_checkpoints_leaves_loadable_files(
    tmp_path: Path, seed: int
) -> None:
    script = tmp_path / "child.py"
    script.write_text(KILL_CHILD)
    folder = tmp_path / "ckpt"
    folder.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(folder)],
        env=_child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while not (folder / "ready").exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the child never started training"
            time.sleep(0.05)
        time.sleep(random.Random(seed).uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    loaded = cnnkit.saving.load_model(folder / "m.keras")
    weights = cnnkit.saving.load_model(folder / "m.keras")
    weights.load_weights(folder / "w.weights.h5")
    assert loaded.count_params() == weights.count_params()
    # Whatever temporaries the kill left become stale; the next save removes them.
    old = time.time() - 3600
    for temp in folder.glob(".*.tmp"):
        os.utime(temp, (old, old))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.save(folder / "m.keras")
    assert _temps(folder) == []


def test_finished_backup_removes_temporaries_of_killed_writes(tmp_path: Path) -> None:
    # Found by the kill -9 fit test: a kill mid-backup left
    # `.latest.weights.h5.<random>.tmp`; the resumed run finished, deleted the
    # backup, and the fresh temporary (too young to be "stale") kept the folder.
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    ours = backup_dir / ".latest.weights.h5.ab12cd34.tmp"
    ours.write_bytes(b"partial")
    model = _small_model()
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    backup = cnnkit.callbacks.BackupAndRestore(backup_dir)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[backup])
    assert not backup_dir.exists()
    # Another program's temporaries are not ours to remove.
    backup_dir.mkdir()
    foreign = backup_dir / ".notes.txt.ab12cd34.tmp"
    foreign.write_bytes(b"partial")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])
    assert sorted(p.name for p in backup_dir.iterdir()) == [foreign.name]
