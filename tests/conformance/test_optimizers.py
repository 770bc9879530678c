"""Optimizers and learning-rate schedules as user code, on cnnkit and Keras 3.

Twins with the same weights train three steps on the same batches; the weights must
agree to 1e-5 for every update rule both libraries have (SGD with momentum and
Nesterov, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion), with
clipping, with schedules, and in a hand-written torch training loop. Schedules
give the same values at the same steps; ``optimizer.learning_rate`` and
``optimizer.iterations`` read and set as in Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cnnkit

from ._fit_twins import (
    LABELS,
    X,
    both,
    cnn,
    history_dict,
    keras,
    mlp,
    same,
    weights,
)

pytestmark = pytest.mark.oracle

STEPS_X, STEPS_Y = X[:24], LABELS[:24]  # three batches of 8


def three_steps(lib: Any, model: Any, optimizer: Any) -> dict[str, Any]:
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = model.fit(STEPS_X, STEPS_Y, batch_size=8, epochs=1, shuffle=False,
                        verbose=0)  # fmt: skip
    return {
        "weights": weights(model),
        "loss": history_dict(history)["loss"],
        "iterations": int(model.optimizer.iterations),
    }


OPTIMIZER_CASES = {
    "SGD": lambda opt: opt.SGD(0.1),
    "SGD-momentum": lambda opt: opt.SGD(0.1, momentum=0.9),
    "SGD-nesterov": lambda opt: opt.SGD(0.1, momentum=0.9, nesterov=True),
    "SGD-weight_decay": lambda opt: opt.SGD(0.1, weight_decay=0.05),
    "Adam": lambda opt: opt.Adam(0.01),
    "Adam-default": lambda opt: opt.Adam(),
    "Adam-amsgrad": lambda opt: opt.Adam(0.01, amsgrad=True),
    "Adam-betas-epsilon": lambda opt: opt.Adam(0.01, beta_1=0.5, beta_2=0.9,
                                               epsilon=1e-3),
    "AdamW": lambda opt: opt.AdamW(0.01),
    "AdamW-weight_decay": lambda opt: opt.AdamW(0.01, weight_decay=0.1),
    "RMSprop": lambda opt: opt.RMSprop(0.01),
    "RMSprop-momentum-centered": lambda opt: opt.RMSprop(0.01, momentum=0.5,
                                                         centered=True),
    "Adagrad": lambda opt: opt.Adagrad(0.1),
    "Adadelta": lambda opt: opt.Adadelta(1.0),
    "Adamax": lambda opt: opt.Adamax(0.01),
    "Nadam": lambda opt: opt.Nadam(0.01),
    "Lion": lambda opt: opt.Lion(0.001),
    "Adam-use_ema": lambda opt: opt.Adam(0.01, use_ema=True, ema_momentum=0.5),
    "SGD-gradient_accumulation": lambda opt: opt.SGD(
        0.1, momentum=0.9, gradient_accumulation_steps=2),
}  # fmt: skip


@pytest.mark.parametrize(
    "make", list(OPTIMIZER_CASES.values()), ids=list(OPTIMIZER_CASES)
)
def test_weights_after_three_steps(make: Any) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return three_steps(lib, model, make(lib.optimizers))

    same(*both(mlp, idiom))


@pytest.mark.parametrize("name", ["SGD-momentum", "Adam", "RMSprop"])
def test_cnn_weights_after_three_steps(name: str) -> None:
    from ._fit_twins import IMAGE_LABELS, IMAGES

    def idiom(lib: Any, model: Any) -> list[np.ndarray]:
        model.compile(OPTIMIZER_CASES[name](lib.optimizers),
                      "sparse_categorical_crossentropy")  # fmt: skip
        model.fit(IMAGES[:12], IMAGE_LABELS[:12], batch_size=4, shuffle=False,
                  verbose=0)  # fmt: skip
        return weights(model)

    same(*both(cnn, idiom))


CLIPPING_CASES = {
    "SGD-clipnorm": lambda opt: opt.SGD(1.0, clipnorm=0.1),
    "SGD-clipvalue": lambda opt: opt.SGD(1.0, clipvalue=0.01),
    "SGD-global_clipnorm": lambda opt: opt.SGD(1.0, global_clipnorm=0.1),
    "Adam-clipnorm": lambda opt: opt.Adam(0.1, clipnorm=0.05),
    "RMSprop-clipvalue": lambda opt: opt.RMSprop(0.01, clipvalue=0.001),
}


@pytest.mark.parametrize(
    "make", list(CLIPPING_CASES.values()), ids=list(CLIPPING_CASES)
)
def test_gradient_clipping(make: Any) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return three_steps(lib, model, make(lib.optimizers))

    same(*both(mlp, idiom))


# ------------------------------------------------------------------ schedules

SCHEDULE_CASES = {
    "ExponentialDecay": lambda s: s.ExponentialDecay(0.1, 10, 0.5),
    "ExponentialDecay-staircase": lambda s: s.ExponentialDecay(
        0.1, 10, 0.5, staircase=True),
    "PiecewiseConstantDecay": lambda s: s.PiecewiseConstantDecay(
        [5, 10], [0.1, 0.05, 0.01]),
    "CosineDecay": lambda s: s.CosineDecay(0.1, 100),
    "CosineDecay-alpha": lambda s: s.CosineDecay(0.1, 100, alpha=0.1),
    "CosineDecay-warmup": lambda s: s.CosineDecay(
        0.0, 50, warmup_target=0.1, warmup_steps=10),
    "InverseTimeDecay": lambda s: s.InverseTimeDecay(0.1, 10, 0.5),
    "InverseTimeDecay-staircase": lambda s: s.InverseTimeDecay(
        0.1, 10, 0.5, staircase=True),
    "PolynomialDecay-power2": lambda s: s.PolynomialDecay(
        0.1, 50, end_learning_rate=0.01, power=2.0),
    "PolynomialDecay-cycle": lambda s: s.PolynomialDecay(
        0.1, 20, end_learning_rate=0.01, cycle=True),
    "CosineDecayRestarts": lambda s: s.CosineDecayRestarts(
        0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.01),
}  # fmt: skip

STEPS = [0, 1, 4, 5, 6, 9, 10, 11, 25, 49, 50, 99, 100, 1000]


@pytest.mark.parametrize(
    "make", list(SCHEDULE_CASES.values()), ids=list(SCHEDULE_CASES)
)
def test_schedule_values(make: Any) -> None:
    def idiom(lib: Any) -> list[float]:
        schedule = make(lib.optimizers.schedules)
        return [float(schedule(step)) for step in STEPS]

    same(idiom(cnnkit), idiom(keras))


@pytest.mark.parametrize(
    "make", list(SCHEDULE_CASES.values()), ids=list(SCHEDULE_CASES)
)
def test_schedule_config(make: Any) -> None:
    def idiom(lib: Any) -> dict[str, Any]:
        schedule = make(lib.optimizers.schedules)
        config = schedule.get_config()
        clone = type(schedule).from_config(config)
        return {"config": config, "clone_at_7": float(clone(7))}

    same(idiom(cnnkit), idiom(keras))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.optimizers.SGD(
            lib.optimizers.schedules.ExponentialDecay(0.5, 1, 0.5), momentum=0.5
        ),
        lambda lib: lib.optimizers.Adam(
            lib.optimizers.schedules.PiecewiseConstantDecay([1], [0.05, 0.01])
        ),
        lambda lib: lib.optimizers.RMSprop(
            lib.optimizers.schedules.CosineDecay(0.05, 3)
        ),
    ],
    ids=["SGD-ExponentialDecay", "Adam-PiecewiseConstantDecay", "RMSprop-CosineDecay"],
)
def test_schedule_drives_training(make: Any) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        result = three_steps(lib, model, make(lib))
        # The rate for the next step: the schedule at `iterations`.
        result["learning_rate"] = float(model.optimizer.learning_rate)
        return result

    same(*both(mlp, idiom))


def test_schedule_optimizer_refuses_a_float_learning_rate() -> None:
    def idiom(lib: Any) -> str:
        optimizer = lib.optimizers.Adam(
            lib.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
        )
        with pytest.raises(TypeError):
            optimizer.learning_rate = 0.01
        return "TypeError"

    same(idiom(cnnkit), idiom(keras))


# -------------------------------------------------- learning_rate, iterations


@pytest.mark.parametrize("value", [0.001, 0.1, 3e-4])
def test_learning_rate_reads_as_float32(value: float) -> None:
    def idiom(lib: Any) -> dict[str, Any]:
        optimizer = lib.optimizers.Adam(learning_rate=value)
        lr = float(optimizer.learning_rate)
        return {"lr": lr, "is_float32": lr == float(np.float32(value))}

    ours, theirs = idiom(cnnkit), idiom(keras)
    assert ours == theirs  # exact: both hold the rate as float32


def test_set_learning_rate_between_fits() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=16, epochs=1, shuffle=False, verbose=0)
        model.optimizer.learning_rate = 0.5
        history = model.fit(X, LABELS, batch_size=16, epochs=1, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "lr": float(model.optimizer.learning_rate),
            "loss": history_dict(history)["loss"],
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


def test_learning_rate_assign() -> None:
    """Keras 3 code writes ``model.optimizer.learning_rate.assign(new_lr)``."""

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=16, epochs=1, shuffle=False, verbose=0)
        model.optimizer.learning_rate.assign(0.02)
        model.fit(X, LABELS, batch_size=16, epochs=1, shuffle=False, verbose=0)
        return {
            "lr": float(model.optimizer.learning_rate),
            "numpy": float(model.optimizer.learning_rate.numpy()),
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


def test_iterations_count_train_steps() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy")
        counts = [int(model.optimizer.iterations)]
        model.fit(X, LABELS, batch_size=10, epochs=2, verbose=0)  # 4 steps an epoch
        counts.append(int(model.optimizer.iterations))
        model.train_on_batch(X[:4], LABELS[:4])
        counts.append(int(model.optimizer.iterations))
        model.evaluate(X, LABELS, verbose=0)
        model.predict(X, verbose=0)
        counts.append(int(model.optimizer.iterations))
        return {"counts": counts, "numpy": int(model.optimizer.iterations.numpy())}

    same(*both(mlp, idiom))


# ------------------------------------------------------------------- configs

DEFAULT_OPTIMIZERS = [
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
    "Lion",
]  # fmt: skip


@pytest.mark.parametrize("name", DEFAULT_OPTIMIZERS)
def test_optimizer_default_config(name: str) -> None:
    def idiom(lib: Any) -> dict[str, Any]:
        optimizer = getattr(lib.optimizers, name)()
        config = optimizer.get_config()
        clone = type(optimizer).from_config(config)
        return {"config": config, "clone": clone.get_config()}

    same(idiom(cnnkit), idiom(keras))


def test_optimizer_from_string_has_defaults() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="nadam", loss="mse")
        return {
            "type": type(model.optimizer).__name__,
            "config": model.optimizer.get_config(),
        }

    same(*both(lambda lib: mlp(lib, 1, None), idiom))


# ------------------------------------------------- a hand-written torch loop


def training_loop(lib: Any, model: Any, optimizer: Any, use_apply: bool) -> Any:
    """Keras' "Writing a training loop from scratch in PyTorch", three steps."""
    loss_fn = lib.losses.SparseCategoricalCrossentropy()
    losses = []
    for step in range(3):
        x_batch, y_batch = STEPS_X[step * 8 : step * 8 + 8], STEPS_Y[step * 8 :][:8]
        logits = model(x_batch, training=True)
        loss = loss_fn(torch.as_tensor(y_batch), logits)
        model.zero_grad()
        loss.backward()
        trainable_weights = [v for v in model.trainable_weights]  # noqa: C416 (the guide)
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            if use_apply:
                optimizer.apply(gradients, trainable_weights)
            else:
                optimizer.apply_gradients(zip(gradients, trainable_weights))
        losses.append(float(loss.detach()))
    return {
        "losses": losses,
        "weights": weights(model),
        "iterations": int(optimizer.iterations),
    }


@pytest.mark.parametrize(
    ("name", "use_apply"),
    [("SGD-momentum", True), ("Adam", True), ("Nadam", False)],
    ids=["SGD-apply", "Adam-apply", "Nadam-apply_gradients"],
)
def test_hand_written_training_loop(name: str, use_apply: bool) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        optimizer = OPTIMIZER_CASES[name](lib.optimizers)
        return training_loop(lib, model, optimizer, use_apply)

    same(*both(mlp, idiom))
