"""Learning-rate schedules, with the Keras 3 formulas and config keys.

A schedule maps the optimizer's step counter (``optimizer.iterations``: 0 at the
first update, counted per batch, not per epoch) to a learning rate. Schedules here are
plain Python arithmetic on a host-side integer, so evaluating one never touches (or
waits for) the GPU.

Example:
    >>> from cnnkit.optimizers import schedules
    >>> s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> [round(s(step), 4) for step in (0, 10, 20)]
    [0.1, 0.05, 0.025]
    >>> schedules.deserialize(schedules.serialize(s)).get_config() == s.get_config()
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cnnkit import serialization
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]

Step = Any  # an int, a numpy integer or a 0-d tensor: anything float() accepts


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``.

    Example:
        >>> class Halve(LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 * 0.5 ** float(step)
        ...     def get_config(self):
        ...         return {}
        >>> Halve()(2)
        0.025
    """

    def __call__(self, step: Step) -> float:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`__call__(self, step)` and return the learning rate at that step."
        )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (JSON-serialisable)."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`get_config()` to be serializable."
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LearningRateSchedule:
        """Rebuild a schedule from ``get_config()``."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            config = self.get_config()
        except NotImplementedError:
            return f"{type(self).__name__}()"
        args = ", ".join(f"{k}={v!r}" for k, v in config.items() if k != "name")
        return f"{type(self).__name__}({args})"


def _check_steps(value: Any, name: str, owner: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidArgumentError(
            f"{owner}: `{name}` must be a number > 0 (a count of optimizer steps, "
            f"i.e. batches); received {name}={value!r}."
        )


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps per decay period (> 0).
        decay_rate: Factor applied once per period.
        staircase: If True, the exponent is floored, so the rate drops in steps.
        name: Kept for Keras compatibility (appears in the config).

    Raises:
        InvalidArgumentError: If ``decay_steps <= 0``.

    Example:
        >>> s = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
        >>> [s(i) for i in range(4)]
        [1.0, 1.0, 0.5, 0.5]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        _check_steps(decay_steps, "decay_steps", "ExponentialDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Step) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """Constant pieces: ``values[0]`` while ``step <= boundaries[0]``, and so on.

    Args:
        boundaries: Increasing step numbers where the rate changes.
        values: One more value than boundaries.
        name: Kept for Keras compatibility.

    Raises:
        InvalidArgumentError: If ``len(values) != len(boundaries) + 1``.

    Example:
        >>> s = PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
        >>> [s(i) for i in range(6)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """

    def __init__(
        self,
        boundaries: Sequence[int],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ) -> None:
        if len(boundaries) != len(values) - 1:
            raise InvalidArgumentError(
                "PiecewiseConstantDecay: `values` must have exactly one more entry "
                f"than `boundaries`; received boundaries={boundaries!r} "
                f"(length {len(boundaries)}) and values={values!r} "
                f"(length {len(values)}). Add or remove a value so that "
                "len(values) == len(boundaries) + 1."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Step) -> float:
        step = float(step)
        # Keras' rule: a boundary step still belongs to the piece before it.
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    ``(lr0 - end) * (1 - step / decay_steps) ** power + end``, with ``step`` clamped at
    ``decay_steps``; with ``cycle=True`` the period grows to the next multiple instead.

    Raises:
        InvalidArgumentError: If ``decay_steps <= 0``.

    Example:
        >>> s = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
        >>> [s(i) for i in (0, 2, 4, 8)]
        [1.0, 0.5, 0.0, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        _check_steps(decay_steps, "decay_steps", "PolynomialDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Step) -> float:
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = 1.0 if step == 0 else math.ceil(step / decay_steps)
            decay_steps *= multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - p) ** self.power + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``decay_steps=1`` this is the legacy Keras 2 ``decay=`` argument.

    Raises:
        InvalidArgumentError: If ``decay_steps <= 0``.

    Example:
        >>> InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)(2)
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        _check_steps(decay_steps, "decay_steps", "InverseTimeDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Step) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


def _cosine(fraction: float, alpha: float) -> float:
    """Half a cosine from 1 (fraction 0) down to ``alpha`` (fraction 1)."""
    return (1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warmup (SGDR without restarts).

    Without ``warmup_target``: ``lr0 * ((1-alpha) * 0.5 * (1 + cos(pi * s / D)) +
    alpha)`` with ``s = min(step, decay_steps)``. With ``warmup_target``: a linear ramp
    from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then the
    cosine decay from ``warmup_target`` over ``decay_steps``.

    Raises:
        InvalidArgumentError: If ``decay_steps <= 0``.

    Example:
        >>> s = CosineDecay(0.0, decay_steps=2, warmup_target=1.0, warmup_steps=2)
        >>> [round(s(i), 3) for i in range(5)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        _check_steps(decay_steps, "decay_steps", "CosineDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def __call__(self, step: Step) -> float:
        step = float(step)
        if self.warmup_target is None:
            step = min(step, self.decay_steps)
            return self.initial_learning_rate * _cosine(
                step / self.decay_steps, self.alpha
            )
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return delta * (step / self.warmup_steps) + self.initial_learning_rate
        fraction = (step - self.warmup_steps) / self.decay_steps
        return self.warmup_target * _cosine(fraction, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    The first period lasts ``first_decay_steps``; each next one is ``t_mul`` times
    longer and starts ``m_mul`` times lower.

    Raises:
        InvalidArgumentError: If ``first_decay_steps <= 0``.

    Example:
        >>> s = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=1.0)
        >>> [round(s(i), 3) for i in range(5)]
        [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        _check_steps(first_decay_steps, "first_decay_steps", "CosineDecayRestarts")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Step) -> float:
        fraction = float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            # Periods grow geometrically: invert the geometric sum to find the
            # current period, then the fraction done within it.
            t_mul = self.t_mul
            restart = math.floor(
                math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul)
            )
            done = (1.0 - t_mul**restart) / (1.0 - t_mul)
            fraction = (fraction - done) / t_mul**restart
        scale = self.m_mul**restart
        cosine = 0.5 * scale * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_REGISTRY = serialization.Registry(
    "learning rate schedule",
    {
        cls.__name__: cls
        for cls in (
            CosineDecay,
            CosineDecayRestarts,
            ExponentialDecay,
            InverseTimeDecay,
            PiecewiseConstantDecay,
            PolynomialDecay,
        )
    },
    base=LearningRateSchedule,
    module="keras.optimizers.schedules",
    known_label="Known schedules",
    unknown_fix=". For your own schedule class, pass "
    "custom_objects={'MySchedule': MySchedule}.",
)


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return the Keras 3 serialized form of a schedule.

    Raises:
        InvalidTypeError: If ``schedule`` is not a ``LearningRateSchedule``.

    Example:
        >>> serialize(InverseTimeDecay(0.1, 10, 0.5))["class_name"]
        'InverseTimeDecay'
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise InvalidTypeError(
            "`schedule` must be a LearningRateSchedule instance; received "
            f"{schedule!r} of type {type(schedule).__name__}."
        )
    return _REGISTRY.serialize(schedule)


def deserialize(
    config: Mapping[str, Any],
    custom_objects: Mapping[str, type[LearningRateSchedule]] | None = None,
) -> LearningRateSchedule:
    """Rebuild a schedule from ``serialize()`` output (or a Keras file's config).

    Args:
        config: A dict with ``class_name`` and ``config`` keys.
        custom_objects: Extra schedule classes by name, for your own schedules.

    Raises:
        InvalidArgumentError: If ``config`` lacks ``class_name`` or names an unknown
            schedule.

    Example:
        >>> deserialize({"class_name": "CosineDecay",
        ...              "config": {"initial_learning_rate": 1.0, "decay_steps": 4}})
        CosineDecay(initial_learning_rate=1.0, decay_steps=4, alpha=0.0, \
warmup_target=None, warmup_steps=0)
    """
    return _REGISTRY.deserialize(config, custom_objects)
