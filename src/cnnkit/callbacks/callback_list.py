"""``CallbackList``: the one place where callback hooks are called.

``fit``, ``evaluate`` and ``predict`` wrap the user's callbacks in a
``CallbackList`` and call its hooks; each named hook is one line that forwards to
``call_hook``, which calls the same hook on every callback, in list order (the
user's callbacks first, then ``History``, then ``ProgbarLogger``).

Logs are normalised once per call, as in Keras: sorted keys, nested dicts
flattened, tensors and numpy scalars turned into Python floats. The same dict goes
to every callback, so keys one adds (``learning_rate``) reach the next ones.

**Lazy logs.** Any hook also accepts ``logs`` as a zero-argument callable returning
the dict. The trainer passes one at each batch end, so that reading metrics that
live on a GPU (a device synchronisation) happens only when needed: the callable is
called at most once per hook call, and only if some callback reads it, namely a
progress bar that redraws (callbacks with ``accepts_lazy_logs``) or a callback that
overrides that hook. Callbacks that leave the hook alone are skipped.

Example:
    >>> from cnnkit.callbacks import Callback
    >>> class Printer(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs)
    >>> callbacks = CallbackList([Printer()], add_history=True, epochs=1, steps=2)
    >>> callbacks.on_train_begin()
    >>> callbacks.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    0 {'accuracy': 0.75, 'loss': 0.5}
    >>> callbacks.history.history
    {'accuracy': [0.75], 'loss': [0.5]}
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cnnkit.callbacks.callback import HOOKS, Callback, LazyLogs, Logs, overrides_hook
from cnnkit.callbacks.history import History
from cnnkit.callbacks.progbar_logger import ProgbarLogger
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

if TYPE_CHECKING:
    from cnnkit.callbacks._watched import WatchedModel

__all__ = ["CallbackList", "pythonify_logs"]


def pythonify_logs(logs: Mapping[str, Any] | None) -> Logs:
    """Sort the keys, flatten nested dicts and turn scalars into Python floats.

    Values that are not scalars (a batch of predictions) are kept as they are.

    Example:
        >>> pythonify_logs({"loss": 1, "metrics": {"accuracy": 0.5}, "name": "x"})
        {'accuracy': 0.5, 'loss': 1.0, 'name': 'x'}
    """
    flat: Logs = {}
    for key, value in (logs or {}).items():
        if isinstance(value, Mapping):
            flat.update(pythonify_logs(value))
            continue
        # Not a scalar (torch raises RuntimeError for multi-element tensors): keep it.
        with contextlib.suppress(TypeError, ValueError, RuntimeError):
            value = float(value)
        flat[key] = value
    return dict(sorted(flat.items()))


class _LazyLogs:
    """Calls the trainer's log function at most once, on first use."""

    def __init__(self, read: LazyLogs) -> None:
        self._read = read
        self._logs: Logs | None = None

    def __call__(self) -> Logs:
        if self._logs is None:
            self._logs = pythonify_logs(self._read())
        return self._logs


def _flatten(callbacks: Any) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flatten(item)]
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, type) and issubclass(callbacks, Callback):
        name = callbacks.__name__
        raise InvalidTypeError(
            f"`callbacks` must hold callback instances; received the class {name} "
            f"itself. Create an instance: callbacks=[{name}(...)]."
        )
    raise InvalidTypeError(
        "`callbacks` must be a list of `cnnkit.callbacks.Callback` instances; "
        f"received {callbacks!r} of type {type(callbacks).__name__}. To run a "
        "function at each epoch, wrap it: LambdaCallback(on_epoch_end=fn)."
    )


class CallbackList(Callback):
    """Container that calls a hook on all its callbacks at once.

    Args:
        callbacks: A ``Callback``, a (nested) list of them, or ``None``.
        add_history: Append a ``History`` unless the list already has one.
        add_progbar: Append a ``ProgbarLogger`` unless the list already has one.
        model: The model the callbacks act on (``set_model`` on each).
        **params: Run parameters given to each callback's ``set_params``, as
            ``fit`` does: ``verbose``, ``epochs``, ``steps``.

    Raises:
        InvalidTypeError: If an element is not a ``Callback`` instance.
    """

    accepts_lazy_logs = True  # it resolves lazy logs itself, for its members

    def __init__(
        self,
        callbacks: Callback | Iterable[Callback] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: WatchedModel | None = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten(callbacks)
        self._history = next(
            (c for c in self.callbacks if isinstance(c, History)), None
        )
        self._progbar = next(
            (c for c in self.callbacks if isinstance(c, ProgbarLogger)), None
        )
        # Appended after the user's callbacks, so they see keys those callbacks add.
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    @property
    def history(self) -> History | None:
        """The ``History`` callback in the list, if any (what ``fit`` returns)."""
        return self._history

    def append(self, callback: Callback) -> None:
        """Add a callback at the end, attached to the list's model and params."""
        for checked in _flatten(callback):
            if self.model is not None:
                checked.set_model(self.model)
            if self.params:
                checked.set_params(self.params)
            self.callbacks.append(checked)

    def set_params(self, params: dict[str, Any]) -> None:
        """Give ``params`` to every callback (skipped when empty, as in Keras)."""
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: WatchedModel) -> None:
        """Attach ``model`` to every callback and set ``model.history``."""
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def call_hook(
        self, hook: str, *args: Any, logs: Mapping[str, Any] | LazyLogs | None = None
    ) -> None:
        """Call ``hook(*args, logs)`` on every callback, in list order.

        Args:
            hook: One of ``HOOKS``, e.g. ``"on_train_batch_end"``.
            *args: The epoch or batch index, for the hooks that take one.
            logs: A dict, or a zero-argument callable returning it (lazy logs).

        Raises:
            InvalidArgumentError: If ``hook`` is not a callback hook name.
        """
        if hook not in HOOKS:
            raise InvalidArgumentError(
                f"CallbackList.call_hook: unknown hook {hook!r}; "
                f"the hooks are {list(HOOKS)}."
            )
        if callable(logs):
            lazy = _LazyLogs(logs)
            for callback in self.callbacks:
                if callback.accepts_lazy_logs:
                    getattr(callback, hook)(*args, lazy)
                elif overrides_hook(callback, hook):
                    getattr(callback, hook)(*args, lazy())
            return
        shared = pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, shared)

    # One line per hook, so the trainer and custom loops read like Keras code.
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.call_hook("on_train_begin", logs=logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.call_hook("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.call_hook("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.call_hook("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.call_hook("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        self.call_hook("on_train_batch_end", batch, logs=logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self.call_hook("on_test_begin", logs=logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self.call_hook("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.call_hook("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        self.call_hook("on_test_batch_end", batch, logs=logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self.call_hook("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self.call_hook("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.call_hook("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        self.call_hook("on_predict_batch_end", batch, logs=logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.call_hook("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch: int, logs: Logs | LazyLogs | None = None) -> None:
        self.call_hook("on_batch_end", batch, logs=logs)
