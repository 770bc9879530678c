"""cnnkit optimizers and schedules against Keras 3 itself (KERAS_BACKEND=torch).

Every case starts both libraries from the same weights, applies the same 5
deterministic random gradients, and compares weights and optimizer variables.

Tolerance: ``rtol=1e-5, atol=1e-5``. Both run float32 foreach kernels; the residual
difference (a few 1e-6 for the Adam family) comes from Keras computing the bias
correction ``sqrt(1 - beta_2**t) / (1 - beta_1**t)`` in float32, where cnnkit uses
the exact Python float.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit.optimizers as ck
from cnnkit.optimizers import schedules as ck_schedules

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.oracle

RTOL = ATOL = 1e-5
SHAPES = [(3, 4), (4,), (2, 3, 5)]
NAMES = ["dense/kernel", "dense/bias", "conv/kernel"]
STEPS = 5


def _initial_weights() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.normal(size=s).astype("float32") for s in SHAPES]


def _gradients(steps: int = STEPS) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(2)
    return [
        [rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)
    ]


def run_keras(opt: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    # Keras' variable path is its name; cnnkit gets the same short names in `NAMES`.
    variables = [
        keras.Variable(w, name=n.rsplit("/", 1)[-1])
        for w, n in zip(_initial_weights(), NAMES)
    ]
    for grads in _gradients():
        opt.apply_gradients([(torch.tensor(g), v) for g, v in zip(grads, variables)])
    weights = [keras.ops.convert_to_numpy(v) for v in variables]
    state = [keras.ops.convert_to_numpy(v) for v in opt.variables]
    return weights, state


def run_cnnkit(opt: ck.Optimizer) -> tuple[list[np.ndarray], list[np.ndarray]]:
    params = [torch.nn.Parameter(torch.tensor(w)) for w in _initial_weights()]
    opt.build(params, names=NAMES)
    for grads in _gradients():
        opt.apply([torch.tensor(g) for g in grads], params)
    weights = [p.detach().numpy() for p in params]
    state = [v.detach().numpy() for v in opt.variables]
    return weights, state


def assert_all_close(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {}),
    "sgd_momentum": ("SGD", {"momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adam": ("Adam", {}),
    "adam_amsgrad": ("Adam", {"amsgrad": True}),
    "adamw": ("AdamW", {}),
    "adamw_strong_decay": ("AdamW", {"weight_decay": 0.5}),
    "rmsprop": ("RMSprop", {}),
    "rmsprop_centered": ("RMSprop", {"centered": True}),
    "rmsprop_momentum": ("RMSprop", {"momentum": 0.5}),
    "rmsprop_centered_momentum": ("RMSprop", {"centered": True, "momentum": 0.5}),
    "adagrad": ("Adagrad", {}),
    "adadelta": ("Adadelta", {"learning_rate": 1.0}),
    "adamax": ("Adamax", {}),
    "nadam": ("Nadam", {}),
    "lion": ("Lion", {}),
    "sgd_clipnorm": ("SGD", {"clipnorm": 0.5}),
    "sgd_clipvalue": ("SGD", {"clipvalue": 0.3}),
    "sgd_global_clipnorm": ("SGD", {"global_clipnorm": 1.0}),
    "adam_clipnorm": ("Adam", {"clipnorm": 0.5}),
    "adam_global_clipnorm": ("Adam", {"global_clipnorm": 1.0}),
    "sgd_weight_decay": ("SGD", {"weight_decay": 0.1}),
    "adam_weight_decay": ("Adam", {"weight_decay": 0.1}),
    "adam_ema": ("Adam", {"use_ema": True, "ema_momentum": 0.9}),
    "adam_ema_overwrite": ("Adam", {"use_ema": True, "ema_overwrite_frequency": 2}),
    "adam_gradient_accumulation": ("Adam", {"gradient_accumulation_steps": 2}),
    "sgd_momentum_accumulation": (
        "SGD",
        {"momentum": 0.9, "gradient_accumulation_steps": 3},
    ),
    "adam_loss_scale": ("Adam", {"loss_scale_factor": 8.0}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_five_steps_match_keras(case: str) -> None:
    class_name, kwargs = CASES[case]
    kwargs = {"learning_rate": 0.05, **kwargs}
    keras_weights, keras_state = run_keras(
        getattr(keras.optimizers, class_name)(**kwargs)
    )
    weights, state = run_cnnkit(getattr(ck, class_name)(**kwargs))
    assert_all_close(weights, keras_weights)
    assert_all_close(state, keras_state)  # iteration, learning_rate, every slot


def test_weight_decay_exclusion_matches_keras() -> None:
    kopt = keras.optimizers.AdamW(learning_rate=0.05, weight_decay=0.5)
    kopt.exclude_from_weight_decay(var_names=["bias"])
    opt = ck.AdamW(learning_rate=0.05, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    assert_all_close(run_cnnkit(opt)[0], run_keras(kopt)[0])


def _schedule_pairs() -> dict[str, tuple[Any, Any]]:
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "exponential": ("ExponentialDecay", {"decay_steps": 2, "decay_rate": 0.5}),
        "exponential_staircase": (
            "ExponentialDecay",
            {"decay_steps": 2, "decay_rate": 0.5, "staircase": True},
        ),
        "piecewise": (
            "PiecewiseConstantDecay",
            {"boundaries": [1, 3], "values": [0.05, 0.02, 0.01]},
        ),
        "inverse_time": ("InverseTimeDecay", {"decay_steps": 2, "decay_rate": 0.5}),
        "polynomial": ("PolynomialDecay", {"decay_steps": 3, "power": 2.0}),
        "polynomial_cycle": ("PolynomialDecay", {"decay_steps": 2, "cycle": True}),
        "cosine": ("CosineDecay", {"decay_steps": 4, "alpha": 0.1}),
        "cosine_warmup": (
            "CosineDecay",
            {"decay_steps": 3, "warmup_target": 0.1, "warmup_steps": 2},
        ),
        "cosine_restarts": ("CosineDecayRestarts", {"first_decay_steps": 2}),
        "cosine_restarts_tmul1": (
            "CosineDecayRestarts",
            {"first_decay_steps": 2, "t_mul": 1.0, "m_mul": 0.5},
        ),
    }
    pairs = {}
    for key, (name, kwargs) in specs.items():
        if name != "PiecewiseConstantDecay":
            kwargs = {"initial_learning_rate": 0.05, **kwargs}
        pairs[key] = (
            getattr(ck_schedules, name)(**kwargs),
            getattr(keras.optimizers.schedules, name)(**kwargs),
        )
    return pairs


SCHEDULES = list(_schedule_pairs())


@pytest.mark.parametrize("key", SCHEDULES)
def test_schedule_driving_adam_matches_keras(key: str) -> None:
    ours, theirs = _schedule_pairs()[key]
    assert_all_close(
        run_cnnkit(ck.Adam(learning_rate=ours))[0],
        run_keras(keras.optimizers.Adam(learning_rate=theirs))[0],
    )


@pytest.mark.parametrize("key", SCHEDULES)
def test_schedule_values_match_keras(key: str) -> None:
    ours, theirs = _schedule_pairs()[key]
    # Steps include every boundary of the small periods used above; Keras computes
    # in float32, hence rtol=1e-5 (and atol for values that decay to ~0).
    for step in range(0, 80):
        expected = float(keras.ops.convert_to_numpy(theirs(step)))
        assert ours(step) == pytest.approx(expected, rel=1e-5, abs=1e-7), step


@pytest.mark.parametrize("key", SCHEDULES)
def test_schedule_config_matches_keras(key: str) -> None:
    ours, theirs = _schedule_pairs()[key]
    assert ours.get_config() == theirs.get_config()
    assert ck_schedules.serialize(ours) == keras.optimizers.schedules.serialize(theirs)


def test_callable_learning_rate_matches_keras() -> None:
    assert_all_close(
        run_cnnkit(ck.SGD(learning_rate=lambda: 0.03, momentum=0.5))[0],
        run_keras(keras.optimizers.SGD(learning_rate=lambda: 0.03, momentum=0.5))[0],
    )


CONFIG_CASES: list[tuple[str, dict[str, Any]]] = [
    (name, {})
    for name in (
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "Nadam",
        "Lion",
    )
] + [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"amsgrad": True, "clipnorm": 1.0, "weight_decay": 0.01}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "global_clipnorm": 2.0}),
    ("Adam", {"use_ema": True, "ema_overwrite_frequency": 3, "clipvalue": 0.5}),
    ("Adagrad", {"gradient_accumulation_steps": 4, "loss_scale_factor": 128.0}),
]


@pytest.mark.parametrize(("class_name", "kwargs"), CONFIG_CASES)
def test_get_config_matches_keras(class_name: str, kwargs: dict[str, Any]) -> None:
    kwargs = {"name": "opt", **kwargs}
    ours = getattr(ck, class_name)(**kwargs).get_config()
    theirs = getattr(keras.optimizers, class_name)(**kwargs).get_config()
    assert list(ours) == list(theirs)  # same keys, same order
    assert ours == theirs


def test_get_config_with_schedule_matches_keras() -> None:
    ours = ck.Adam(ck_schedules.CosineDecay(0.1, 100), name="a").get_config()
    theirs = keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(0.1, 100), name="a"
    ).get_config()
    assert ours == theirs


def test_from_keras_config_round_trip() -> None:
    theirs = keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9), clipnorm=1.0
    )
    rebuilt = ck.deserialize(keras.optimizers.serialize(theirs))
    assert isinstance(rebuilt, ck.Adam)
    assert rebuilt.get_config() == theirs.get_config()


@pytest.mark.parametrize(
    "case",
    [
        "sgd_momentum",
        "adam_amsgrad",
        "rmsprop_centered_momentum",
        "adadelta",
        "adamax",
        "nadam",
        "lion",
        "adagrad",
        "adam_ema",
        "adam_gradient_accumulation",
    ],
)
def test_default_names_and_variable_names_match_keras(case: str) -> None:
    class_name, kwargs = CASES[case]
    theirs = getattr(keras.optimizers, class_name)(**kwargs)
    ours = getattr(ck, class_name)(**kwargs)
    # Both uniquify with a process-wide counter ("adam_3"): compare the stem only.
    assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)
    layer = keras.layers.Dense(2, name="dense")
    layer.build((None, 3))
    theirs.build(layer.trainable_variables)
    ours.build(
        [torch.zeros(3, 2), torch.zeros(2)], names=["dense/kernel", "dense/bias"]
    )
    expected = [v.name for v in theirs.variables]
    if class_name == "Nadam":
        # Keras leaves Nadam's momentum-cache product unnamed ("variable").
        expected[-1] = "u_product"
    assert ours.variable_names == expected
