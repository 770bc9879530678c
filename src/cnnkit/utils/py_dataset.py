"""``PyDataset``: Keras' batch-indexed dataset base class.

Subclass it, implement ``__len__`` (number of batches) and ``__getitem__(index)``
(returning ``(x, y)`` or ``(x, y, sample_weight)`` for that batch), optionally
``on_epoch_end``; pass an instance to ``fit``.

Example:
    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __len__(self): return 2
    ...     def __getitem__(self, i):
    ...         x = np.arange(4, dtype="float32").reshape(4, 1) + 4 * i
    ...         return x, x ** 2
    >>> len(Squares()), Squares()[1][1][:, 0].tolist()
    (2, [16.0, 25.0, 36.0, 49.0])
"""

from __future__ import annotations

from typing import Any

from cnnkit.errors import InvalidArgumentError


class PyDataset:
    """Base class for datasets that produce whole batches by index.

    Args:
        workers, use_multiprocessing, max_queue_size: Accepted for Keras
            compatibility; batches are produced in the training process, in order.
    """

    def __init__(
        self,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise InvalidArgumentError(
                f"`workers` must be a positive int; received {workers!r}."
            )
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __len__(self) -> int:
        raise TypeError(
            f"{type(self).__name__} must define __len__ (the number of batches)."
        )

    def __getitem__(self, index: int) -> Any:
        raise TypeError(
            f"{type(self).__name__} must define __getitem__(index) returning a batch."
        )

    def on_epoch_end(self) -> None:
        """Called after each epoch (e.g. to reshuffle)."""

    @property
    def num_batches(self) -> int:
        return len(self)
