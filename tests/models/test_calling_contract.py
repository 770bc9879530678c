"""The calling contract as user code exercises it: ``training=``/``mask=`` on any layer or
model, ``build`` by hand, configs and JSON, and the steps a subclass may override."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import Input, Model, layers, models, optimizers
from cnnkit.training.trainer import unpack_x_y_sample_weight


def _images(n: int = 4) -> np.ndarray:
    return np.random.default_rng(0).random((n, 8, 8, 1)).astype("float32")


class _NoTrainingArg(Model):
    """A subclassed model whose ``call`` has no ``training`` parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = layers.Conv2D(4, 3)
        self.drop = layers.Dropout(0.9)
        self.flat = layers.Flatten()
        self.out = layers.Dense(3, activation="softmax")

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.flat(self.drop(self.conv(x))))


@pytest.mark.parametrize("training", [True, False, None])
def test_layers_without_a_training_parameter_accept_it(training: bool | None) -> None:
    x = _images()
    for layer in (layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.Flatten()):
        assert layer(x, training=training).shape[0] == 4
        x = layer(x)
    assert layers.Dense(2)(x, training=training).shape == (4, 2)


def test_training_reaches_a_dropout_nested_in_a_model_without_the_parameter() -> None:
    model = _NoTrainingArg()
    x = _images()
    inference = model(x, training=False)
    assert torch.equal(model(x), inference)  # Dropout's own default: inference
    assert not torch.equal(model(x, training=True), inference)


def test_a_functional_model_passes_training_to_a_nested_sequential() -> None:
    inner = models.Sequential([layers.Dropout(0.99)])
    inputs = Input((6,))
    outer = Model(inputs, layers.Dense(2)(inner(inputs)))
    x = np.ones((3, 6), dtype="float32")
    assert torch.equal(outer(x, training=False), outer(x))
    assert not torch.equal(outer(x, training=True), outer(x))


def test_a_subclassed_model_without_training_parameter_fits() -> None:
    model = _NoTrainingArg()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(_images(8), np.arange(8) % 3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_training_flags_of_two_threads_do_not_mix() -> None:
    drop = layers.Dropout(0.99)
    x = torch.ones(64, 8)
    results: dict[str, torch.Tensor] = {}

    def run(name: str, training: bool) -> None:
        for _ in range(50):
            results[name] = drop(x, training=training)

    threads = [
        threading.Thread(target=run, args=("infer", False)),
        threading.Thread(target=run, args=("train", True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert torch.equal(results["infer"], x)
    assert not torch.equal(results["train"], x)


def test_a_mask_is_refused_by_layers_that_cannot_use_one() -> None:
    dense = layers.Dense(2)
    x = np.ones((2, 3), dtype="float32")
    assert dense(x, mask=None).shape == (2, 2)
    with pytest.raises(ValueError, match=r"Dense '.*' does not support masking"):
        dense(x, mask=np.ones((2,), dtype=bool))


def test_softmax_takes_a_mask() -> None:
    x = torch.zeros(1, 3)
    mask = torch.tensor([[True, True, False]])
    out = layers.Softmax()(x, mask=mask)
    assert out[0, 2] < 1e-6
    assert torch.allclose(out[0, :2], torch.tensor([0.5, 0.5]))


# ---------------------------------------------------------------------- build


def test_build_by_hand_keeps_the_weights_set_before_the_first_call() -> None:
    dense = layers.Dense(3)
    dense.build((None, 4))
    assert dense.built
    dense.set_weights([np.ones((4, 3), "float32"), np.zeros(3, "float32")])
    out = dense(np.ones((1, 4), "float32"))
    assert out.tolist() == [[4.0, 4.0, 4.0]]


def test_a_custom_layer_build_marks_built_without_super() -> None:
    class Scale(layers.Layer):
        def build(self, input_shape: tuple[int, ...]) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.w

    layer = Scale()
    layer.build((None, 2))
    assert layer.built
    assert layer.input_shape == (None, 2)
    layer.set_weights([np.array([2.0, 3.0], "float32")])
    assert layer(np.ones((1, 2), "float32")).tolist() == [[2.0, 3.0]]


def test_subclassed_model_build_creates_the_weights() -> None:
    model = _NoTrainingArg()
    model.build((None, 8, 8, 1))
    assert model.built
    assert model.count_params() == 4 * 9 + 4 + 6 * 6 * 4 * 3 + 3
    weights = [np.full_like(w, 0.01) for w in model.get_weights()]
    model.set_weights(weights)
    np.testing.assert_allclose(
        float(model.predict(_images(1), verbose=0).sum()), 1.0, rtol=1e-6
    )
    assert all(np.allclose(a, b) for a, b in zip(model.get_weights(), weights))


def test_subclassed_model_build_needs_a_shape() -> None:
    with pytest.raises(
        ValueError, match=r"needs an input shape to build: call `model.build\("
    ):
        _NoTrainingArg().build()


# ---------------------------------------------------------------------- configs


def _functional() -> Model:
    inputs = Input((8, 8, 1))
    x = layers.Conv2D(2, 3, activation="relu")(inputs)
    return Model(inputs, layers.Dense(3)(layers.Flatten()(x)), name="net")


def test_model_from_config_rebuilds_a_functional_model() -> None:
    model = _functional()
    clone = Model.from_config(model.get_config())
    assert type(clone).__name__ == "Functional"
    assert [layer.name for layer in clone.layers] == [
        layer.name for layer in model.layers
    ]
    assert clone.count_params() == model.count_params()


def test_json_round_trip_through_models_model_from_json() -> None:
    model = _functional()
    clone = models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    x = _images(2)
    torch.testing.assert_close(clone(x), model(x))


def test_clear_session_restarts_every_name_counter() -> None:
    cnnkit.backend.clear_session()
    first = [optimizers.Adam().name, layers.Dense(1).name, cnnkit.metrics.Mean().name]
    optimizers.Adam(), layers.Dense(1), cnnkit.metrics.Mean()
    cnnkit.backend.clear_session()
    again = [optimizers.Adam().name, layers.Dense(1).name, cnnkit.metrics.Mean().name]
    assert first == again == ["adam", "dense", "mean"]


# ---------------------------------------------------------------------- steps


class _CustomStep(Model):
    """Keras' torch-backend guide: a train_step written with autograd."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = layers.Conv2D(4, 3, activation="relu")
        self.flat = layers.Flatten()
        self.out = layers.Dense(3, activation="softmax")

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.flat(self.conv(x)))

    def train_step(self, data: tuple[torch.Tensor, torch.Tensor]) -> dict[str, object]:
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = list(self.trainable_weights)
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        self.steps_run = getattr(self, "steps_run", 0) + 1
        return {m.name: m.result() for m in self.metrics}


def test_fit_runs_an_overridden_train_step() -> None:
    model = _CustomStep()
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    x, y = _images(32), np.arange(32) % 3
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert model.steps_run == 12
    assert sorted(history.history) == ["accuracy", "loss"]
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]


def test_default_steps_can_be_called_directly() -> None:
    model = _NoTrainingArg()
    model.compile(
        optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    data = (torch.from_numpy(_images(8)), torch.arange(8) % 3)
    logs = model.train_step(data)
    assert sorted(logs) == ["accuracy", "loss"]
    assert sorted(model.test_step(data)) == ["accuracy", "loss"]
    assert model.predict_step(data).shape == (8, 3)
    assert sorted(model.get_metrics_result()) == ["accuracy", "loss"]


def test_compute_loss_needs_a_loss() -> None:
    model = _NoTrainingArg()
    model.compile(optimizer="sgd")
    x = torch.from_numpy(_images(2))
    with pytest.raises(
        ValueError, match="No loss to compute: pass `loss=` to `compile"
    ):
        model.compute_loss(x, torch.zeros(2), model(x))


def test_steps_need_compile() -> None:
    with pytest.raises(ValueError, match=r"call `compile\(\)` before `train_step\(\)`"):
        _NoTrainingArg().train_step((torch.zeros(1, 8, 8, 1), torch.zeros(1)))


def test_unpack_x_y_sample_weight_refuses_long_tuples() -> None:
    assert unpack_x_y_sample_weight([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(ValueError, match="received a tuple of 4 elements"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_the_models_training_overrides_one_recorded_on_a_node() -> None:
    # Keras 3: `inner(x, training=False)` in a graph is overridden by the outer call.
    inner = models.Sequential([Input((100,)), layers.Dropout(0.5)])
    inputs = Input((100,))
    outer = Model(inputs, inner(inputs, training=False))
    x = np.ones((1, 100), dtype="float32")
    assert torch.equal(outer(x), torch.from_numpy(x))
    assert not torch.equal(outer(x, training=True), torch.from_numpy(x))


def test_models_refuse_a_real_mask() -> None:
    model = models.Sequential([Input((3,)), layers.Dense(2)])
    x = np.ones((2, 3), dtype="float32")
    assert model(x, mask=None).shape == (2, 2)
    with pytest.raises(
        ValueError, match="was called with a mask, but cnnkit models make their masks"
    ):
        model(x, mask=np.ones((2,), dtype=bool))
