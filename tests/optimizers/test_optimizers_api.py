"""Constructor arguments, warnings, errors, lookup and serialization of optimizers."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import cnnkit.optimizers as optimizers
from cnnkit import backend
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.optimizers import _args, schedules

ALL_CLASSES = [
    optimizers.SGD,
    optimizers.Adam,
    optimizers.AdamW,
    optimizers.RMSprop,
    optimizers.Adagrad,
    optimizers.Adadelta,
    optimizers.Adamax,
    optimizers.Nadam,
    optimizers.Lion,
]


# ------------------------------------------------------------------ defaults


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}),
        (
            optimizers.Adam,
            {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False},
        ),
        (optimizers.AdamW, {"weight_decay": 0.004, "epsilon": 1e-7}),
        (
            optimizers.RMSprop,
            {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False},
        ),
        (optimizers.Adagrad, {"initial_accumulator_value": 0.1, "epsilon": 1e-7}),
        (optimizers.Adadelta, {"learning_rate": 0.001, "rho": 0.95}),
        (optimizers.Adamax, {"beta_1": 0.9, "beta_2": 0.999}),
        (optimizers.Nadam, {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
        (optimizers.Lion, {"beta_1": 0.9, "beta_2": 0.99}),
    ],
)
def test_keras_defaults(
    cls: type[optimizers.Optimizer], expected: dict[str, Any]
) -> None:
    config = cls().get_config()
    for key, value in expected.items():
        assert config[key] == pytest.approx(value), key


def test_float_learning_rate_is_stored_as_float32() -> None:
    opt = optimizers.Adam(learning_rate=0.001)
    assert opt.learning_rate == 0.0010000000474974513
    assert opt.get_config()["learning_rate"] == 0.0010000000474974513


def test_int_learning_rate_is_accepted() -> None:
    assert optimizers.SGD(learning_rate=1).learning_rate == 1.0


def test_default_names_are_snake_case_and_uniquified() -> None:
    backend.clear_session()  # the user-facing reset
    assert [optimizers.Adam().name, optimizers.Adam().name] == ["adam", "adam_1"]
    assert optimizers.RMSprop().name == "rm_sprop"  # Keras' snake_case, kept as is
    assert optimizers.AdamW().name == "adam_w"
    assert optimizers.SGD(name="mine").name == "mine"


def test_epsilon_none_means_backend_epsilon() -> None:
    # Keras 2.2 tutorials print Adam(lr=0.001, ..., epsilon=None, decay=0.0).
    assert optimizers.Adam(epsilon=None).epsilon == 1e-7


def test_repr_is_readable() -> None:
    assert repr(optimizers.SGD(0.1, momentum=0.9, name="sgd")) == (
        "SGD(learning_rate=0.1, momentum=0.9, nesterov=False, name='sgd')"
    )
    text = repr(optimizers.Adam(schedules.ExponentialDecay(0.1, 10, 0.5), clipnorm=1.0))
    assert text.startswith(
        "Adam(learning_rate=ExponentialDecay(initial_learning_rate=0.1"
    )
    assert "clipnorm=1.0" in text


# ------------------------------------------------------------ legacy kwargs


def test_lr_kwarg_warns_and_is_used() -> None:
    with pytest.warns(DeprecationWarning, match="use `learning_rate`") as record:
        opt = optimizers.SGD(lr=0.5)
    assert opt.learning_rate == 0.5
    assert record[0].filename == __file__  # points at the user's line


def test_decay_kwarg_warns_and_is_ignored() -> None:
    with pytest.warns(UserWarning, match="`decay` is no longer supported") as record:
        opt = optimizers.Adam(learning_rate=0.1, decay=1e-4)
    assert opt.learning_rate == pytest.approx(0.1)
    assert record[0].filename == __file__


def test_decay_zero_is_silent() -> None:
    optimizers.Adam(decay=0.0)  # filterwarnings=error would fail on any warning


def test_unknown_kwarg_is_rejected() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"not recognized: \{'momentun': 0.9\}"
    ):
        optimizers.SGD(momentun=0.9)


def test_optimizer_lr_attribute_is_a_deprecated_alias() -> None:
    opt = optimizers.SGD(0.1)
    with pytest.warns(DeprecationWarning, match="optimizer.learning_rate"):
        assert opt.lr == pytest.approx(0.1)
    with pytest.warns(DeprecationWarning, match="optimizer.learning_rate"):
        opt.lr = 0.2
    assert opt.learning_rate == pytest.approx(0.2)


# ------------------------------------------------------------ argument errors


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"learning_rate": "0.01"},
            InvalidTypeError,
            "`learning_rate` must be a float",
        ),
        ({"learning_rate": None}, InvalidTypeError, "received learning_rate=None"),
        ({"name": 3}, InvalidTypeError, "`name` must be a string"),
        ({"clipnorm": "1"}, InvalidTypeError, "`clipnorm` must be a number"),
        (
            {"clipnorm": 1.0, "clipvalue": 0.5},
            InvalidArgumentError,
            "only one of `clipnorm`, `clipvalue` and `global_clipnorm`",
        ),
        ({"use_ema": True, "ema_momentum": 1.5}, InvalidArgumentError, r"\[0.0, 1.0\]"),
        (
            {"use_ema": True, "ema_overwrite_frequency": 0.5},
            InvalidTypeError,
            "`ema_overwrite_frequency` must be an integer",
        ),
        (
            {"gradient_accumulation_steps": 1},
            InvalidArgumentError,
            "`gradient_accumulation_steps` must be an integer >= 2",
        ),
        ({"momentum": 1.5}, InvalidArgumentError, "`momentum` must be in the range"),
        ({"momentum": True}, InvalidTypeError, "`momentum` must be a number"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        optimizers.SGD(**kwargs)


def test_ema_settings_are_not_checked_without_ema() -> None:
    # Keras validates them only when use_ema=True.
    assert optimizers.SGD(ema_momentum=5.0).ema_momentum == 5.0


def test_adamw_requires_weight_decay() -> None:
    with pytest.raises(InvalidArgumentError, match="received weight_decay=None"):
        optimizers.AdamW(weight_decay=None)


def test_lion_beta_1_range() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`beta_1` must be in the range \("):
        optimizers.Lion(beta_1=0.0)


# ---------------------------------------------------------- learning rate


def test_learning_rate_is_assignable_float() -> None:
    opt = optimizers.Adam(0.1)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    opt.learning_rate = np.float64(0.25)
    opt.learning_rate = torch.tensor(0.125)
    assert opt.learning_rate == 0.125


def test_learning_rate_with_schedule_cannot_be_set_to_a_float() -> None:
    opt = optimizers.Adam(schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match=r"cannot be set to the number 0\.01"):
        opt.learning_rate = 0.01


def test_learning_rate_can_be_replaced_by_a_schedule() -> None:
    opt = optimizers.SGD(0.1)
    assert "learning_rate" in opt.variable_names
    opt.learning_rate = schedules.PiecewiseConstantDecay([0], [1.0, 0.5])
    assert opt.learning_rate == 1.0
    assert "learning_rate" not in opt.variable_names  # as Keras untracks it


def test_schedule_is_evaluated_at_iterations() -> None:
    opt = optimizers.SGD(schedules.PiecewiseConstantDecay([0, 1], [1.0, 0.5, 0.25]))
    w = torch.nn.Parameter(torch.zeros(1))
    seen = []
    for _ in range(3):
        seen.append(opt.learning_rate)
        opt.apply([torch.ones(1)], [w])
    assert seen == [1.0, 0.5, 0.25]
    assert w.item() == pytest.approx(-1.75)


def test_callable_learning_rate() -> None:
    opt = optimizers.SGD(lambda: 0.25)
    assert opt.learning_rate == 0.25
    with pytest.raises(TypeError, match="learning-rate function"):
        opt.learning_rate = 0.1


# -------------------------------------------------------- get / serialize


@pytest.mark.parametrize("identifier", ["adam", "Adam", "ADAM", "rmsprop", "RMSprop"])
def test_get_by_name_is_case_insensitive(identifier: str) -> None:
    opt = optimizers.get(identifier)
    assert type(opt).__name__.lower() == identifier.lower()


def test_get_passes_instances_and_none_through() -> None:
    opt = optimizers.Nadam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None


def test_get_unknown_name_lists_valid_ids() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"Unknown optimizer 'adamm'.*'adam'"
    ):
        optimizers.get("adamm")


def test_get_keras_only_name_says_so() -> None:
    with pytest.raises(InvalidArgumentError, match="exists in Keras but is not"):
        optimizers.get("ftrl")


@pytest.mark.parametrize(
    ("identifier", "match"),
    [
        (optimizers.Adam, r"an instance: Adam\(\)"),
        (
            torch.optim.SGD([torch.zeros(1, requires_grad=True)]),
            "cnnkit.optimizers.SGD",
        ),
        (3, "a name such as 'adam'"),
    ],
)
def test_get_rejects_other_types(identifier: object, match: str) -> None:
    with pytest.raises(InvalidTypeError, match=match):
        optimizers.get(identifier)  # type: ignore[call-overload]


def test_get_dict_and_round_trip() -> None:
    opt = optimizers.RMSprop(
        schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5),
        centered=True,
        name="r",
    )
    data = optimizers.serialize(opt)
    assert data["module"] == "keras.optimizers"
    assert data["class_name"] == "RMSprop"
    rebuilt = optimizers.get(data)
    assert rebuilt.get_config() == opt.get_config()
    lowercase = optimizers.deserialize({"class_name": "rmsprop", "config": {}})
    assert isinstance(lowercase, optimizers.RMSprop)


def test_deserialize_with_custom_objects() -> None:
    class MySGD(optimizers.SGD):
        pass

    opt = optimizers.deserialize(
        {"class_name": "MySGD"}, custom_objects={"MySGD": MySGD}
    )
    assert type(opt) is MySGD


def test_serialize_rejects_non_optimizers() -> None:
    with pytest.raises(InvalidTypeError, match="must be a cnnkit Optimizer"):
        optimizers.serialize("adam")  # type: ignore[arg-type]


def test_deserialize_rejects_bad_config() -> None:
    with pytest.raises(InvalidTypeError, match="must be a dict such as"):
        optimizers.deserialize({"config": {}})


@given(
    lr=st.floats(1e-6, 1.0),
    beta_1=st.floats(0.0, 0.99),
    clip=st.one_of(st.none(), st.floats(0.1, 10.0)),
    amsgrad=st.booleans(),
)
def test_config_round_trip_property(
    lr: float, beta_1: float, clip: float | None, amsgrad: bool
) -> None:
    opt = optimizers.Adam(lr, beta_1=beta_1, clipnorm=clip, amsgrad=amsgrad)
    config = opt.get_config()
    assert optimizers.Adam.from_config(config).get_config() == config


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_every_optimizer_round_trips_through_serialize(
    cls: type[optimizers.Optimizer],
) -> None:
    opt = cls(name="x")
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == (
        opt.get_config()
    )


def test_cnnkit_never_imports_keras() -> None:
    code = (
        "import sys, cnnkit.optimizers, cnnkit.optimizers.schedules; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ _args


def test_check_positive_int_rejects_small_values() -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape("received n=0")):
        _args.check_positive_int(0, "n", "X", 1)
