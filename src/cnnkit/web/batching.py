"""Predictions for concurrent requests, run together: one forward pass per batch.

While the model computes one batch, the requests that arrive queue up; when it is
done, they all go in the next pass. A lone request therefore waits for nothing,
and under load the per-call cost of a forward pass is shared by up to
``max_batch`` requests. Results are exactly those of one-by-one calls: the model
runs in inference mode, where every sample is computed on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
from starlette.concurrency import run_in_threadpool

__all__ = ["PredictBatcher"]


class PredictBatcher:
    """Queue samples and run them through ``predict`` in batches.

    Args:
        predict: Takes a stacked batch ``(N, *shape)`` and returns ``(N, K)``.
            Runs in a worker thread.
        max_batch: The most samples in one pass.

    Example:
        >>> batcher = PredictBatcher(lambda xs: xs * 2, max_batch=8)
        >>> async def two():
        ...     return await asyncio.gather(
        ...         batcher.predict(np.ones(2)), batcher.predict(np.zeros(2)))
        >>> [r.tolist() for r in asyncio.run(two())]
        [[2.0, 2.0], [0.0, 0.0]]
    """

    def __init__(
        self, predict: Callable[[np.ndarray], np.ndarray], max_batch: int = 64
    ) -> None:
        self._predict = predict
        self._max_batch = max_batch
        self._waiting: list[tuple[np.ndarray, asyncio.Future[np.ndarray]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def predict(self, sample: np.ndarray) -> np.ndarray:
        """The prediction for one sample (no batch axis)."""
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._waiting.append((sample, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._run_waiting())
        return await future

    async def _run_waiting(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            try:
                rows = await run_in_threadpool(
                    self._predict, np.stack([sample for sample, _ in batch])
                )
            except Exception as exc:  # each waiting request gets the error
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), row in zip(batch, rows):
                if not future.done():  # its client may have gone away
                    future.set_result(row)

    def _next_batch(self) -> list[tuple[np.ndarray, asyncio.Future[np.ndarray]]]:
        """The oldest waiting samples of the oldest one's shape (a model of free
        input size can get several sizes at once; they cannot be stacked)."""
        shape = self._waiting[0][0].shape
        batch: list[tuple[np.ndarray, asyncio.Future[np.ndarray]]] = []
        rest: list[tuple[np.ndarray, asyncio.Future[np.ndarray]]] = []
        for entry in self._waiting:
            if entry[0].shape == shape and len(batch) < self._max_batch:
                batch.append(entry)
            else:
                rest.append(entry)
        self._waiting = rest
        return batch
