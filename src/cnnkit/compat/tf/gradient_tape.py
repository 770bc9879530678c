"""``tf.GradientTape`` over torch autograd.

torch records every operation on tensors that require grad, tape or no tape; the
tape here decides *which* sources are differentiable and when a gradient may be
taken, following TensorFlow:

- Trainable variables (``model.trainable_variables``, ``tf.Variable``) are watched
  automatically (unless ``watch_accessed_variables=False``); a constant tensor must
  be ``tape.watch(x)``-ed first, and only work done after the watch counts. A
  tensor computed from watched ones (a layer's output) is a valid source as it is.
- ``tape.gradient(target, sources)`` returns one gradient per source, in the same
  nested structure (list, tuple, dict); ``None`` for a source the target does not
  depend on, or that was not watched.
- A tape that is not ``persistent=True`` gives one set of gradients only.
- A gradient taken while an outer tape records is itself differentiable (so a
  gradient penalty or a second derivative can be taken by the outer tape).
- ``tape.jacobian(target, sources)`` gives, per source, ``target.shape +
  source.shape``; ``tape.batch_jacobian(target, source)`` the per-example
  ``(batch, *target.shape[1:], *source.shape[1:])``, assuming (as TF does) that
  example ``i`` of the target depends on example ``i`` of the source only.
  ``parallel_iterations`` and ``experimental_use_pfor`` are accepted and change
  nothing: torch computes the rows with one batched backward pass where it can.

Traps:

- ``tape.watch(x)`` marks ``x`` itself as requiring grad (torch has no separate
  tape), so ``x`` stays differentiable after the ``with`` block.
- Operations done *before* the ``with`` block on watched variables still count:
  torch cannot tell them apart. Write the forward pass inside the block, as TF code
  does anyway.

Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor(3.0))
    >>> x = torch.tensor(2.0)
    >>> with GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = w * w * x
    >>> [g.item() for g in tape.gradient(y, [w, x])]
    [12.0, 9.0]
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import torch

from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.utils import tree

__all__ = ["GradientTape", "UnconnectedGradients"]


class UnconnectedGradients(str, enum.Enum):
    """``tf.UnconnectedGradients``: what a source the target does not depend on gets.

    A ``str`` enum, so ``unconnected_gradients="zero"`` works as well.
    """

    NONE = "none"
    ZERO = "zero"


_recording: list[GradientTape] = []  # the open tapes, innermost last


def _tensor_of(source: Any) -> torch.Tensor:
    """A source as its tensor: cnnkit's Variable handles hold theirs in ``.value``."""
    if isinstance(source, torch.Tensor):
        return source
    value = getattr(source, "value", None)
    if isinstance(value, torch.Tensor):
        return value
    raise InvalidTypeError(
        f"tape.gradient: each source must be a tensor or variable (e.g. "
        f"model.trainable_variables); received a {type(source).__name__}."
    )


def _pack(structure: Any, leaves: Iterator[Any]) -> Any:
    """``structure`` with its leaves replaced, in ``tree.flatten``'s order."""
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], leaves) for key in sorted(structure)}
        return {key: packed[key] for key in structure}  # the caller's key order
    if isinstance(structure, list | tuple):
        items = [_pack(item, leaves) for item in structure]
        return items if isinstance(structure, list) else tuple(items)
    return next(leaves)


def _rows(
    outputs: torch.Tensor, inputs: list[torch.Tensor], create_graph: bool
) -> list[torch.Tensor | None]:
    """d(outputs[k])/d(input) stacked over k, for each input: ``(n, *input.shape)``.

    One batched backward pass (torch's vmap over the output gradients); ops vmap
    cannot batch fall back to one backward pass per output.
    """
    n = outputs.numel()
    if n == 0:
        return [t.new_zeros((0, *t.shape)) for t in inputs]
    eye = torch.eye(n, dtype=outputs.dtype, device=outputs.device)
    try:
        with warnings.catch_warnings():
            # torch warns when an op has no batching rule (slower, still right).
            warnings.simplefilter("ignore", UserWarning)
            found = torch.autograd.grad(
                outputs,
                inputs,
                grad_outputs=eye,
                retain_graph=True,
                create_graph=create_graph,
                allow_unused=True,
                is_grads_batched=True,
            )
    except RuntimeError:
        rows = [
            torch.autograd.grad(
                outputs,
                inputs,
                grad_outputs=eye[k],
                retain_graph=True,
                create_graph=create_graph,
                allow_unused=True,
            )
            for k in range(n)
        ]
        found = tuple(
            None if rows[0][j] is None else torch.stack([row[j] for row in rows])  # type: ignore[misc]
            for j in range(len(inputs))
        )
    return list(found)


def _trainable(source: Any, tensor: torch.Tensor) -> bool:
    flag = getattr(source, "trainable", None)
    if flag is not None:
        return bool(flag)
    return isinstance(tensor, torch.nn.Parameter) and tensor.requires_grad


class GradientTape:
    """``with tf.GradientTape() as tape:`` … ``tape.gradient(loss, variables)``.

    Args:
        persistent: Allow several ``gradient`` calls on this tape.
        watch_accessed_variables: Watch trainable variables automatically (True) or
            only what ``watch`` is given.
    """

    def __init__(
        self, persistent: bool = False, watch_accessed_variables: bool = True
    ) -> None:
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched: dict[int, torch.Tensor] = {}
        self._used = False
        self._grad_mode: torch.enable_grad | None = None

    def __enter__(self) -> GradientTape:
        # A tape inside `torch.no_grad()` (or model.predict's inference mode) must
        # still record: TF tapes do not care about an outer no-grad.
        self._grad_mode = torch.enable_grad()
        self._grad_mode.__enter__()
        _recording.append(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self in _recording:
            _recording.remove(self)
        if self._grad_mode is not None:
            self._grad_mode.__exit__(kind, error, tb)
            self._grad_mode = None

    def watch(self, tensor: Any) -> None:
        """Differentiate with respect to ``tensor`` (or each tensor of a structure).

        Integer tensors cannot have gradients; TF ignores them (with a warning),
        and so does this.
        """
        for item in tree.flatten(tensor):
            t = _tensor_of(item)
            if not (t.is_floating_point() or t.is_complex()):
                continue
            if not t.requires_grad:
                if t.grad_fn is not None:  # pragma: no cover - torch forbids this state
                    continue
                t.requires_grad_(True)
            self._watched[id(t)] = t

    def watched_variables(self) -> list[torch.Tensor]:
        return list(self._watched.values())

    def reset(self) -> None:
        """Forget what was watched (TF: clear the tape)."""
        self._watched.clear()

    def stop_recording(self) -> torch.autograd.grad_mode.no_grad:
        """``with tape.stop_recording():`` — operations inside are not differentiated."""
        return torch.no_grad()

    def _is_watched(self, source: Any, tensor: torch.Tensor) -> bool:
        if id(tensor) in self._watched or tensor.grad_fn is not None:
            # A tensor computed from watched ones (Grad-CAM's conv output) is on the
            # tape already, as in TF.
            return True
        return self.watch_accessed_variables and _trainable(source, tensor)

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = "none",
    ) -> Any:
        """d(target)/d(source) for each source, in ``sources``' structure.

        A non-scalar ``target`` (or a list of targets) is summed first, as TF does.

        Raises:
            RuntimeError: A non-persistent tape is asked twice.
            InvalidArgumentError: ``unconnected_gradients`` is not "none" or "zero".
        """
        zero = self._start("gradient", unconnected_gradients)
        flat_sources = tree.flatten(sources)
        tensors = [_tensor_of(s) for s in flat_sources]
        total = self._total(target, output_gradients)
        wanted = self._wanted(flat_sources, tensors)
        grads: list[torch.Tensor | None] = [None] * len(tensors)
        if total is not None and total.requires_grad and wanted:
            found = torch.autograd.grad(
                total,
                [tensors[i] for i in wanted],
                retain_graph=True,  # other tapes may share this graph (GANs)
                create_graph=self._outer_records(),
                allow_unused=True,
            )
            for i, g in zip(wanted, found):
                grads[i] = g
        if zero:
            grads = [
                torch.zeros_like(t) if g is None else g for g, t in zip(grads, tensors)
            ]
        return _pack(sources, iter(grads))

    def jacobian(
        self,
        target: Any,
        sources: Any,
        unconnected_gradients: str = "none",
        parallel_iterations: int | None = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """d(target)/d(source) of every target element: ``target.shape + source.shape``.

        Example:
            >>> x = torch.tensor([1.0, 2.0])
            >>> with GradientTape() as tape:
            ...     tape.watch(x)
            ...     y = x * x
            >>> tape.jacobian(y, x).tolist()
            [[2.0, 0.0], [0.0, 4.0]]

        Raises:
            RuntimeError: A non-persistent tape is asked twice.
            InvalidArgumentError: ``unconnected_gradients`` is not "none" or "zero".
        """
        zero = self._start("jacobian", unconnected_gradients)
        y = _tensor_of(target)
        flat_sources = tree.flatten(sources)
        tensors = [_tensor_of(s) for s in flat_sources]
        wanted = self._wanted(flat_sources, tensors)
        jacobians: list[torch.Tensor | None] = [None] * len(tensors)
        if y.requires_grad and wanted:
            rows = _rows(
                y.reshape(-1), [tensors[i] for i in wanted], self._outer_records()
            )
            for i, found in zip(wanted, rows):
                if found is not None:
                    jacobians[i] = found.reshape(*y.shape, *tensors[i].shape)
        if zero:
            jacobians = [
                y.new_zeros((*y.shape, *t.shape)) if j is None else j
                for j, t in zip(jacobians, tensors)
            ]
        return _pack(sources, iter(jacobians))

    def batch_jacobian(
        self,
        target: Any,
        source: Any,
        unconnected_gradients: str = "none",
        parallel_iterations: int | None = None,
        experimental_use_pfor: bool = True,
    ) -> torch.Tensor | None:
        """Per-example jacobians: ``(batch, *target.shape[1:], *source.shape[1:])``.

        Example ``i`` of ``target`` must depend on example ``i`` of ``source`` only
        (as in TF; a batch-norm in training mode breaks this).

        Example:
            >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
            >>> with GradientTape() as tape:
            ...     tape.watch(x)
            ...     y = x * x
            >>> tape.batch_jacobian(y, x).tolist()
            [[[2.0, 0.0], [0.0, 4.0]], [[6.0, 0.0], [0.0, 8.0]]]

        Raises:
            IncompatibleShapeError: ``target`` and ``source`` are scalars or do not
                share their first (batch) dimension.
        """
        zero = self._start("batch_jacobian", unconnected_gradients)
        y, x = _tensor_of(target), _tensor_of(source)
        if y.dim() == 0 or x.dim() == 0 or y.shape[0] != x.shape[0]:
            raise IncompatibleShapeError(
                "tape.batch_jacobian: `target` and `source` must both have the batch "
                f"as their first dimension; received target.shape={tuple(y.shape)} "
                f"and source.shape={tuple(x.shape)}. Use tape.jacobian for a "
                "jacobian without a batch dimension."
            )
        shape = (*y.shape, *x.shape[1:])
        result = None
        if y.requires_grad and self._wanted([source], [x]):
            # Summing over the batch is exact when examples do not interact.
            per_row = y.reshape(y.shape[0], -1).sum(dim=0)
            (found,) = _rows(per_row, [x], self._outer_records())
            if found is not None:
                # (outputs, batch, *x) → (batch, outputs, *x)
                result = found.movedim(0, 1).reshape(shape)
        if result is None and zero:
            return y.new_zeros(shape)
        return result

    def _start(self, method: str, unconnected_gradients: Any) -> bool:
        """Check a gradient call's arguments; True when unconnected sources get zeros."""
        if self._used and not self.persistent:
            raise RuntimeError(
                f"tape.{method}: a GradientTape gives one set of gradients unless it "
                "is made with tf.GradientTape(persistent=True)."
            )
        if unconnected_gradients not in ("none", "zero"):
            raise InvalidArgumentError(
                f"tape.{method}: `unconnected_gradients` must be 'none' or 'zero' "
                "(tf.UnconnectedGradients.NONE / ZERO); received "
                f"unconnected_gradients={unconnected_gradients!r}."
            )
        self._used = True
        return bool(unconnected_gradients == "zero")

    def _wanted(
        self, flat_sources: list[Any], tensors: list[torch.Tensor]
    ) -> list[int]:
        """Indices of the sources the tape differentiates."""
        return [
            i
            for i, (s, t) in enumerate(zip(flat_sources, tensors))
            if t.requires_grad and self._is_watched(s, t)
        ]

    def _outer_records(self) -> bool:
        """An outer tape that still records may differentiate these gradients."""
        return any(tape is not self for tape in _recording)

    @staticmethod
    def _total(target: Any, output_gradients: Any) -> torch.Tensor | None:
        targets = [t for t in tree.flatten(target) if isinstance(t, torch.Tensor)]
        if not targets:
            return None
        weights = None if output_gradients is None else tree.flatten(output_gradients)
        parts = []
        for i, t in enumerate(targets):
            if weights is not None:
                t = t * torch.as_tensor(weights[i], dtype=t.dtype, device=t.device)
            parts.append(t.sum() if t.is_floating_point() else t.float().sum())
        return torch.stack(parts).sum() if len(parts) > 1 else parts[0]
