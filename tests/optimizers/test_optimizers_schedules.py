"""Learning-rate schedules: formulas on hand-computed values, config and errors.

The Keras comparison over many steps lives in ``test_optimizers_oracle.py``.
Tolerance: ``rel=1e-12`` (pure float64 Python arithmetic on both sides).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.optimizers import schedules

ALL = [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=0.5, cycle=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.1, 10, alpha=0.1, warmup_target=0.2, warmup_steps=3),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.8, alpha=0.05),
]


def test_exponential_decay() -> None:
    s = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert s(2) == pytest.approx(0.1 * 0.5**0.5, rel=1e-12)
    stair = schedules.ExponentialDecay(
        0.1, decay_steps=4, decay_rate=0.5, staircase=True
    )
    assert [stair(i) for i in (3, 4, 8)] == pytest.approx([0.1, 0.05, 0.025])


def test_piecewise_boundary_belongs_to_the_earlier_piece() -> None:
    s = schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    assert [s(i) for i in (0, 5, 6, 10, 11, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_polynomial_decay_clamps_or_cycles() -> None:
    s = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=2.0)
    assert s(5) == pytest.approx(0.25)
    assert s(50) == 0.0
    cyc = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    # step 15 is in the second period, which ends at 20
    assert [cyc(0), cyc(15)] == pytest.approx([1.0, 0.25])


def test_inverse_time_decay() -> None:
    s = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=1.0, staircase=True)
    assert [s(i) for i in (0, 1, 2, 4)] == pytest.approx([1.0, 1.0, 0.5, 1 / 3])


def test_cosine_decay_without_warmup() -> None:
    s = schedules.CosineDecay(1.0, decay_steps=10, alpha=0.2)
    assert s(5) == pytest.approx(0.8 * 0.5 + 0.2, rel=1e-12)
    assert s(10) == pytest.approx(0.2)
    assert s(1000) == pytest.approx(0.2)


def test_cosine_decay_warmup_ramps_linearly_then_decays() -> None:
    s = schedules.CosineDecay(0.0, 4, warmup_target=1.0, warmup_steps=4)
    assert [s(i) for i in range(9)] == pytest.approx(
        [
            0.0,
            0.25,
            0.5,
            0.75,
            1.0,
            0.5 * (1 + math.cos(math.pi / 4)),
            0.5,
            0.5 * (1 + math.cos(3 * math.pi / 4)),
            0.0,
        ],
        abs=1e-12,
    )
    assert s(100) == pytest.approx(0.0, abs=1e-12)


def test_cosine_restarts_geometric_periods() -> None:
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=2.0, m_mul=0.5)
    # periods: [0, 2), [2, 6), [6, 14); each restart starts m_mul lower
    assert [s(0), s(2), s(4), s(6)] == pytest.approx([1.0, 0.5, 0.25, 0.25])


def test_schedules_accept_numpy_and_tensor_steps() -> None:
    s = schedules.ExponentialDecay(1.0, 1, 0.5)
    assert s(np.int64(2)) == s(torch.tensor(2)) == 0.25


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_round_trip_and_repr(schedule: schedules.LearningRateSchedule) -> None:
    data = schedules.serialize(schedule)
    assert data["module"] == "keras.optimizers.schedules"
    rebuilt = schedules.deserialize(data)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == schedule.get_config()
    assert [rebuilt(i) for i in range(40)] == [schedule(i) for i in range(40)]
    assert repr(schedule).startswith(
        f"{type(schedule).__name__}(initial_learning_rate"
    ) or isinstance(schedule, schedules.PiecewiseConstantDecay)


@given(
    lr=st.floats(1e-5, 1.0),
    decay_steps=st.integers(1, 1000),
    step=st.integers(0, 10_000),
)
def test_cosine_decay_stays_between_alpha_and_initial(
    lr: float, decay_steps: int, step: int
) -> None:
    value = schedules.CosineDecay(lr, decay_steps, alpha=0.1)(step)
    assert 0.1 * lr * (1 - 1e-12) <= value <= lr * (1 + 1e-12)


class Constant(schedules.LearningRateSchedule):
    def __call__(self, step: Any) -> float:
        return 0.5

    def get_config(self) -> dict[str, Any]:
        return {}


def test_custom_schedule_with_custom_objects() -> None:
    data = schedules.serialize(Constant())
    restored = schedules.deserialize(data, custom_objects={"Constant": Constant})
    assert restored(3) == 0.5
    assert repr(Constant()) == "Constant()"


def test_incomplete_subclass_teaches() -> None:
    class Empty(schedules.LearningRateSchedule):
        pass

    with pytest.raises(NotImplementedError, match=r"must override `__call__"):
        Empty()(0)
    with pytest.raises(NotImplementedError, match=r"must override `get_config"):
        Empty().get_config()
    assert repr(Empty()) == "Empty()"


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "received decay_steps=0"),
        (lambda: schedules.PolynomialDecay(0.1, -1), "received decay_steps=-1"),
        (
            lambda: schedules.InverseTimeDecay(0.1, "10", 0.5),
            "received decay_steps='10'",
        ),
        (lambda: schedules.CosineDecay(0.1, 0), "CosineDecay: `decay_steps` must be"),
        (
            lambda: schedules.CosineDecayRestarts(0.1, 0),
            "received first_decay_steps=0",
        ),
        (
            lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]),
            r"one more entry than `boundaries`.*\(length 2\)",
        ),
    ],
)
def test_bad_schedule_arguments_raise(factory: Any, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        factory()


def test_serialize_rejects_non_schedules() -> None:
    with pytest.raises(InvalidTypeError, match="must be a LearningRateSchedule"):
        schedules.serialize(0.1)  # type: ignore[arg-type]


def test_deserialize_unknown_class_lists_known_ones() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"Unknown learning rate schedule 'StepDecay'\..* Known schedules: "
        r"\['CosineDecay', 'CosineDecayRestarts'",
    ):
        schedules.deserialize({"class_name": "StepDecay", "config": {}})
