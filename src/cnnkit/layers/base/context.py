"""Thread-local call and build context.

Keras propagates ``training`` from an outer call to every nested layer that was not
given it explicitly, and its build errors say where in a model a layer sits; a model's
exact rewrites ask a layer to leave out its activation. Each needs a little state that
lives for the duration of a call, per thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_local = threading.local()


def current_training() -> bool | None:
    """The ``training`` flag set by an enclosing call, or ``None``."""
    stack = getattr(_local, "training", None)
    return stack[-1] if stack else None


def push_training(value: bool | None) -> None:
    """Make ``value`` the inherited ``training`` flag until :func:`pop_training`.

    A pair of plain calls rather than a context manager: this runs once per layer call.
    """
    stack = getattr(_local, "training", None)
    if stack is None:
        stack = _local.training = []
    stack.append(value)


def pop_training() -> None:
    _local.training.pop()


@contextlib.contextmanager
def training_scope(value: bool | None) -> Iterator[None]:
    """Make ``value`` the inherited ``training`` flag inside the block."""
    push_training(value)
    try:
        yield
    finally:
        pop_training()


def activation_deferred(layer: object) -> bool:
    """Whether ``layer`` should return its output before its activation (see below)."""
    deferred: list[int] | None = getattr(_local, "deferred", None)
    return deferred is not None and id(layer) in deferred


def push_deferred_activation(layer: object) -> None:
    """Until :func:`pop_deferred_activation`, ``layer`` skips its activation: the
    plain-call pair behind :func:`defer_activation`, for paths run per image."""
    deferred = getattr(_local, "deferred", None)
    if deferred is None:
        deferred = _local.deferred = []
    deferred.append(id(layer))


def pop_deferred_activation() -> None:
    _local.deferred.pop()


@contextlib.contextmanager
def defer_activation(layer: object) -> Iterator[None]:
    """Inside the block, ``layer`` skips its own ``activation``; the caller applies it.

    How a model runs an exact rewrite (ReLU after max-pooling, softmax fused into the
    cross-entropy) without assigning to the layer: the flag lives in this thread's
    call context, so another thread calling the same layer is not affected.
    """
    push_deferred_activation(layer)
    try:
        yield
    finally:
        pop_deferred_activation()


def current_name_scope() -> str:
    """``"sequential/dense"`` while a layer builds inside a model; ``""`` outside."""
    stack: list[str] | None = getattr(_local, "names", None)
    return "/".join(stack) if stack else ""


@contextlib.contextmanager
def name_scope(name: str) -> Iterator[None]:
    """Weights created inside get ``name/`` in their path (Keras' name scopes).

    Entered while a layer builds and during a layer's first call (when a subclassed
    model builds the layers it calls), so paths read ``sequential/dense/kernel``.
    """
    stack = getattr(_local, "names", None)
    if stack is None:
        stack = _local.names = []
    if stack and stack[-1] == name:  # already inside (a subclass's super().build())
        yield
        return
    stack.append(name)
    try:
        yield
    finally:
        stack.pop()


def probing() -> bool:
    """Whether the current call is a trial run (see :func:`probe`)."""
    return bool(getattr(_local, "probe", 0))


@contextlib.contextmanager
def probe() -> Iterator[None]:
    """Inside the block, calls are trial runs that must leave no trace.

    ``fit`` runs the model once on two samples to learn its output structure;
    layers with call-to-call state (a ``stateful`` RNN) neither read nor advance
    it then, and accept that batch size.
    """
    _local.probe = getattr(_local, "probe", 0) + 1
    try:
        yield
    finally:
        _local.probe -= 1
