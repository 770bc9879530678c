"""kill -9 at random moments during ``fit`` with ``BackupAndRestore``; the resumed
run must end bit for bit where the uninterrupted one does (issue "Nothing lost,
nothing let in").

A child trains a small seeded model (Conv2D, BatchNormalization, seeded Dropout,
Adam, shuffling, a validation split) on the CPU with one thread. The reference
child runs uninterrupted. The resumed child is SIGKILLed at seeded random moments
after it started training (restore done), then restarted with the same command
until it exits on its own. Its final weights, optimizer variables and per-epoch
logs must equal the reference's exactly (bytes, not ``allclose``).

``BackupAndRestore(save_freq="epoch")`` resumes at the first unfinished epoch,
as Keras' does, so an epoch cut short is run again from its start with the RNG
states of its start: every replayed epoch must log what it logged the first time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cnnkit

SRC = str(Path(cnnkit.__file__).resolve().parents[1])
EPOCHS = 6

CHILD = r"""
import json, os, sys
import numpy as np
import torch
torch.set_num_threads(1)
import cnnkit

folder, epochs, backup = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "backup"
cnnkit.utils.set_random_seed(7)
layers = cnnkit.layers
model = cnnkit.Sequential([
    cnnkit.Input((8, 8, 1)),
    layers.Conv2D(8, 3, activation="relu", name="conv"),
    layers.BatchNormalization(name="bn"),
    layers.Flatten(name="flat"),
    layers.Dropout(0.3, seed=3, name="drop"),
    layers.Dense(32, activation="relu", name="hidden"),
    layers.Dropout(0.2, name="drop2"),  # unseeded: draws from torch's global RNG
    layers.Dense(3, activation="softmax", name="out"),
])
model.compile(optimizer=cnnkit.optimizers.Adam(1e-2),
              loss="categorical_crossentropy", metrics=["accuracy"])
data = np.random.default_rng(0)
x = data.normal(size=(2560, 8, 8, 1)).astype("float32")
y = np.eye(3, dtype="float32")[data.integers(0, 3, 2560)]
log_path = os.path.join(folder, "epochs.jsonl")


class EpochLog(cnnkit.callbacks.Callback):
    # Before BackupAndRestore in the list: a kill between the two re-runs the
    # epoch, which must then log the same values again.
    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            open(os.path.join(folder, "training"), "w").close()

    def on_epoch_end(self, epoch, logs=None):
        with open(log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"epoch": epoch, "logs": logs}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


callbacks = [EpochLog()]
if backup:
    callbacks.append(cnnkit.callbacks.BackupAndRestore(os.path.join(folder, "backup")))
history = model.fit(x, y, batch_size=16, epochs=epochs, validation_split=0.2,
                    verbose=0, callbacks=callbacks)
arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
arrays.update({
    f"o{i}": np.asarray(v.detach().cpu()) for i, v in enumerate(model.optimizer.variables)
})
np.savez(os.path.join(folder, "final.tmp.npz"), **arrays)
os.replace(os.path.join(folder, "final.tmp.npz"), os.path.join(folder, "final.npz"))
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=SRC, PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("KERAS_BACKEND", "torch")
    env["OMP_NUM_THREADS"] = "1"
    return env


def _command(folder: Path, backup: bool) -> list[str]:
    script = folder / "child.py"
    script.write_text(CHILD)
    mode = "backup" if backup else "plain"
    return [sys.executable, str(script), str(folder), str(EPOCHS), mode]


def _epoch_logs(folder: Path) -> dict[int, list[dict[str, float]]]:
    """Every record each epoch logged (several when a kill made it run again)."""
    found: dict[int, list[dict[str, float]]] = {}
    for line in (folder / "epochs.jsonl").read_text().splitlines():
        if not line.endswith("}"):  # a kill mid-line: the epoch runs again
            continue
        record = json.loads(line)
        found.setdefault(record["epoch"], []).append(record["logs"])
    return found


def _final(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / "final.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reference")
    proc = subprocess.run(
        _command(folder, backup=False),
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def _run_with_kills(folder: Path, seed: int, kills: int) -> int:
    """Run the backup child, SIGKILL it ``kills`` times at seeded moments after it
    started training, then let it finish; returns how many kills landed."""
    rng = random.Random(seed)
    landed = 0
    for attempt in range(kills + 1):
        (folder / "training").unlink(missing_ok=True)
        proc = subprocess.Popen(
            _command(folder, backup=True),
            env=_child_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            if attempt < kills:
                deadline = time.monotonic() + 240  # guards against a hang only
                while not (folder / "training").exists() and proc.poll() is None:
                    assert time.monotonic() < deadline, "the child never trained"
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 1.0))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    landed += 1
            proc.wait(timeout=300)
            stderr = proc.stderr.read().decode() if proc.stderr else ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        if proc.returncode == 0:
            return landed
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, stderr[-3000:])
    raise AssertionError("the resumed child never finished")


def _check_resumed(reference: Path, folder: Path) -> None:
    expected = _final(reference)
    resumed = _final(folder)
    assert sorted(resumed) == sorted(expected)
    for key, value in expected.items():
        assert resumed[key].dtype == value.dtype, key
        assert resumed[key].tobytes() == value.tobytes(), f"{key} differs"
    expected_logs = {e: r[0] for e, r in _epoch_logs(reference).items()}
    assert sorted(expected_logs) == list(range(EPOCHS))
    seen = _epoch_logs(folder)
    assert sorted(seen) == list(range(EPOCHS))
    for epoch, records in seen.items():
        # Exact float equality: a replayed epoch must log what it logged before.
        assert all(r == expected_logs[epoch] for r in records), (epoch, records)
    assert not (folder / "backup").exists()  # deleted once training ended


def _resume_case(reference: Path, tmp_path: Path, seed: int) -> None:
    landed = _run_with_kills(tmp_path, seed, kills=2)
    assert landed >= 1, "no kill landed: the fit finished too fast for the test"
    _check_resumed(reference, tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL timing is POSIX's")
@pytest.mark.parametrize("seed", [0, 1])
def test_killed_fit_resumes_bit_exact(
    reference: Path, tmp_path: Path, seed: int
) -> None:
    _resume_case(reference, tmp_path, seed)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL timing is POSIX's")
@pytest.mark.parametrize("seed", range(2, 12))
def test_killed_fit_resumes_bit_exact_many_seeds(
    reference: Path, tmp_path: Path, seed: int
) -> None:
    _resume_case(reference, tmp_path, seed)


def test_reference_runs_are_deterministic(reference: Path, tmp_path: Path) -> None:
    # The premise of the kill tests: two uninterrupted runs agree bit for bit, so
    # a difference after a resume is the resume's.
    proc = subprocess.run(
        _command(tmp_path, backup=True),  # BackupAndRestore, never interrupted
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check_resumed(reference, tmp_path)
