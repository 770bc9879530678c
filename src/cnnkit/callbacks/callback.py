"""The base ``Callback`` class: every Keras hook, each a no-op until overridden.

Hooks receive ``logs`` as a dict of Python floats with sorted keys (the
``CallbackList`` dispatcher makes them so). ``on_train_batch_begin``/``_end`` call
the Keras 2 names ``on_batch_begin``/``_end``, so old callbacks that override those
still run.

Example:
    >>> class Counter(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss={logs['loss']}")
    >>> Counter().on_epoch_end(0, {"loss": 0.25})
    epoch 0: loss=0.25
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from cnnkit.errors import InvalidArgumentError

if TYPE_CHECKING:
    from cnnkit.callbacks._watched import WatchedModel

__all__ = ["HOOKS", "Callback", "LazyLogs", "Logs", "overrides_hook"]

Logs: TypeAlias = dict[str, Any]
LazyLogs: TypeAlias = Callable[[], Mapping[str, Any]]

# Every hook name, in the order of the Keras documentation; the dispatcher accepts
# exactly these.
HOOKS: tuple[str, ...] = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)

# The base train-batch hooks forward to these Keras 2 names.
_ALIASES = {
    "on_train_batch_begin": "on_batch_begin",
    "on_train_batch_end": "on_batch_end",
}


class Callback:
    """Base class for objects that hook into ``fit``, ``evaluate`` and ``predict``.

    Subclass it and override the hooks you need. ``fit`` calls ``set_model`` and
    ``set_params`` before the first hook.

    Attributes:
        params: Dict of run parameters (``verbose``, ``epochs``, ``steps``), or
            ``None`` before ``set_params``.
        model: The model being trained, or ``None`` before ``set_model``.
        accepts_lazy_logs: Class flag. When ``True``, batch-end hooks may receive a
            zero-argument callable returning the logs instead of the dict, so that
            reading device metrics waits until the callback really needs them (the
            progress bar does this). Leave it ``False`` to always get a dict.
    """

    accepts_lazy_logs: ClassVar[bool] = False

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        """Store the run parameters (``verbose``, ``epochs``, ``steps``)."""
        self.params = params

    def set_model(self, model: WatchedModel) -> None:
        """Attach the model this callback acts on."""
        self._model = model

    @property
    def model(self) -> Any:
        """The model this callback is attached to, or ``None``."""
        return self._model

    @model.setter
    def model(self, model: WatchedModel) -> None:
        # Keras 2 callbacks sometimes assign ``self.model`` directly.
        self.set_model(model)

    def _attached_model(self) -> Any:
        """The model, or a teaching error if the callback is used outside ``fit``."""
        if self._model is None:
            name = type(self).__name__
            raise InvalidArgumentError(
                f"{name} is not attached to a model. `fit()` attaches its callbacks; "
                f"to drive {name} by hand, call `callback.set_model(model)` first."
            )
        return self._model

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Called once at the end of ``fit``; ``logs`` are the last epoch's."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based) during ``fit``."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the end of an epoch; ``logs`` include ``val_*`` keys if validated.

        Callbacks may add keys to ``logs`` (ReduceLROnPlateau adds
        ``learning_rate``); callbacks later in the list, History included, see them.
        """

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before training batch ``batch`` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after a training batch; ``logs`` hold the running epoch means."""
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Called at the start of ``evaluate`` and of each validation in ``fit``."""

    def on_test_end(self, logs: Logs | None = None) -> None:
        """Called at the end of ``evaluate`` or of a validation run."""

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before an evaluation (or validation) batch."""

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after an evaluation (or validation) batch."""

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """Called at the end of ``predict``."""

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before a prediction batch."""

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after a prediction batch; ``logs`` hold ``{"outputs": ...}``."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Keras 2 name of ``on_train_batch_begin``, which calls it."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Keras 2 name of ``on_train_batch_end``, which calls it."""


def overrides_hook(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (directly or via its alias).

    The dispatcher uses it to skip reading lazy logs for callbacks that would
    ignore them.

    Example:
        >>> class OnEnd(Callback):
        ...     def on_batch_end(self, batch, logs=None): pass
        >>> overrides_hook(OnEnd(), "on_train_batch_end")
        True
        >>> overrides_hook(OnEnd(), "on_epoch_end")
        False
    """
    names = [hook] + ([_ALIASES[hook]] if hook in _ALIASES else [])
    for name in names:
        # An instance attribute is how LambdaCallback plugs in its functions.
        if name in vars(callback):
            return True
        if getattr(type(callback), name, None) is not getattr(Callback, name):
            return True
    return False
