"""Multi-GPU / multi-node training with PyTorch DDP, launched by ``torchrun``.

``fit`` calls :func:`context`: when the process was started by ``torchrun`` (the
``WORLD_SIZE`` / ``RANK`` variables are set, or a process group already exists) it
joins the process group (NCCL on GPUs, gloo on CPUs), gives each rank its own shard of
array data, wraps the model in ``DistributedDataParallel`` (gradients are averaged
during backward, and rank 0's initial weights are copied to every rank), averages the
epoch logs, and lets only rank 0 print the progress bar and write files
(``CSVLogger``, ``ModelCheckpoint``, ``BackupAndRestore``).

``batch_size`` is per process, as in PyTorch: one optimizer step sees
``batch_size * world_size`` samples. Rank ``r`` gets samples ``r, r + W, r + 2W, ...``
(``W`` the world size), so without shuffling the ``k``-th step of all ranks together
covers exactly the samples of the ``k``-th batch of a single process running with
``batch_size * W``, and both compute the same update. The ``len(x) % W`` last samples
are left out, so that every rank runs the same number of steps (a rank with one step
more would wait forever for the others in the gradient all-reduce).

Datasets and generators are not sharded: give each rank its own part (for example a
``DataLoader`` with a ``DistributedSampler``), with the same number of batches.

Example (two processes on one machine)::

    torchrun --nproc_per_node=2 train.py
"""

from __future__ import annotations

import atexit
import os
from typing import Any

import torch
import torch.distributed as dist

from cnnkit import config
from cnnkit.utils import tree

__all__ = [
    "DistributedContext",
    "context",
    "is_main_process",
    "shard",
]


def shard(value: Any, rank: int, world_size: int) -> Any:
    """Every ``world_size``-th sample of ``value``, starting at ``rank``.

    All shards have ``len // world_size`` samples; the remainder is dropped.

    Example:
        >>> import numpy as np
        >>> shard(np.arange(7), rank=1, world_size=3)
        array([1, 4])
    """
    if value is None:
        return None
    size = int(tree.flatten(value)[0].shape[0])
    end = size // world_size * world_size
    return tree.map_structure(lambda t: t[rank:end:world_size], value)


class DistributedContext:
    """What ``fit`` needs to know about the process group."""

    def __init__(self) -> None:
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            # One GPU per process: the one torchrun's LOCAL_RANK names.
            torch.cuda.set_device(local_rank)
            self.device = torch.device("cuda", local_rank)
        else:
            self.device = (
                config.get_device()
                if config.get_device().type != "cuda"
                else torch.device("cpu")
            )
        self._wrapped: dict[int, Any] = {}

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, value: Any) -> Any:
        """This rank's shard of ``value`` (see :func:`shard`)."""
        return shard(value, self.rank, self.world_size)

    def wrap(self, model: Any) -> Any:
        """The model in DDP, created once per model: a second ``fit`` reuses it."""
        key = id(model)
        if key not in self._wrapped:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self._wrapped[key] = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=device_ids
            )
        return self._wrapped[key]

    def average_logs(self, logs: dict[str, float]) -> dict[str, float]:
        """The mean of each log over the ranks (equal shards: the global mean)."""
        keys = sorted(logs)
        values = torch.tensor(
            [logs[k] for k in keys], dtype=torch.float64, device=self.device
        )
        dist.all_reduce(values)
        values /= self.world_size
        return dict(zip(keys, values.tolist()))


_context: DistributedContext | None = None


def context() -> DistributedContext | None:
    """The DDP context when running under ``torchrun`` with several processes."""
    global _context
    if _context is not None:
        return _context
    if not dist.is_available():
        return None
    if dist.is_initialized():
        # The script set up the process group itself: use it as it is.
        if dist.get_world_size() <= 1:
            return None
    elif int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    else:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
        # We opened the group, so we close it: a process that exits with it still
        # open can tear the connections down under a peer that is still exiting.
        atexit.register(_destroy_process_group)
    _context = DistributedContext()
    return _context


def _destroy_process_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def is_main_process() -> bool:
    """True on rank 0 (or when not distributed): only it should print and write files."""
    ctx = context()
    return ctx is None or ctx.is_main
