"""``callbacks.Doctor``: hints during ``fit`` that never change the training."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import callbacks, layers, optimizers
from cnnkit.utils import set_random_seed


@pytest.fixture(autouse=True)
def _doctor_default() -> Iterator[None]:
    cnnkit.config.set_doctor(None)
    yield
    cnnkit.config.set_doctor(None)


def _model() -> Any:
    return cnnkit.Sequential([
        layers.Input((10, 10, 1)),
        layers.Conv2D(6, 3, activation="relu"), layers.MaxPooling2D(),
        layers.BatchNormalization(), layers.Dropout(0.3), layers.Flatten(),
        layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax"),
    ])  # fmt: skip


def _data(n: int = 96) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.random((n, 10, 10, 1), dtype=np.float32), np.arange(n) % 3


def _train(with_doctor: bool, **compile_kwargs: Any) -> tuple[Any, callbacks.Doctor]:
    set_random_seed(0)
    model = _model()
    model.compile(optimizer=compile_kwargs.pop("optimizer", "adam"),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    doctor = callbacks.Doctor(sample_every=1, stream=io.StringIO())
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[doctor] if with_doctor else [])  # fmt: skip
    return model, doctor


def test_weights_after_fit_are_bit_exact_with_and_without_the_doctor() -> None:
    plain, _ = _train(False)
    doctored, _ = _train(True)
    for a, b in zip(plain.get_weights(), doctored.get_weights()):
        assert np.array_equal(a, b)


def test_hooks_are_removed_after_fit() -> None:
    model, _ = _train(True)
    for module in model.modules():
        assert not module._forward_hooks
    for p in model.parameters():
        assert not p._backward_hooks


def _fit_with(model: Any, x: Any, y: Any, doctor: callbacks.Doctor, **kw: Any) -> None:
    model.fit(x, y, batch_size=16, verbose=0, callbacks=[doctor], **kw)


def test_dead_relus_are_reported_once() -> None:
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with torch.no_grad():
        model.layers[0].bias.fill_(-100.0)  # every channel stays below 0
    stream = io.StringIO()
    doctor = callbacks.Doctor(sample_every=2, stream=stream)
    x, y = _data()
    _fit_with(model, x, y, doctor, epochs=3)
    dead = [f for f in doctor.findings if "never fired" in f and "'conv2d" in f]
    assert len(dead) == 1
    assert "100% of the 6 channels of 'conv2d" in dead[0]
    assert len(doctor.findings) == len(set(doctor.findings))
    assert "he_normal" in dead[0]
    assert dead[0] in stream.getvalue()


def test_exploding_and_vanishing_gradients_are_reported() -> None:
    model = cnnkit.Sequential([
        layers.Input((10, 10, 1)), layers.Conv2D(4, 3, activation="relu", name="c"),
        layers.Flatten(), layers.Dense(3, activation="softmax", name="d"),
    ])  # fmt: skip
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    doctor = callbacks.Doctor(stream=io.StringIO())
    x, y = _data()
    with pytest.warns(cnnkit.errors.DoctorWarning, match="raw pixel values"):
        _fit_with(model, x * 1000, y, doctor, epochs=1)
    assert any(
        f.startswith("Doctor: the gradient of 'c' is") and "exploding" in f
        and "clipnorm" in f for f in doctor.findings
    )  # fmt: skip
    frozen = callbacks.Doctor(vanishing=1e9, exploding=1e12, stream=io.StringIO())
    fresh = _model()
    fresh.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    _fit_with(fresh, x, y, frozen, epochs=1)
    assert any("vanishing gradients" in f for f in frozen.findings)


def test_nan_loss_is_reported_with_the_learning_rate() -> None:
    model = _model()
    model.compile(optimizer=optimizers.SGD(learning_rate=1e12),
                  loss="sparse_categorical_crossentropy")  # fmt: skip
    doctor = callbacks.Doctor(sample_every=1, stream=io.StringIO())
    x, y = _data()
    _fit_with(model, x, y, doctor, epochs=2)
    nan = [f for f in doctor.findings if "NaN" in f]
    assert len(nan) == 1
    assert "learning_rate=1e+12" in nan[0]
    assert "lower the learning rate 10x" in nan[0]


def test_a_rising_then_a_flat_loss_are_reported() -> None:
    doctor = callbacks.Doctor(stream=io.StringIO())
    doctor.set_model(_model())
    doctor.on_train_begin()
    for epoch, loss in enumerate([1.0, 1.5, 1.49]):
        doctor.on_epoch_begin(epoch)
        doctor.on_epoch_end(epoch, {"loss": loss})
    doctor.on_train_end()
    assert doctor.findings[0].startswith("Doctor: the loss rose from 1 (epoch 1)")
    flat = callbacks.Doctor(stream=io.StringIO())
    flat.set_model(_model())
    flat.on_train_begin()
    for epoch in range(3):
        flat.on_epoch_end(epoch, {"loss": 1.0 - 0.001 * epoch})
    flat.on_train_end()
    assert flat.findings[0].startswith("Doctor: the loss has not decreased")


def test_a_healthy_run_prints_nothing() -> None:
    _, doctor = _train(True)
    assert doctor.findings == []


def test_the_doctor_switch_turns_the_callback_off() -> None:
    cnnkit.config.set_doctor(False)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with torch.no_grad():
        model.layers[0].bias.fill_(-100.0)
    doctor = callbacks.Doctor(sample_every=1, stream=io.StringIO())
    x, y = _data()
    _fit_with(model, x, y, doctor, epochs=1)
    assert doctor.findings == []


def test_cnnkit_train_turns_the_doctor_on(tmp_path: Any) -> None:
    import argparse

    from cnnkit.cli.train_command import _callbacks

    chosen = _callbacks(argparse.Namespace(verbose=1), tmp_path)
    names = ["CSVLogger", "WatchLearning", "Doctor"]
    assert [type(c).__name__ for c in chosen] == names
    assert len(_callbacks(argparse.Namespace(verbose=0), tmp_path)) == 2


def test_huge_first_loss_and_chance_level_are_reported() -> None:
    doctor = callbacks.Doctor(stream=io.StringIO())
    doctor.set_model(_model())  # 3 classes: chance is ln(3) = 1.099
    doctor.on_train_begin()
    for epoch, loss in enumerate([5000.0, 1.1, 1.0985]):
        doctor.on_epoch_end(epoch, {"loss": loss})
    doctor.on_train_end()
    assert doctor.findings[0].startswith("Doctor: the first epoch's loss (5000)")
    assert "chance level ln(classes) = 1.099" in doctor.findings[1]
    assert len(doctor.findings) == 2


def test_a_gradient_of_exactly_zero_is_named() -> None:
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with torch.no_grad():
        model.layers[0].bias.fill_(-100.0)
    doctor = callbacks.Doctor(stream=io.StringIO())
    x, y = _data()
    _fit_with(model, x, y, doctor, epochs=1)
    assert any("is exactly 0" in f and "'conv2d" in f for f in doctor.findings)
