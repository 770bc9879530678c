"""BackupAndRestore: an interrupted ``fit`` resumes and ends where an uninterrupted
one would, down to the last bit of every weight (CPU, fixed seed)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.callbacks import BackupAndRestore, Callback
from cnnkit.errors import FileFormatError, InvalidArgumentError, NotBuiltError

EPOCHS = 4


def _seeded_model() -> Any:
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    model = cnnkit.Sequential(
        [
            cnnkit.Input((6, 6, 1)),
            layers.Conv2D(3, 3, activation="relu"),
            layers.Dropout(0.3),  # global RNG
            layers.Flatten(),
            layers.Dropout(0.2, seed=7),  # the layer's own generator
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    return rng.rand(24, 6, 6, 1).astype("float32"), rng.randint(0, 3, 24)


class _Crash(Callback):
    """Raise in the middle of epoch ``epoch`` (a crash the process survives)."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = -1

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if (self.epoch, batch) == self.at:
            raise RuntimeError("simulated crash")


def _fit(model: Any, callbacks: list[Any]) -> Any:
    x, y = _data()
    return model.fit(x, y, batch_size=5, epochs=EPOCHS, verbose=0, callbacks=callbacks)


def _assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)


def test_resume_after_crash_equals_uninterrupted_run(tmp_path: Path) -> None:
    reference = _seeded_model()
    _fit(reference, [])
    backup = tmp_path / "backup"
    with pytest.raises(RuntimeError, match="simulated crash"):
        _fit(_seeded_model(), [BackupAndRestore(backup), _Crash(epoch=2, batch=2)])
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert metadata == {"epoch": 2, "batch": 0}
    resumed = _seeded_model()
    history = _fit(resumed, [BackupAndRestore(backup)])
    assert history.epoch == [2, 3]
    _assert_same(resumed.get_weights(), reference.get_weights())
    assert resumed.optimizer.iterations == reference.optimizer.iterations
    assert not backup.exists()  # deleted once training finished


def test_keep_checkpoint_and_finished_run(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    (backup).mkdir()
    (backup / "mine.txt").write_text("not ours")
    model = _seeded_model()
    _fit(model, [BackupAndRestore(backup, delete_checkpoint=False)])
    assert (backup / "latest.weights.h5").exists()
    again = _seeded_model()
    history = _fit(again, [BackupAndRestore(backup)])
    assert history.epoch == []  # everything was already done
    _assert_same(again.get_weights(), model.get_weights())
    assert sorted(os.listdir(backup)) == ["mine.txt"]  # only our files removed


def test_batch_frequency_and_double_checkpoint(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    callback = BackupAndRestore(backup, save_freq=3, double_checkpoint=True)
    with pytest.raises(RuntimeError):
        _fit(_seeded_model(), [callback, _Crash(epoch=1, batch=4)])
    names = sorted(os.listdir(backup))
    assert names == [
        "latest.weights.h5", "latest.weights.h5.bkp",
        "training_metadata.json", "training_metadata.json.bkp",
    ]  # fmt: skip
    # 5 batches per epoch, a backup every 3: the last was at epoch 1, batch 3.
    assert json.loads((backup / "training_metadata.json").read_text()) == {
        "epoch": 1,
        "batch": 3,
    }
    # A damaged latest backup falls back to the previous one.
    (backup / "latest.weights.h5").write_bytes(b"garbage")
    restored = _seeded_model()
    restorer = BackupAndRestore(backup)
    restorer.set_model(restored)
    restorer.on_train_begin()
    assert restored._initial_epoch == 1


def test_damaged_backup_without_fallback_is_an_error(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "latest.weights.h5").write_bytes(b"garbage")
    restorer = BackupAndRestore(backup)
    restorer.set_model(_seeded_model())
    with pytest.raises(FileFormatError, match=r"as a training backup.*a text file"):
        restorer.on_train_begin()


def test_backup_written_by_keras_resumes_from_its_metadata(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    backup.mkdir()
    model = _seeded_model()
    _fit(model, [])
    model.save_weights(backup / "latest.weights.h5")  # no cnnkit state group
    (backup / "training_metadata.json").write_text('{"epoch": 3, "batch": 0}')
    fresh = _seeded_model()
    restorer = BackupAndRestore(backup)
    restorer.set_model(fresh)
    restorer.on_train_begin()
    assert fresh._initial_epoch == 3
    _assert_same(fresh.get_weights(), model.get_weights())


def test_argument_and_state_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    for bad in ("batch", 0, True):
        with pytest.raises(InvalidArgumentError, match="save_freq"):
            BackupAndRestore(tmp_path, save_freq=bad)  # type: ignore[arg-type]
    restorer = BackupAndRestore(tmp_path / "b")
    restorer.set_model(cnnkit.Sequential([layers.Dense(2)]))
    with pytest.raises(NotBuiltError, match="must be built"):
        restorer.on_train_begin()
    assert "backup_dir=" in repr(restorer)


SCRIPT = textwrap.dedent(
    """
    import os, random, signal, sys
    import numpy as np, torch
    import cnnkit
    from cnnkit import layers
    from cnnkit.callbacks import BackupAndRestore, Callback

    mode, backup_dir, out = sys.argv[1:4]
    torch.set_num_threads(1)
    random.seed(0); np.random.seed(0); torch.manual_seed(0)
    model = cnnkit.Sequential([
        cnnkit.Input((6, 6, 1)),
        layers.Conv2D(3, 3, activation="relu"),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dropout(0.2, seed=7),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.RandomState(1)
    x, y = rng.rand(40, 6, 6, 1).astype("float32"), rng.randint(0, 3, 40)

    class Kill(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 2 and batch == 4:
                os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [] if mode == "plain" else [BackupAndRestore(backup_dir)]
    if mode == "kill":
        callbacks.append(Kill())
    model.fit(x, y, batch_size=5, epochs=4, verbose=0, callbacks=callbacks)
    np.savez(out, *model.get_weights())
    """
)


def _run(
    script: Path, mode: str, backup: Path, out: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [sys.executable, str(script), mode, str(backup), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    backup = tmp_path / "backup"
    plain = _run(script, "plain", backup, tmp_path / "plain.npz")
    assert plain.returncode == 0, plain.stderr
    killed = _run(script, "kill", backup, tmp_path / "never.npz")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (tmp_path / "never.npz").exists()
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2
    resumed = _run(script, "resume", backup, tmp_path / "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    with np.load(tmp_path / "plain.npz") as a, np.load(tmp_path / "resumed.npz") as b:
        assert list(a) == list(b)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert not backup.exists()


def test_unreadable_training_state_is_an_error(tmp_path: Path) -> None:
    import h5py

    from cnnkit.saving.training_state import load_training_state, save_training_state

    model = _seeded_model()
    path = tmp_path / "latest.weights.h5"
    save_training_state(model, str(path), {"epoch": 1, "batch": 0})
    with h5py.File(path, "a") as h5:
        del h5["cnnkit_training_state"].attrs["progress"]
    with pytest.raises(FileFormatError, match="training state is unreadable"):
        load_training_state(model, str(path))
