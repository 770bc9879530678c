"""Multi-GPU / multi-node training with PyTorch DDP, launched by ``torchrun``.

``fit`` calls :func:`context`: when the process was started by ``torchrun`` (the
``WORLD_SIZE`` / ``RANK`` variables are set) it joins the process group (NCCL on GPUs,
gloo on CPUs), gives each rank its own shard of the data, wraps the model in
``DistributedDataParallel`` (gradients are averaged during backward), averages the
epoch logs, and lets only rank 0 print.

Example (two processes on one machine)::

    torchrun --nproc_per_node=2 train.py
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist

from cnnkit import config
from cnnkit.utils import tree


class DistributedContext:
    """What ``fit`` needs to know about the process group."""

    def __init__(self) -> None:
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
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
        """Every ``world_size``-th sample, starting at this rank (equal-sized shards)."""
        if value is None:
            return None
        size = int(tree.flatten(value)[0].shape[0])
        per_rank = size // self.world_size
        return tree.map_structure(
            lambda t: t[self.rank : per_rank * self.world_size : self.world_size], value
        )

    def wrap(self, model: Any) -> Any:
        key = id(model)
        if key not in self._wrapped:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self._wrapped[key] = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=device_ids
            )
        return self._wrapped[key]

    def average_logs(self, logs: dict[str, float]) -> dict[str, float]:
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
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
    _context = DistributedContext()
    return _context


def is_main_process() -> bool:
    """True on rank 0 (or when not distributed): only it should print and write files."""
    ctx = context()
    return ctx is None or ctx.is_main
