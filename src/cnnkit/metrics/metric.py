"""The ``Metric`` base class: state in tensors that live on the inputs' device.

A metric accumulates over batches with ``update_state`` and reports with ``result``.
Two rules keep training fast (DESIGN decision 8):

- the state tensors move to the device of the first tensor passed to
  ``update_state`` (once), and every update is an in-place tensor op there;
- ``update_state`` never reads a value back to the host: no ``.item()``, no
  ``if tensor:``. The trainer calls ``result()`` only when the progress bar redraws.

Example:
    >>> import torch
    >>> class CountPositive(Metric):
    ...     def __init__(self, name="count_positive"):
    ...         super().__init__(name=name)
    ...         self.count = self.add_variable((), name="count")
    ...     def update_state(self, values):
    ...         (values,) = self._inputs(values)
    ...         self.count.add_((values > 0).sum())
    ...     def result(self):
    ...         return self.count.clone()
    >>> m = CountPositive()
    >>> m.update_state(torch.tensor([1.0, -2.0, 3.0]))
    >>> m.result()
    tensor(2.)
    >>> m.reset_state(); m.result()
    tensor(0.)
"""

from __future__ import annotations

import abc
from typing import Any, Literal

import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError
from cnnkit.losses.loss import ArrayLike, to_tensor
from cnnkit.naming import auto_name

__all__ = ["Direction", "Metric"]

Direction = Literal["up", "down"]


class Metric(abc.ABC):
    """Base class of every metric.

    Subclasses create their state with :meth:`add_variable` in ``__init__`` (or on
    the first update when it depends on the input shape), and implement
    ``update_state`` and ``result``.

    Args:
        name: Name used in logs and history; defaults to the snake_case class name,
            made unique in the process (``precision``, ``precision_1``) as in Keras.
        dtype: Dtype name of the state, defaults to ``config.floatx()``.

    Attributes:
        _direction: ``"up"`` if larger is better, ``"down"`` if smaller is better,
            ``None`` if unknown. Callbacks with ``mode="auto"`` read it.
    """

    _direction: Direction | None = None

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        self.name = name or auto_name(type(self).__name__)
        self._dtype = dtype or config.floatx()
        self._variable_names: list[str] = []
        self._device = torch.device("cpu")
        self._constants: dict[tuple[str, torch.device], torch.Tensor] = {}

    @property
    def dtype(self) -> str:
        """Dtype name of the state tensors (``"float32"`` by default)."""
        return self._dtype

    @property
    def _torch_dtype(self) -> torch.dtype:
        return getattr(torch, self._dtype)

    @property
    def variables(self) -> list[torch.Tensor]:
        """The state tensors, in creation order (what ``reset_state`` zeroes)."""
        return [getattr(self, name) for name in self._variable_names]

    @property
    def device(self) -> torch.device:
        """Where the state lives now."""
        return self._device

    def add_variable(
        self,
        shape: tuple[int, ...] | list[int] = (),
        initializer: str = "zeros",
        dtype: str | None = None,
        name: str | None = None,
    ) -> torch.Tensor:
        """Create a zero-filled state tensor, stored as attribute ``name``.

        Raises:
            InvalidArgumentError: ``initializer`` is not ``"zeros"``, or ``name`` is
                missing or already used.
        """
        if initializer != "zeros":
            raise InvalidArgumentError(
                f"Metric state starts at zero; received initializer={initializer!r}. "
                "Use initializer='zeros' and offset the value in `result()` instead."
            )
        if not name or name in self._variable_names:
            raise InvalidArgumentError(
                f"Each metric variable needs a new, non-empty `name`; received "
                f"name={name!r} while {self._variable_names} already exist."
            )
        tensor = torch.zeros(
            tuple(shape),
            dtype=getattr(torch, dtype or self._dtype),
            device=self._device,
        )
        setattr(self, name, tensor)
        self._variable_names.append(name)
        return tensor

    add_weight = add_variable

    def to(self, device: str | torch.device) -> Metric:
        """Move the state to ``device`` (``update_state`` also does this by itself)."""
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            # Tensors report "cuda:0", not "cuda": compare like with like.
            device = torch.device("cuda", torch.cuda.current_device())
        if device != self._device:
            for name in self._variable_names:
                setattr(self, name, getattr(self, name).to(device))
            self._device = device
        return self

    def _inputs(self, *values: ArrayLike | None) -> list[Any]:
        """Detached tensors on one device, with the state moved there.

        The device is the first tensor's (numpy inputs follow it, or the state's).
        """
        device = next(
            (v.device for v in values if isinstance(v, torch.Tensor)), self._device
        )
        self.to(device)
        return [None if v is None else to_tensor(v, device).detach() for v in values]

    def _constant(self, key: str, value: Any) -> torch.Tensor:
        """A constant tensor (thresholds, weights) cached per device.

        Building it once per device avoids a host-to-device copy on every update.
        """
        cache_key = (key, self._device)
        if cache_key not in self._constants:
            self._constants[cache_key] = torch.as_tensor(
                value, dtype=self._torch_dtype, device=self._device
            )
        return self._constants[cache_key]

    def reset_state(self) -> None:
        """Set every state tensor back to zero (in place, on its device)."""
        for variable in self.variables:
            variable.zero_()

    # Abstract: a subclass that lacks either cannot be instantiated, so the mistake
    # shows at construction, not at the first training step.
    @abc.abstractmethod
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate statistics from one batch (``y_true, y_pred, sample_weight``)."""

    @abc.abstractmethod
    def result(self) -> torch.Tensor:
        """The value from the state accumulated so far."""

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Update the state with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuild a metric from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
