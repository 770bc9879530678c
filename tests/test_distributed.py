"""DDP training (DESIGN decision 7): ``fit`` under ``torchrun``, on CPU with gloo.

The ``distributed`` tests launch this very file with ``torch.distributed.run`` as two
processes on one machine (loopback only). Each process, a *worker*, trains tiny models
in several ways and saves its initial and final weights, its history and its console
output; the tests then check that

* both ranks end with the same weights, although they started from different ones
  (DDP copies rank 0's weights at the start and averages gradients);
* the result equals a single process that trains on the same samples with a batch
  ``world_size`` times larger (the rank-strided shards make each step's union the
  single process' batch): arrays, arrays whose size the ranks do not divide (the
  remainder is dropped), and a ``DataLoader`` with a ``DistributedSampler``;
* only rank 0 printed the progress bar and wrote files.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import distributed

WORLD_SIZE = 2
PER_RANK_BATCH = 8
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}  # float32 sums in another order


# ---------------------------------------------------------------- shared recipes


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, n)
    return x, y


def _model() -> Any:
    import cnnkit
    from cnnkit import layers, optimizers

    model = cnnkit.Sequential(
        [
            cnnkit.Input((6, 6, 1)),
            layers.Conv2D(3, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    # Momentum makes every step depend on all earlier ones: a stricter comparison.
    model.compile(
        optimizer=optimizers.SGD(learning_rate=0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _loader(x: np.ndarray, y: np.ndarray, rank: int, world: int) -> Any:
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=False)
    return DataLoader(dataset, batch_size=PER_RANK_BATCH, sampler=sampler)


# ---------------------------------------------------------------- the worker


def _worker(out: Path) -> None:
    """One torchrun process: train every case, save what the tests compare."""
    rank = int(os.environ["RANK"])
    # This rank's console output goes to its own files, so the test sees who printed.
    for fd, name in ((1, "stdout"), (2, "stderr")):
        file = os.open(out / f"{name}.{rank}.txt", os.O_WRONLY | os.O_CREAT, 0o644)
        os.dup2(file, fd)
    from cnnkit import callbacks

    cases: dict[str, dict[str, Any]] = {
        # Validation data is split off before sharding: every rank sees all of it.
        "arrays": {"n": 64, "validation_split": 0.25, "verbose": 1},
        # 71 = 2 * 35 + 1: one sample dropped; 35 = 4 * 8 + 3: a short last batch.
        "remainder": {"n": 71},
        "loader": {"n": 48, "loader": True},
        "shuffled": {"n": 48, "shuffle": True, "epochs": 3},
    }
    for case, spec in cases.items():
        torch.manual_seed(100 + rank)  # different weights per rank: DDP must fix it
        model = _model()
        initial = model.get_weights()
        x, y = _data(spec["n"])
        logged = [
            callbacks.CSVLogger(out / f"{case}.log.{rank}.csv"),
            callbacks.ModelCheckpoint(str(out / f"{case}.ckpt.{rank}.keras")),
        ]
        fit_args: dict[str, Any] = {
            "epochs": spec.get("epochs", 2),
            "verbose": spec.get("verbose", 0),
            "callbacks": logged,
        }
        if spec.get("loader"):
            history = model.fit(_loader(x, y, rank, WORLD_SIZE), **fit_args)
        else:
            history = model.fit(
                x, y, batch_size=PER_RANK_BATCH, shuffle=spec.get("shuffle", False),
                validation_split=spec.get("validation_split", 0.0), **fit_args,
            )  # fmt: skip
        np.savez(
            out / f"{case}.{rank}.npz",
            **{f"initial_{i}": w for i, w in enumerate(initial)},
            **{f"final_{i}": w for i, w in enumerate(model.get_weights())},
        )
        (out / f"{case}.{rank}.json").write_text(json.dumps(history.history))
    sys.stdout.flush()


# ---------------------------------------------------------------- launching


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _torchrun(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``torchrun`` with two processes on this machine, talking over loopback only."""
    result = _torchrun_once(args, env)
    if result.returncode != 0 and "EADDRINUSE" in result.stdout + result.stderr:
        # The free port was taken between our probe and torchrun's bind (other test
        # runs share this machine): once more, on another port.
        result = _torchrun_once(args, env)
    return result


def _torchrun_once(
    args: tuple[str, ...], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "torch.distributed.run",
        f"--nproc_per_node={WORLD_SIZE}", "--nnodes=1",
        "--master_addr=127.0.0.1", f"--master_port={_free_port()}", *args,
    ]  # fmt: skip
    environment = {
        **os.environ,
        "OMP_NUM_THREADS": "1",  # two processes on a small machine; also no notice
        "CUDA_VISIBLE_DEVICES": "",  # CPU and gloo even where a GPU exists
        "GLOO_SOCKET_IFNAME": "lo",
        **env,
    }
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=environment
    )


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the workers once for every test of this module; return their folder."""
    out = tmp_path_factory.mktemp("ddp")
    result = _torchrun(__file__, str(out))
    worker_err = "".join(
        f"\n--- rank {r} stderr:\n" + (out / f"stderr.{r}.txt").read_text()
        for r in range(WORLD_SIZE)
        if (out / f"stderr.{r}.txt").exists()
    )
    assert result.returncode == 0, result.stdout + result.stderr + worker_err
    return out


def _weights(out: Path, case: str, rank: int, which: str) -> list[np.ndarray]:
    with np.load(out / f"{case}.{rank}.npz") as saved:
        count = sum(key.startswith(which) for key in saved.files)
        return [saved[f"{which}_{i}"] for i in range(count)]


def _history(out: Path, case: str, rank: int) -> dict[str, list[float]]:
    return json.loads((out / f"{case}.{rank}.json").read_text())


def _single_process(
    out: Path, x: np.ndarray, y: np.ndarray, **fit_args: Any
) -> tuple[list[np.ndarray], dict[str, list[float]]]:
    """What one process gets from rank 0's start with the ranks' combined batch."""
    model = _model()
    model.set_weights(_weights(out, fit_args.pop("case"), 0, "initial"))
    history = model.fit(
        x, y, batch_size=PER_RANK_BATCH * WORLD_SIZE, shuffle=False, verbose=0,
        **fit_args,
    )  # fmt: skip
    return model.get_weights(), history.history


# ---------------------------------------------------------------- DDP tests

ddp = pytest.mark.distributed


@ddp
@pytest.mark.slow
@pytest.mark.parametrize("case", ["arrays", "remainder", "loader", "shuffled"])
def test_ranks_end_with_identical_weights(ddp_run: Path, case: str) -> None:
    starts = [_weights(ddp_run, case, r, "initial") for r in range(WORLD_SIZE)]
    assert not np.array_equal(starts[0][0], starts[1][0])  # seeded apart on purpose
    finals = [_weights(ddp_run, case, r, "final") for r in range(WORLD_SIZE)]
    assert not np.array_equal(finals[0][0], starts[0][0])  # it did train
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)
    # The epoch logs are averaged over the ranks, so every rank logs the same.
    assert _history(ddp_run, case, 0) == _history(ddp_run, case, 1)


@ddp
@pytest.mark.slow
def test_arrays_equal_one_process_with_the_combined_batch(ddp_run: Path) -> None:
    x, y = _data(64)
    weights, history = _single_process(
        ddp_run, x, y, case="arrays", epochs=2, validation_split=0.25
    )
    for got, expected in zip(_weights(ddp_run, "arrays", 0, "final"), weights):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
    ddp_history = _history(ddp_run, "arrays", 0)
    assert sorted(ddp_history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key, values in history.items():
        np.testing.assert_allclose(ddp_history[key], values, **TOLERANCE)


@ddp
@pytest.mark.slow
def test_remainder_is_dropped_and_short_batches_average_right(ddp_run: Path) -> None:
    x, y = _data(71)
    # Each rank trains on 35 samples; sample 70 is left out so the step counts match.
    weights, history = _single_process(
        ddp_run, x[:70], y[:70], case="remainder", epochs=2
    )
    for got, expected in zip(_weights(ddp_run, "remainder", 1, "final"), weights):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
    for key, values in history.items():
        np.testing.assert_allclose(
            _history(ddp_run, "remainder", 0)[key], values, **TOLERANCE
        )


@ddp
@pytest.mark.slow
def test_dataloader_with_distributed_sampler(ddp_run: Path) -> None:
    # A DataLoader is not sharded by fit (its sampler does that), but its gradients
    # must be averaged all the same.
    x, y = _data(48)
    weights, _ = _single_process(ddp_run, x, y, case="loader", epochs=2)
    for got, expected in zip(_weights(ddp_run, "loader", 0, "final"), weights):
        np.testing.assert_allclose(got, expected, **TOLERANCE)


@ddp
@pytest.mark.slow
def test_only_rank_0_prints_and_writes(ddp_run: Path) -> None:
    main_out = (ddp_run / "stdout.0.txt").read_text()
    assert "Epoch 1/2" in main_out
    assert "Epoch 2/2" in main_out
    assert "3/3" in main_out  # 48 training samples: 24 per rank, batch 8
    assert (ddp_run / "stdout.1.txt").read_text() == ""
    for rank in range(WORLD_SIZE):
        assert "Warning" not in (ddp_run / f"stderr.{rank}.txt").read_text()
    for case in ("arrays", "remainder", "loader", "shuffled"):
        assert (ddp_run / f"{case}.log.0.csv").is_file()
        assert (ddp_run / f"{case}.ckpt.0.keras").is_file()
        assert not (ddp_run / f"{case}.log.1.csv").exists()
        assert not (ddp_run / f"{case}.ckpt.1.keras").exists()
    rows = (ddp_run / "arrays.log.0.csv").read_text().splitlines()
    assert rows[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert len(rows) == 3


@ddp
@pytest.mark.slow
def test_cnnkit_train_under_torchrun(tmp_path: Path) -> None:
    from cnnkit.datasets import mnist

    home = Path(__file__).resolve().parents[1] / ".pytest_data" / "cnnkit_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNKIT_HOME", str(home))
        mnist.load_data()  # the shared real-data cache must hold MNIST
    result = _torchrun(
        "-m", "cnnkit", "train", "--epochs", "1", "--max-samples", "400",
        "--verbose", "2", "--output-dir", str(tmp_path), "--name", "ddp",
        CNNKIT_HOME=str(home),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # Both ranks ran the command; one of them spoke.
    assert result.stdout.count("Loading mnist...") == 1
    assert result.stdout.count("Run written to") == 1
    assert result.stdout.count("2/2 - ") == 1  # 400 images: 200 per rank, batch 100
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == [
        "history.csv",
        "metrics.json",
        "model.keras",
    ]


# ---------------------------------------------------------------- fast tests


def test_shard_strides_over_the_ranks() -> None:
    x = np.arange(10)
    shards = [distributed.shard(x, rank, 3) for rank in range(3)]
    assert [s.tolist() for s in shards] == [
        [0, 3, 6],
        [1, 4, 7],
        [2, 5, 8],
    ]  # 9 dropped


def test_shard_keeps_structures_aligned() -> None:
    data = {"image": torch.arange(12).reshape(6, 2), "label": torch.arange(6)}
    part = distributed.shard(data, rank=1, world_size=2)
    assert part["label"].tolist() == [1, 3, 5]
    assert part["image"].tolist() == [[2, 3], [6, 7], [10, 11]]
    assert distributed.shard(None, 0, 2) is None


def test_not_distributed_without_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(distributed, "_context", None)
    assert distributed.context() is None
    assert distributed.is_main_process()
    monkeypatch.setenv("WORLD_SIZE", "1")  # `torchrun --nproc_per_node=1`
    assert distributed.context() is None
    assert not torch.distributed.is_initialized()


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
