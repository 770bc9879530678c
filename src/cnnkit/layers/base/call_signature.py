"""What a layer's ``call`` declares of the call-context arguments ``training`` and ``mask``.

Keras lets every layer and model be called with ``training=`` whether or not its
``call`` takes it: the value reaches ``call`` only when ``call`` declares a parameter of
that name, and in every case it becomes the inherited value for the layers called inside
(so ``model(x, training=False)`` reaches a Dropout nested three models deep). ``mask=``
is passed through only to a ``call`` that declares it. This module reads the signature
once per class; ``Layer.forward`` applies it on each call.

Example:
    >>> from cnnkit.layers import Dense, Dropout
    >>> CallSignature.of(Dense.call).accepts_training
    False
    >>> spec = CallSignature.of(Dropout.call)
    >>> spec.accepts_training, spec.training_default
    (True, False)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallSignature:
    """The call-context facts of one ``call`` method.

    Attributes:
        accepts_training: ``call`` has a parameter named ``training``.
        accepts_mask: ``call`` has a parameter named ``mask``.
        training_default: The default of that ``training`` parameter (``None`` when it
            has none); Keras uses it when neither the caller nor an enclosing call
            says, and passes it on to nested layers.
    """

    accepts_training: bool = False
    accepts_mask: bool = False
    training_default: bool | None = None

    @classmethod
    def of(cls, call: Callable[..., Any]) -> CallSignature:
        try:
            params = inspect.signature(call).parameters
        except (TypeError, ValueError):  # builtins without a signature
            return cls()
        training = params.get("training")
        default = None
        if training is not None and isinstance(training.default, bool):
            default = training.default
        return cls(
            accepts_training=training is not None,
            accepts_mask="mask" in params,
            training_default=default,
        )
