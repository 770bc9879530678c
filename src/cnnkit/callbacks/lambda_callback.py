"""``LambdaCallback``: build a callback from plain functions.

Example:
    >>> printer = LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    >>> printer.on_epoch_end(0, {"loss": 0.5})
    0 0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnnkit.callbacks.callback import HOOKS, Callback
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """Callback for creating simple, custom callbacks on-the-fly.

    Each function replaces the hook of the same name and receives the same
    arguments: ``on_epoch_begin/end(epoch, logs)``, ``on_train_begin/end(logs)``,
    ``on_train_batch_begin/end(batch, logs)``. Any other hook (``on_test_end``,
    ``on_batch_end``, ...) can be passed by keyword.

    Args:
        on_epoch_begin: Called at the beginning of every epoch.
        on_epoch_end: Called at the end of every epoch.
        on_train_begin: Called at the beginning of training.
        on_train_end: Called at the end of training.
        on_train_batch_begin: Called at the beginning of every training batch.
        on_train_batch_end: Called at the end of every training batch.
        **kwargs: Functions for other hooks, by hook name.

    Raises:
        InvalidArgumentError: For a keyword that is not a hook name.
        InvalidTypeError: If a given hook is not callable.
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise InvalidArgumentError(
                f"LambdaCallback got unknown hook names {unknown}; the hooks are "
                f"{list(HOOKS)}."
            )
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise InvalidTypeError(
                    f"LambdaCallback: `{name}` must be a function; received "
                    f"{function!r}. Example: {name}=lambda *args: print(args)."
                )
            # An instance attribute shadows the no-op method of the same name.
            setattr(self, name, function)
