"""get / serialize / deserialize of every family, called as user code calls them.

All families share one ``cnnkit.serialization.Registry``; these tests go through the
public functions of each module (``cnnkit.initializers.get("he_normal")``, ...) and
check what a user sees: the objects, the Keras config dicts, ``custom_objects`` and
the messages for names that do not exist.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from cnnkit import (
    activations,
    constraints,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.optimizers import schedules
from cnnkit.saving import register_keras_serializable
from cnnkit.serialization import Registry


class Doubling(initializers.Initializer):
    """A user initializer: twice Keras' ones."""

    def __init__(self, scale: float = 2.0) -> None:
        self.scale = scale

    def __call__(self, shape: Any, dtype: Any = None) -> torch.Tensor:
        return torch.full(tuple(shape), self.scale)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale}


# --- string ids, aliases and Keras' defaults -------------------------------------


def test_string_ids_and_aliases_resolve_as_in_keras() -> None:
    assert activations.get("swish") is activations.silu
    assert activations.get(None) is activations.linear
    assert type(initializers.get("glorot_uniform")).__name__ == "GlorotUniform"
    assert type(initializers.get("OrthogonalInitializer")).__name__ == "Orthogonal"
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert type(constraints.get("non_neg")).__name__ == "NonNeg"
    assert losses.get("mse") is losses.mean_squared_error
    assert type(metrics.get("mae")).__name__ == "MeanAbsoluteError"


def test_classes_are_instantiated_with_their_defaults() -> None:
    assert regularizers.get(regularizers.L2).get_config() == {"l2": 0.01}
    assert constraints.get(constraints.MaxNorm).get_config() == {
        "max_value": 2,
        "axis": 0,
    }
    assert isinstance(losses.get(losses.Huber), losses.Huber)


def test_optimizer_ids_ignore_case() -> None:
    assert type(optimizers.get("RmsProp")).__name__ == "RMSprop"
    rebuilt = optimizers.deserialize({"class_name": "ADAM", "config": {}})
    assert type(rebuilt).__name__ == "Adam"


# --- serialize / deserialize round trips -----------------------------------------


def test_builtins_serialize_to_keras_config_dicts() -> None:
    assert initializers.serialize(initializers.Constant(0.5)) == {
        "module": "keras.initializers",
        "class_name": "Constant",
        "config": {"value": 0.5},
        "registered_name": None,
    }
    assert regularizers.serialize(None) is None
    assert constraints.serialize(constraints.UnitNorm(axis=1))["config"] == {"axis": 1}
    assert activations.serialize(activations.hard_silu) == "hard_silu"
    assert losses.serialize(losses.mean_squared_error) == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }


@pytest.mark.parametrize(
    ("module", "obj"),
    [
        (initializers, initializers.VarianceScaling(2.0, mode="fan_out", seed=3)),
        (regularizers, regularizers.L1L2(l1=0.1, l2=0.2)),
        (constraints, constraints.MinMaxNorm(0.5, 2.0, rate=0.5, axis=1)),
        (losses, losses.Huber(delta=0.5, reduction="sum", name="h")),
        (metrics, metrics.get("precision")),
        (optimizers, optimizers.SGD(learning_rate=0.1, momentum=0.9)),
        (schedules, schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)),
    ],
    ids=lambda value: getattr(value, "__name__", type(value).__name__),
)
def test_round_trip_keeps_the_config(module: Any, obj: Any) -> None:
    rebuilt = module.deserialize(module.serialize(obj))
    assert type(rebuilt) is type(obj)
    assert rebuilt.get_config() == obj.get_config()


def test_deserialize_accepts_a_string_id() -> None:
    assert type(initializers.deserialize("he_uniform")).__name__ == "HeUniform"
    assert activations.deserialize("relu") is activations.relu
    assert activations.deserialize({"class_name": "function", "config": "gelu"}) is (
        activations.gelu
    )


def test_custom_class_is_written_under_its_module_and_found_again() -> None:
    config = initializers.serialize(Doubling(3.0))
    assert config["module"] == __name__
    assert config["registered_name"] == "Doubling"
    rebuilt = initializers.deserialize(config, custom_objects={"Doubling": Doubling})
    assert isinstance(rebuilt, Doubling)
    assert rebuilt.scale == 3.0


def test_registered_class_is_found_without_custom_objects() -> None:
    @register_keras_serializable(package="test_registry")
    class Clip(constraints.Constraint):
        def __call__(self, w: torch.Tensor) -> torch.Tensor:
            return w.clamp(-1.0, 1.0)

    config = constraints.serialize(Clip())
    assert config["registered_name"] == "test_registry>Clip"
    assert isinstance(constraints.deserialize(config), Clip)


def test_custom_function_by_name_with_custom_objects() -> None:
    def halved_mse(y_true: Any, y_pred: Any) -> torch.Tensor:
        return losses.mean_squared_error(y_true, y_pred) / 2

    config = losses.serialize(halved_mse)
    assert config["config"] == "halved_mse"
    found = losses.deserialize(config, custom_objects={"halved_mse": halved_mse})
    assert found is halved_mse
    assert losses.deserialize("halved_mse", custom_objects={"halved_mse": halved_mse})


def test_plain_function_regularizer_serializes_as_a_function_record() -> None:
    def penalty(w: torch.Tensor) -> torch.Tensor:
        return w.abs().sum()

    assert regularizers.get(penalty) is penalty
    assert regularizers.serialize(penalty)["class_name"] == "function"  # type: ignore[arg-type,index]


def test_callable_initializer_is_wrapped() -> None:
    init = initializers.get(lambda shape, dtype=None: [[7.0] * shape[1]] * shape[0])
    assert init((1, 2)).tolist() == [[7.0, 7.0]]


def test_custom_schedule_through_custom_objects() -> None:
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step: Any) -> float:
            return 0.5 ** float(step)

        def get_config(self) -> dict[str, Any]:
            return {}

    config = schedules.serialize(Halving())
    rebuilt = schedules.deserialize(config, custom_objects={"Halving": Halving})
    assert rebuilt(2) == 0.25


# --- the errors a user sees ------------------------------------------------------


@pytest.mark.parametrize(
    ("get", "name", "message"),
    [
        (
            activations.get,
            "rleu",
            r"Unknown activation 'rleu'\. Did you mean 'relu'.*Known activations: "
            r"\[.*'swish'.*\]\. A custom callable can be passed directly\.",
        ),
        (
            initializers.get,
            "glorot_unifrom",
            r"Unknown initializer 'glorot_unifrom'\. Did you mean 'glorot_uniform'.*"
            r"Known ids: \[.*\]\. For a custom class, decorate it with "
            r"`@cnnkit\.saving\.register_keras_serializable\(\)`",
        ),
        (regularizers.get, "l22", r"Unknown regularizer 'l22'\. Did you mean 'l2'"),
        (constraints.get, "maxnorm", r"Unknown constraint 'maxnorm'.*'max_norm'"),
        (
            optimizers.get,
            "Adamm",
            r"Unknown optimizer 'Adamm'\. Did you mean 'adam'.*Valid ids "
            r"\(case-insensitive\): \[.*'sgd'\]; a custom class",
        ),
        (optimizers.get, "lamb", r"'lamb' exists in Keras but is not implemented"),
        (losses.get, "zzz", r"Unknown loss identifier 'zzz'\. Valid string ids"),
    ],
)
def test_unknown_names_suggest_and_list_the_valid_ids(
    get: Any, name: str, message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        get(name)


def test_unknown_class_name_in_a_config() -> None:
    with pytest.raises(InvalidArgumentError, match=r"Unknown initializer 'Nope'"):
        initializers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(
        InvalidArgumentError, match=r"Unknown learning rate schedule 'StepDecay'"
    ):
        schedules.deserialize({"class_name": "StepDecay", "config": {}})


def test_malformed_config_says_what_is_expected() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"Cannot deserialize a regularizer from \{'config': \{\}\}: expected a "
        r"string id or a dict with 'class_name' and 'config' keys",
    ):
        regularizers.deserialize({"config": {}})
    with pytest.raises(InvalidArgumentError, match=r"Cannot deserialize an activation"):
        activations.deserialize({"name": "relu"})


@pytest.mark.parametrize(
    ("get", "message"),
    [
        (activations.get, r"An activation must be a string id, a callable or None; "),
        (initializers.get, r"An initializer must be a string id such as 'glorot_"),
        (regularizers.get, r"A regularizer must be 'l1', 'l2', a config dict"),
        (constraints.get, r"A constraint must be 'max_norm'.*received 3 of type int"),
    ],
)
def test_other_types_are_refused_with_what_is_accepted(get: Any, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        get(3)


def test_initializer_none_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"An initializer is required"):
        initializers.get(None)


def test_object_without_config_cannot_be_serialized() -> None:
    with pytest.raises(
        InvalidTypeError,
        match=r"Cannot serialize the regularizer 3 of type int: expected an object "
        r"with `get_config\(\)`, a function or a string id\.",
    ):
        regularizers.serialize(3)  # type: ignore[arg-type]


# --- the Registry class on its own -----------------------------------------------


def test_registry_reserved_ids_and_case() -> None:
    registry = Registry(
        "unit",
        {"Metre": float},
        case_insensitive=True,
        reserved={"auto": "{name!r} depends on the locale; pass 'metre'."},
    )
    assert registry.get("METRE") == 0.0  # a class: instantiated with its defaults
    assert registry.names() == ["metre"]
    with pytest.raises(InvalidArgumentError, match=r"'Auto' depends on the locale"):
        registry.get("Auto")
    with pytest.raises(InvalidTypeError, match=r"A unit must be a string id"):
        registry.get(3)
    assert repr(registry) == "<Registry of 1 unit ids>"
