"""keras.io "Knowledge Distillation" on cnnkit and on Keras (torch backend).

A ``Distiller(Model)`` holds a teacher and a student and has its own ``compile``
(optimizer, metrics, two loss functions, ``alpha``, ``temperature``). Two versions
of it, written once against the library given: the keras.io Keras 3 one, which
overrides ``compute_loss`` (with its older signature, ``allow_empty=`` in place of
``training=``), and a ``train_step``/``test_step`` one written with autograd as
Keras' torch guide does. Neither compiles a ``loss``, and the compiled metric sees
the student's outputs: cnnkit's pre-flight checks must not refuse either, and the
logs must have the keys Keras gives them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cnnkit

from .harness import copy_weights, keras

pytestmark = pytest.mark.oracle

_rng = np.random.default_rng(5)
IMAGES = _rng.random((32, 8, 8, 1)).astype("float32")
LABELS = _rng.integers(0, 4, 32)
LIBS = (cnnkit, keras)


def _net(lib: Any, name: str, filters: int) -> Any:
    return lib.Sequential(
        [
            lib.Input((8, 8, 1)),
            lib.layers.Conv2D(filters, 3, strides=2, padding="same"),
            lib.layers.LeakyReLU(negative_slope=0.2),
            lib.layers.Flatten(),
            lib.layers.Dense(4),
        ],
        name=name,
    )


def distiller_class(lib: Any, own_steps: bool) -> type:
    ops = lib.ops

    class Distiller(lib.Model):
        def __init__(self, student: Any, teacher: Any) -> None:
            super().__init__()
            self.teacher = teacher
            self.student = student

        def compile(  # type: ignore[override]
            self,
            optimizer: Any,
            metrics: Any,
            student_loss_fn: Any,
            distillation_loss_fn: Any,
            alpha: float = 0.1,
            temperature: float = 3,
        ) -> None:
            super().compile(optimizer=optimizer, metrics=metrics)
            self.student_loss_fn = student_loss_fn
            self.distillation_loss_fn = distillation_loss_fn
            self.alpha = alpha
            self.temperature = temperature

        def _distill(self, x: Any, y: Any, y_pred: Any) -> Any:
            teacher_pred = self.teacher(x, training=False)
            student_loss = self.student_loss_fn(y, y_pred)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_pred / self.temperature, axis=1),
                ops.softmax(y_pred / self.temperature, axis=1),
            ) * (self.temperature**2)
            return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

        def call(self, x: Any) -> Any:
            return self.student(x)

    if not own_steps:

        class WithComputeLoss(Distiller):
            def compute_loss(  # type: ignore[override]
                self,
                x: Any = None,
                y: Any = None,
                y_pred: Any = None,
                sample_weight: Any = None,
                allow_empty: bool = False,
            ) -> Any:
                return self._distill(x, y, y_pred)

        return WithComputeLoss

    class WithSteps(Distiller):
        def train_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            self.zero_grad()
            student_predictions = self.student(x, training=True)
            loss = self._distill(x, y, student_predictions)
            loss.backward()
            trainable_weights = list(self.student.trainable_weights)
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name != "loss":
                    metric.update_state(y, student_predictions)
            results = {m.name: m.result() for m in self.metrics}
            results.update({"distillation_loss": loss})
            return results

        def test_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            y_prediction = self.student(x, training=False)
            student_loss = self.student_loss_fn(y, y_prediction)
            for metric in self.metrics:
                if metric.name != "loss":
                    metric.update_state(y, y_prediction)
            results = {m.name: m.result() for m in self.metrics}
            results.update({"student_loss": student_loss})
            return results

    return WithSteps


def _run(lib: Any, own_steps: bool, teacher: Any, student: Any) -> dict[str, Any]:
    distiller = distiller_class(lib, own_steps)(student=student, teacher=teacher)
    distiller.compile(
        optimizer=lib.optimizers.SGD(learning_rate=0.1),
        metrics=[lib.metrics.SparseCategoricalAccuracy()],
        student_loss_fn=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        distillation_loss_fn=lib.losses.KLDivergence(),
        alpha=0.1,
        temperature=10,
    )
    history = distiller.fit(
        IMAGES, LABELS, epochs=2, batch_size=8, shuffle=False, verbose=0
    )
    return {
        "history": history.history,
        "evaluate": distiller.evaluate(IMAGES, LABELS, verbose=0, return_dict=True),
        "evaluate_list": distiller.evaluate(IMAGES, LABELS, verbose=0),
    }


@pytest.mark.parametrize("own_steps", [False, True], ids=["compute_loss", "steps"])
def test_distiller_logs_match_keras(own_steps: bool) -> None:
    nets = {lib: (_net(lib, "teacher", 8), _net(lib, "student", 2)) for lib in LIBS}
    for ours_net, keras_net in zip(nets[cnnkit], nets[keras]):
        copy_weights(ours_net, keras_net)  # before either trains
    ours = _run(cnnkit, own_steps, *nets[cnnkit])
    theirs = _run(keras, own_steps, *nets[keras])
    assert sorted(ours["history"]) == sorted(theirs["history"])
    assert sorted(ours["evaluate"]) == sorted(theirs["evaluate"])
    assert len(ours["evaluate_list"]) == len(theirs["evaluate_list"])
    # The same weights, data and order: the same numbers, up to float noise.
    for key in ours["history"]:
        np.testing.assert_allclose(
            ours["history"][key], theirs["history"][key], rtol=1e-3, atol=1e-4
        )
    for key in ours["evaluate"]:
        np.testing.assert_allclose(
            ours["evaluate"][key], theirs["evaluate"][key], rtol=1e-3, atol=1e-4
        )
