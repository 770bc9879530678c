"""Optimizer state: step counter, parameters, slot variables, weight-decay exclusions.

Kept apart from the update logic in ``base.py``. The order of ``variables`` is Keras'
(``iteration``, ``learning_rate``, then the slots), so that the list maps one-to-one
onto ``/optimizer/vars/<i>`` in a Keras weights file.

Example:
    >>> import torch
    >>> from cnnkit.optimizers import Adam
    >>> opt = Adam()
    >>> params = [torch.zeros(2, 3), torch.zeros(3)]
    >>> opt.build(params, names=["dense/kernel", "dense/bias"])
    >>> opt.variable_names
    ['iteration', 'learning_rate', 'dense_kernel_momentum', 'dense_kernel_velocity', \
'dense_bias_momentum', 'dense_bias_velocity']
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError
from cnnkit.optimizers._values import StepCount

__all__ = ["OptimizerState"]

SlotGroups = list[tuple[tuple[str, ...], float]]


class OptimizerState:
    """Step counter, parameters and slot variables, in Keras' order.

    Subclasses declare their slots with ``_slot_groups()``: each group is a tuple of
    slot names, created interleaved per parameter (Keras' ``add_optimizer_variables``
    with a list of names), and an initial value.
    """

    name: str
    use_ema: bool
    gradient_accumulation_steps: int | None
    _learning_rate: Any

    def __init__(self) -> None:
        self._iterations = 0
        self.built = False
        self._params: list[torch.Tensor] = []
        self._names: list[str] = []
        self._index: dict[int, int] = {}
        self._all_indices: list[int] = []
        self._ids: list[int] = []
        self._shapes: list[torch.Size] = []
        self._dtypes: list[torch.dtype] = []
        self._slots: dict[str, list[torch.Tensor]] = {}
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern[str] | None = None
        self._decay_mask: list[bool] | None = None

    @property
    def iterations(self) -> int:
        """Completed update steps, a Python int (0 before the first update) that
        also has Keras' ``.numpy()``.

        With ``gradient_accumulation_steps=k`` it counts real updates (calls // k),
        as in Keras.
        """
        if self.gradient_accumulation_steps:
            return StepCount(self._iterations // self.gradient_accumulation_steps)
        return StepCount(self._iterations)

    def _slot_groups(self) -> SlotGroups:
        """The optimizer's own slots: ``[((name, ...), initial_value), ...]``."""
        return []

    def _all_slot_groups(self) -> SlotGroups:
        groups: SlotGroups = []
        if self.use_ema:
            groups.append((("average",), 0.0))
        if self.gradient_accumulation_steps:
            groups.append((("gradient_accumulator",), 0.0))
        return groups + self._slot_groups()

    def _extra_variables(self) -> list[tuple[str, torch.Tensor]]:
        """State that is not per parameter (Nadam's momentum-cache product)."""
        return []

    def _load_extra_variables(self, values: list[np.ndarray]) -> None:
        """Restore what ``_extra_variables`` reported."""

    # ------------------------------------------------------------------ build

    def build(
        self, params: Sequence[torch.Tensor], names: Sequence[str] | None = None
    ) -> None:
        """Create the slot variables (same device, dtype and layout as each param).

        Calling it again does nothing, as in Keras. ``apply`` calls it on first use.
        Build after moving the model to its device: the slots are created there.

        Args:
            params: The trainable parameters, in the model's order.
            names: Keras variable paths such as ``"conv2d/kernel"``; slots are named
                ``conv2d_kernel_momentum``. Defaults to a ``path`` attribute of each
                parameter, else ``variable_<i>``.

        Raises:
            InvalidTypeError: If a parameter is not a floating-point tensor.
            InvalidArgumentError: If a parameter is listed twice or ``names`` has the
                wrong length.
        """
        if self.built:
            return
        given = list(params)
        params = unwrap_variables(given)
        if names is None:
            names = [
                getattr(p, "path", None) or f"variable_{i}" for i, p in enumerate(given)
            ]
        owner = type(self).__name__
        for i, p in enumerate(params):
            if not isinstance(p, torch.Tensor) or not p.is_floating_point():
                described = p.dtype if isinstance(p, torch.Tensor) else type(p).__name__
                raise InvalidTypeError(
                    f"{owner}.build: every parameter must be a floating-point "
                    f"torch.Tensor; parameter {i} is {described}. Pass the model's "
                    "trainable weights (torch.nn.Parameter)."
                )
        if len({id(p) for p in params}) != len(params):
            raise InvalidArgumentError(
                f"{owner}.build: a parameter appears more than once in `params` "
                f"({len(params)} entries); it would be updated twice per step. "
                "Pass each parameter once."
            )
        if names is None:
            names = [
                getattr(p, "path", None) or f"variable_{i}"
                for i, p in enumerate(params)
            ]
        names = [str(n) for n in names]
        if len(names) != len(params):
            raise InvalidArgumentError(
                f"{owner}.build: `names` must have one entry per parameter; received "
                f"{len(names)} names for {len(params)} parameters."
            )
        self._params, self._names = params, names
        self._index = {id(p): i for i, p in enumerate(params)}
        self._all_indices = list(range(len(params)))
        self._ids = [id(p) for p in params]
        self._shapes = [p.shape for p in params]
        self._dtypes = [p.dtype for p in params]
        with torch.no_grad():
            for group, initial in self._all_slot_groups():
                for slot in group:
                    self._slots[slot] = [_filled_like(p, initial) for p in params]
        self.built = True

    # ------------------------------------------------------------ step helpers

    def _pair(
        self, grads: Sequence[torch.Tensor | None], params: Sequence[torch.Tensor]
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], list[int]]:
        """Match grads to known params, drop None grads, cast to the param dtype."""
        # Fast path, the trainer's case: every built parameter in order, with a
        # gradient of the right shape and dtype. A None gradient has no `.shape`.
        try:
            if (
                list(map(id, params)) == self._ids
                and [g.shape for g in grads] == self._shapes  # type: ignore[union-attr]
                and [g.dtype for g in grads] == self._dtypes  # type: ignore[union-attr]
            ):
                return list(grads), self._params, self._all_indices  # type: ignore[arg-type]
        except AttributeError:
            pass
        kept_grads: list[torch.Tensor] = []
        kept_params: list[torch.Tensor] = []
        indices: list[int] = []
        missing: list[str] = []
        owner = type(self).__name__
        for g, p in zip(grads, params):
            i = self._index.get(id(p))
            if i is None:
                raise InvalidArgumentError(
                    f"{owner}.apply: received a parameter (shape {tuple(p.shape)}) "
                    f"that this optimizer was not built with; it was built for "
                    f"{self._names}. Create a new optimizer for a new set of "
                    "parameters."
                )
            if g is None:
                missing.append(self._names[i])
                continue
            if g.shape != p.shape:
                raise InvalidArgumentError(
                    f"{owner}.apply: the gradient for '{self._names[i]}' has shape "
                    f"{tuple(g.shape)} but the parameter has shape {tuple(p.shape)}. "
                    "Pass the gradients in the same order as the parameters."
                )
            kept_grads.append(g if g.dtype == p.dtype else g.to(p.dtype))
            kept_params.append(p)
            indices.append(i)
        if missing:
            if not kept_grads:
                raise InvalidArgumentError(
                    f"{owner}.apply: no gradients provided for any variable (all "
                    f"{len(missing)} are None). Check that the loss depends on the "
                    "parameters and that `loss.backward()` ran."
                )
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the "
                "loss; they are not updated this step. If using `model.compile()`, "
                "did you forget to provide a `loss` argument?",
                UserWarning,
                stacklevel=3,
            )
        return kept_grads, kept_params, indices

    def _slots_for(self, indices: list[int]) -> Mapping[str, list[torch.Tensor]]:
        # The usual case (every parameter, in build order) needs no copying.
        if indices == self._all_indices:
            return self._slots
        return {
            name: [slots[i] for i in indices] for name, slots in self._slots.items()
        }

    # ------------------------------------------------------------ weight decay

    def exclude_from_weight_decay(
        self,
        var_list: Sequence[torch.Tensor] | None = None,
        var_names: Sequence[str] | None = None,
    ) -> None:
        """Exempt some parameters from weight decay (replaces earlier exclusions).

        Args:
            var_list: Parameters to exempt.
            var_names: Regular expressions searched in each parameter's own name
                (the last part of its path, as Keras' ``variable.name``), e.g.
                ``["bias"]``.

        Raises:
            InvalidTypeError: If an argument is a single tensor or string instead of a
                list of them.
        """
        for value, arg in ((var_list, "var_list"), (var_names, "var_names")):
            if isinstance(value, (str, torch.Tensor)):
                raise InvalidTypeError(
                    f"{type(self).__name__}.exclude_from_weight_decay: `{arg}` must be "
                    f"a list; received a single {type(value).__name__}. Wrap it in a "
                    f"list: {arg}=[...]."
                )
        self._exclude_ids = {id(v) for v in var_list or ()}
        names = sorted(set(var_names or ()))
        self._exclude_pattern = re.compile("|".join(names)) if names else None
        self._decay_mask = None

    def _weight_decay_mask(self) -> list[bool]:
        if self._decay_mask is None:
            pattern = self._exclude_pattern
            self._decay_mask = [
                id(p) not in self._exclude_ids
                and not (pattern and pattern.search(name.rsplit("/", 1)[-1]))
                for p, name in zip(self._params, self._names)
            ]
        return self._decay_mask

    # --------------------------------------------------------------- variables

    def _named_variables(self) -> Iterator[tuple[str, torch.Tensor]]:
        yield "iteration", torch.tensor(self._iterations, dtype=torch.int64)
        if isinstance(self._learning_rate, float):
            yield (
                "learning_rate",
                torch.tensor(self._learning_rate, dtype=torch.float32),
            )
        for group, _ in self._all_slot_groups():
            for i, path in enumerate(self._names):
                prefix = path.replace("/", "_")
                for slot in group:
                    yield f"{prefix}_{slot}", self._slots[slot][i]
        yield from self._extra_variables()

    @property
    def variables(self) -> list[torch.Tensor]:
        """The optimizer state in Keras order, for saving.

        ``iteration`` (int64) and ``learning_rate`` (float32, absent when the
        learning rate is a schedule or callable) are fresh CPU tensors holding the
        host-side values; the slots are the live tensors.
        """
        return [v for _, v in self._named_variables()]

    @property
    def variable_names(self) -> list[str]:
        """Names matching ``variables``: ``"iteration"``, ``"learning_rate"``, slots."""
        return [n for n, _ in self._named_variables()]

    def load_variables(self, values: Sequence[Any]) -> None:
        """Restore the state saved from ``variables`` (numpy arrays or tensors).

        Raises:
            NotBuiltError: If slot values are given before ``build``.
            InvalidArgumentError: If the number of values or a shape does not match.
        """
        values = [_to_numpy(v) for v in values]
        named = list(self._named_variables())
        owner = type(self).__name__
        if not self.built and len(values) > len(named):
            raise NotBuiltError(
                f"{owner}.load_variables: received {len(values)} values but the "
                "optimizer is not built, so it has no slot variables yet. Call "
                "optimizer.build(model_params, names) first."
            )
        if len(values) != len(named):
            raise InvalidArgumentError(
                f"{owner}.load_variables: expected {len(named)} values "
                f"{[n for n, _ in named]}; received {len(values)}. The state was "
                "probably saved from a different optimizer or configuration."
            )
        for (name, target), value in zip(named, values):
            if value.size != target.numel() or (
                target.dim() and value.shape != target.shape
            ):
                raise InvalidArgumentError(
                    f"{owner}.load_variables: '{name}' has shape {tuple(target.shape)} "
                    f"but the value received has shape {value.shape}."
                )
        head = 2 if isinstance(self._learning_rate, float) else 1
        tail = len(values) - len(self._extra_variables())
        self._iterations = int(values[0].item())
        if head == 2:
            self._learning_rate = float(np.float32(values[1].item()))
        with torch.no_grad():
            for (_, target), value in zip(named[head:tail], values[head:tail]):
                target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
        self._load_extra_variables(values[tail:])


def _filled_like(param: torch.Tensor, value: float) -> torch.Tensor:
    if value == 0.0:
        return torch.zeros_like(param)
    return torch.full_like(param, value)


def _to_numpy(value: object) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        # numpy has no bfloat16
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    return np.asarray(value)


def unwrap_variables(params: Sequence[Any]) -> list[Any]:
    """``model.trainable_weights`` (Keras-style variables) or tensors → the tensors.

    A custom ``train_step`` passes the model's variables, as Keras' guide does.
    """
    return [
        p.value
        if not isinstance(p, torch.Tensor)
        and isinstance(getattr(p, "value", None), torch.Tensor)
        else p
        for p in params
    ]
