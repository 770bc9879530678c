"""Per-model step lock: inference sees the weights between training steps.

A training step (forward, backward, optimizer update, constraints, moving
statistics) holds the model's lock for writing; each inference batch of
``predict``, ``predict_on_batch`` and ``evaluate`` holds it for reading. Readers
share it, so concurrent predicts still run in parallel; a step waits for the
batches in flight and new batches wait for the step, so a predict made while
``fit`` trains never mixes the weights of two steps. Writers are preferred (a
stream of predicts cannot starve training), and the lock is re-entrant per
thread (a custom ``train_step`` may call the model's predict).

Example:
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((2,)), cnnkit.layers.Dense(1)])
    >>> with step_lock(model).writing(), step_lock(model).reading():
    ...     pass  # re-entrant in one thread
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any

__all__ = ["StepLock", "step_lock"]


class StepLock:
    """A writer-preferring readers-writer lock, re-entrant per thread."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writer: int | None = None  # the thread id holding it for writing
        self._writer_depth = 0
        self._writers_waiting = 0
        self._local = threading.local()

    def _read_depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    def reading(self) -> _Reading:
        """Hold the lock shared (an inference batch)."""
        return _Reading(self)

    def _acquire_shared(self) -> bool:
        """Take a share; ``False`` when this thread holds the lock already (inside
        its own step or batch), which needs no share."""
        if self._writer == threading.get_ident() or self._read_depth() > 0:
            return False
        with self._condition:
            while self._writer is not None or self._writers_waiting:
                self._condition.wait()
            self._readers += 1
        self._local.depth = 1
        return True

    def _release_shared(self) -> None:
        self._local.depth = 0
        with self._condition:
            self._readers -= 1
            if self._readers == 0:
                self._condition.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock exclusively (a training step)."""
        me = threading.get_ident()
        if self._writer == me:
            self._writer_depth += 1
            try:
                yield
            finally:
                self._writer_depth -= 1
            return
        with self._condition:
            self._writers_waiting += 1
            try:
                # This thread's own batch in flight (a step started from inside
                # a predict) would wait on itself: it counts as no reader.
                own = 1 if self._read_depth() > 0 else 0
                while self._writer is not None or self._readers > own:
                    self._condition.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = me
        try:
            yield
        finally:
            with self._condition:
                self._writer = None
                self._condition.notify_all()


class _Reading:
    """``with lock.reading():`` as a plain object, not a generator: it is entered
    on every ``predict`` batch, where a generator's set-up is measurable."""

    __slots__ = ("_lock", "_shared")

    def __init__(self, lock: StepLock) -> None:
        self._lock = lock
        self._shared = False

    def __enter__(self) -> None:
        self._shared = self._lock._acquire_shared()

    def __exit__(self, *exc: object) -> None:
        if self._shared:
            self._lock._release_shared()


_LOCKS: weakref.WeakKeyDictionary[Any, StepLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def step_lock(model: Any) -> StepLock:
    """The step lock of ``model`` (made on first use; it dies with the model)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = StepLock()
        return lock
