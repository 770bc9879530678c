"""The threads behind ``Dataset.prefetch`` and ``map(num_parallel_calls=...)``.

Threads, not processes: the work in a pipeline is torch ops and image decoding,
which release the GIL, and the elements can be handed over without pickling. Both
helpers are generators that clean up after themselves when the consumer stops early
(``take``, a ``break``, ``fit`` moving to its next epoch): closing the generator
stops the worker and drops what it had prepared.

Example:
    >>> list(prefetched(iter(range(5)), 2))
    [0, 1, 2, 3, 4]
    >>> list(mapped_in_threads(lambda v: v * v, iter(range(5)), 3))
    [0, 1, 4, 9, 16]
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

# AUTOTUNE's answer: enough threads to overlap decoding with training, not more
# than the machine has.
AUTO_THREADS = max(1, min(4, os.cpu_count() or 1))
# Below this time per element, mapping in threads costs more than it saves.
MIN_PARALLEL_SECONDS = 0.002
_DONE = object()


class _Failure:
    """An exception raised in the worker, to be raised again in the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def threads_for(requested: int, autotune: int) -> int:
    return AUTO_THREADS if requested == autotune else max(1, requested)


def prefetched(source: Iterator[Any], buffer_size: int) -> Iterator[Any]:
    """``source``'s items, produced by a background thread up to ``buffer_size`` ahead."""
    items: queue.Queue[Any] = queue.Queue(maxsize=max(1, buffer_size))
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.05)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            end: Any = _DONE
        except BaseException as error:  # handed to the consumer, raised there
            end = _Failure(error)
        while not stop.is_set():
            try:
                items.put(end, timeout=0.05)
                return
            except queue.Full:
                continue

    worker = threading.Thread(
        target=produce, name="cnnkit-tf-data-prefetch", daemon=True
    )
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join(timeout=1.0)


def mapped_in_threads(
    fn: Callable[[Any], Any], source: Iterator[Any], threads: int
) -> Iterator[Any]:
    """``fn(item)`` for each item, computed by ``threads`` threads, in order.

    The first item is mapped in the calling thread, alone: a function that builds
    something on first use (a Keras layer called inside ``map`` builds its weights)
    then does so once, before any thread can race it. That call is also timed: a
    function faster than ``MIN_PARALLEL_SECONDS`` (a cast and a division per
    element) runs on in the calling thread, where threads would only add their
    hand-over cost (measured: 4x slower on MNIST-sized elements).
    """
    first = next(source, _DONE)
    if first is _DONE:
        return
    started = time.perf_counter()
    result = fn(first)
    quick = time.perf_counter() - started < MIN_PARALLEL_SECONDS
    yield result
    if quick:
        yield from map(fn, source)
        return
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=threads, thread_name_prefix="cnnkit-tf-data-map"
    ) as pool:
        pending: deque[concurrent.futures.Future[Any]] = deque()
        try:
            for item in source:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * threads:  # bounded: never the whole dataset
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
