"""``model.compile``: optimizers, losses, metrics and the ``"accuracy"`` rule.

KERAS_SPEC §3. Tiny Dense models on 20 samples; every test runs in well under a
second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from training_builders import (
    dense_model,
    tiny_data,
    two_output_model,
    weights_close,
)

import cnnkit
from cnnkit import losses, metrics, optimizers
from cnnkit.errors import InvalidArgumentError, InvalidTypeError


def _compiled(**compile_kwargs: Any) -> Any:
    model = dense_model()
    model.compile(**compile_kwargs)
    return model


def test_default_optimizer_is_rmsprop() -> None:
    model = _compiled(loss="sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, optimizers.RMSprop)
    assert model.optimizer.learning_rate == pytest.approx(0.001)


def test_optimizer_string_and_instance() -> None:
    assert isinstance(
        _compiled(optimizer="adam", loss="mse").optimizer, optimizers.Adam
    )
    sgd = optimizers.SGD(learning_rate=0.5)
    assert _compiled(optimizer=sgd, loss="mse").optimizer is sgd


def test_optimizer_class_is_refused_as_keras_does() -> None:
    with pytest.raises(InvalidTypeError, match=r"Pass an instance: Adam\(\)"):
        _compiled(optimizer=optimizers.Adam, loss="mse")


def _mean_sparse_ce(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    probabilities = model.predict(x, verbose=0).astype("float64")
    return float(-np.log(probabilities[np.arange(len(y)), y]).mean())


def _my_sparse_ce(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return losses.sparse_categorical_crossentropy(y_true, y_pred)


@pytest.mark.parametrize(
    "loss",
    [
        "sparse_categorical_crossentropy",
        losses.SparseCategoricalCrossentropy,
        losses.SparseCategoricalCrossentropy(),
        _my_sparse_ce,
    ],
    ids=["string", "class", "instance", "callable"],
)
def test_loss_forms_give_the_same_value(loss: Any) -> None:
    x, y = tiny_data()
    model = _compiled(loss=loss)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(
        _mean_sparse_ce(model, x, y), rel=1e-5
    )


def my_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return (y_pred.argmax(-1) != y_true).float()


def test_metric_forms_and_their_log_names() -> None:
    x, y = tiny_data()
    model = _compiled(
        loss="sparse_categorical_crossentropy",
        metrics=[
            "acc",
            metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
            metrics.SparseCategoricalAccuracy,
            my_error,
        ],
    )
    history = model.fit(x, y, verbose=0, shuffle=False)
    # A string keeps its spelling, an instance its name, a class and a function
    # their snake_case names (Keras' rule).
    assert sorted(history.history) == [
        "acc",
        "loss",
        "my_error",
        "sparse_categorical_accuracy",
        "top2",
    ]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["acc"] == pytest.approx(logs["sparse_categorical_accuracy"])
    assert logs["my_error"] == pytest.approx(1.0 - logs["acc"])


@pytest.mark.parametrize(
    ("y_shape", "units", "activation", "loss", "expected"),
    [
        ((20,), 1, "sigmoid", "binary_crossentropy", metrics.BinaryAccuracy),
        ((20, 1), 1, "sigmoid", "binary_crossentropy", metrics.BinaryAccuracy),
        ((20,), 3, "softmax", "sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
        ((20, 1), 3, "softmax", "sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
        ((20, 3), 3, "softmax", "categorical_crossentropy", metrics.CategoricalAccuracy),
        # The loss is not consulted: BCE on a 3-unit sigmoid gives categorical.
        ((20, 3), 3, "sigmoid", "binary_crossentropy", metrics.CategoricalAccuracy),
    ],
)  # fmt: skip
def test_accuracy_resolves_from_shapes_only(
    y_shape: tuple[int, ...], units: int, activation: str, loss: str, expected: type
) -> None:
    x, labels = tiny_data(classes=units if units > 1 else 2)
    if y_shape[-1] == 3:
        y: np.ndarray = np.eye(3, dtype="float32")[labels]
    else:
        y = labels.reshape(y_shape)
    model = dense_model(units=units, activation=activation)
    model.compile(loss=loss, metrics=["accuracy"])
    model.fit(x, y, verbose=0)
    (metric,) = model.metrics[1].metrics  # [loss tracker, compile_metrics], as Keras
    assert type(metric) is expected
    assert metric.name == "accuracy"


@pytest.mark.parametrize(
    ("y_shape", "units", "activation", "expected"),
    [
        ((20,), 1, "sigmoid", "binary_crossentropy"),
        ((20,), 3, "softmax", "sparse_categorical_crossentropy"),
        ((20, 3), 3, "softmax", "categorical_crossentropy"),
    ],
)
def test_ce_loss_resolves_like_accuracy(
    y_shape: tuple[int, ...], units: int, activation: str, expected: str
) -> None:
    x, labels = tiny_data(classes=units if units > 1 else 2)
    y = np.eye(3, dtype="float32")[labels] if len(y_shape) == 2 else labels
    model = dense_model(units=units, activation=activation)
    model.compile(loss="ce")
    model.fit(x, y, verbose=0)
    (loss,) = model._compile_state.losses
    assert loss.fn.__name__ == expected
    assert loss.name == "ce"


def test_loss_weights_scale_each_output() -> None:
    x, y = tiny_data()
    target = np.linspace(-1, 1, 20, dtype="float32")[:, None]
    for loss_weights in ([1.0, 0.5], {"cls": 1.0, "reg": 0.5}):
        model = two_output_model()
        model.compile(
            optimizer="sgd",
            loss=["sparse_categorical_crossentropy", "mse"],
            loss_weights=loss_weights,
        )
        logs = model.evaluate(x, [y, target], verbose=0, return_dict=True)
        assert sorted(logs) == ["cls_loss", "loss", "reg_loss"]
        assert logs["loss"] == pytest.approx(
            logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-6
        )


def test_weighted_metrics_see_sample_weights_and_metrics_do_not() -> None:
    x, y = tiny_data()
    model = _compiled(
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=["accuracy"],
    )
    weights = (np.arange(20) < 10).astype("float32")  # only the first half counts
    logs = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    correct = model.predict(x, verbose=0).argmax(-1) == y
    assert logs["accuracy"] == pytest.approx(correct.mean())
    assert logs["weighted_accuracy"] == pytest.approx(correct[:10].mean())


def test_repeated_metric_names_get_keras_suffixes() -> None:
    x, y = tiny_data()
    model = _compiled(
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", "accuracy"],
        weighted_metrics=["accuracy", "accuracy"],
    )
    history = model.fit(x, y, verbose=0)
    assert sorted(history.history) == [
        "accuracy",
        "accuracy_1",
        "loss",
        "weighted_accuracy",
        "weighted_accuracy_1",
    ]


def test_several_outputs_prefix_metric_names_once_even_after_recompiling() -> None:
    x, y = tiny_data()
    target = np.zeros((20, 1), dtype="float32")
    model = two_output_model()
    mae = metrics.MeanAbsoluteError()
    for _ in range(2):
        model.compile(
            loss=["sparse_categorical_crossentropy", "mse"],
            metrics={"cls": ["accuracy"], "reg": [mae]},
        )
        logs = model.evaluate(x, [y, target], verbose=0, return_dict=True)
        assert sorted(logs) == [
            "cls_accuracy",
            "cls_loss",
            "loss",
            "reg_loss",
            "reg_mean_absolute_error",
        ]


def test_one_metric_list_applies_to_every_output() -> None:
    x, _ = tiny_data()
    model = two_output_model()
    model.compile(loss="mse", metrics=["mae"])
    targets = [np.zeros((20, 3), "float32"), np.zeros((20, 1), "float32")]
    logs = model.evaluate(x, targets, verbose=0, return_dict=True)
    assert {"cls_mae", "reg_mae"} <= set(logs)


def test_run_eagerly_and_jit_compile_false_change_nothing() -> None:
    x, y = tiny_data()
    first, second = dense_model(), dense_model()
    second.set_weights(first.get_weights())
    first.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    second.compile(
        optimizer="sgd",
        loss="sparse_categorical_crossentropy",
        run_eagerly=True,
        jit_compile=False,
    )
    first.fit(x, y, verbose=0, shuffle=False)
    second.fit(x, y, verbose=0, shuffle=False)
    assert weights_close(first.get_weights(), second.get_weights())


@pytest.mark.slow  # dynamo's first trace takes seconds, even without code generation
def test_jit_compile_trains_through_torch_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The "eager" backend traces with dynamo but skips code generation: the same
    # path as jit_compile=True, in a fraction of a second.
    compiled: list[Any] = []
    real_compile = torch.compile

    def eager_compile(module: Any, **kwargs: Any) -> Any:
        compiled.append(module)
        return real_compile(module, backend="eager")

    monkeypatch.setattr(torch, "compile", eager_compile)
    x, y = tiny_data()
    plain, jitted = dense_model(), dense_model()
    jitted.set_weights(plain.get_weights())
    plain.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    jitted.compile(
        optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=True
    )
    assert compiled == [jitted]
    # The compiled wrapper is not a submodule: state_dict() would recurse forever.
    assert list(jitted.state_dict()) == list(plain.state_dict())
    plain.fit(x, y, verbose=0, shuffle=False)
    jitted.fit(x, y, verbose=0, shuffle=False)
    assert weights_close(plain.get_weights(), jitted.get_weights())


@pytest.mark.parametrize("steps", [0, True, "2", 1.5])
def test_steps_per_execution_must_be_a_positive_int(steps: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="`steps_per_execution` must be"):
        _compiled(loss="mse", steps_per_execution=steps)


def test_jit_compile_must_be_auto_or_a_bool() -> None:
    with pytest.raises(InvalidArgumentError, match="`jit_compile` must be 'auto'"):
        _compiled(loss="mse", jit_compile="yes")


def _fit_two_outputs(**compile_kwargs: Any) -> None:
    x, y = tiny_data()
    model = two_output_model()
    model.compile(**compile_kwargs)
    model.fit(x, [y, np.zeros((20, 1), "float32")], verbose=0)


def test_loss_dict_with_unknown_key_lists_the_outputs() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"`loss` has keys \['clss'\] that name no model output\. Outputs are "
        r"\['cls', 'reg'\]",
    ):
        _fit_two_outputs(loss={"clss": "mse", "reg": "mse"})


def test_loss_list_needs_one_entry_per_output() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"`loss` is a list of 3 entries but the model has 2 outputs",
    ):
        _fit_two_outputs(loss=["mse", "mse", "mse"])


def test_metrics_list_of_lists_needs_one_entry_per_output() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"`metrics` is a list of 1 entries but the model has 2 outputs",
    ):
        _fit_two_outputs(loss="mse", metrics=[["mae"]])


def test_fit_without_a_loss_is_explained() -> None:
    x, y = tiny_data()
    model = _compiled(optimizer="sgd")
    with pytest.raises(InvalidArgumentError, match="no loss to minimise: pass `loss=`"):
        model.fit(x, y, verbose=0)


def test_dict_labels_must_name_every_output() -> None:
    x, y = tiny_data()
    model = two_output_model()
    model.compile(loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"})
    with pytest.raises(
        InvalidArgumentError,
        match=r"`y` is a dict with keys \['cls'\], but the model's outputs are named "
        r"\['cls', 'reg'\] \(missing \['reg'\]\)",
    ):
        model.fit(x, {"cls": y}, verbose=0)


def test_dict_labels_pair_with_outputs_by_name_not_sorted_order() -> None:
    # "zeta" sorts after "alpha": flattening the dict by sorted keys would give the
    # class ids to the regression head and vice versa.
    x, y = tiny_data()
    target = np.linspace(0, 1, 20, dtype="float32")[:, None]
    model = two_output_model(names=("zeta", "alpha"))
    model.compile(
        optimizer="sgd",
        loss={"zeta": "sparse_categorical_crossentropy", "alpha": "mse"},
        metrics={"zeta": ["accuracy"]},
    )
    logs = model.evaluate(x, {"zeta": y, "alpha": target}, verbose=0, return_dict=True)
    probabilities, regression = model.predict(x, verbose=0)
    assert logs["alpha_loss"] == pytest.approx(
        float(((regression - target) ** 2).mean()), rel=1e-5
    )
    assert logs["zeta_accuracy"] == pytest.approx(
        float((probabilities.argmax(-1) == y).mean())
    )


def test_compile_keeps_the_arguments_for_saving() -> None:
    model = _compiled(optimizer="sgd", loss="mse", metrics=["mae"])
    assert model.compiled
    assert model._compile_args["metrics"] == ["mae"]
    assert model._compile_args["optimizer"] == "sgd"


def test_compiled_model_reports_metric_objects() -> None:
    x, y = tiny_data()
    model = _compiled(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # Keras' list: the loss tracker, then the compiled metrics as one entry, whose
    # members are resolved from shapes on the first batch.
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]
    assert model.metrics[1].metrics == []
    model.fit(x, y, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]
    assert [m.name for m in model.metrics[1].metrics] == ["accuracy"]


def test_compile_is_needed_before_training() -> None:
    x, y = tiny_data()
    model = dense_model()
    for method in ("fit", "evaluate", "train_on_batch", "test_on_batch"):
        with pytest.raises(
            ValueError, match=rf"call `compile\(\)` before `{method}\(\)`"
        ):
            getattr(model, method)(x, y)


@pytest.mark.slow  # a fresh interpreter importing torch
def test_cnnkit_training_never_imports_keras() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, cnnkit\n"
        "m = cnnkit.Sequential([cnnkit.Input((2,)), cnnkit.layers.Dense(1)])\n"
        "m.compile(loss='mse')\n"
        "m.fit(np.zeros((4, 2)), np.zeros(4), verbose=0)\n"
        "m.evaluate(np.zeros((4, 2)), np.zeros(4), verbose=0)\n"
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_per_output_losses_skip_outputs_without_a_loss() -> None:
    x, y = tiny_data()
    inputs = cnnkit.Input((6,))
    hidden = cnnkit.layers.Dense(4, activation="relu")(inputs)
    outputs = [
        cnnkit.layers.Dense(3, activation="softmax", name="first")(hidden),
        cnnkit.layers.Dense(1, name="second")(hidden),
        cnnkit.layers.Dense(1, name="third")(hidden),
    ]
    model = cnnkit.Model(inputs, outputs)
    model.compile(loss=["sparse_categorical_crossentropy", None, "mse"])
    target = np.ones((20, 1), dtype="float32")
    logs = model.evaluate(x, [y, target, target], verbose=0, return_dict=True)
    # The second output has no loss: the mse belongs to "third", not "second".
    assert sorted(logs) == ["first_loss", "loss", "third_loss"]
    third = model.predict(x, verbose=0)[2]
    assert logs["third_loss"] == pytest.approx(
        float(((third - 1.0) ** 2).mean()), rel=1e-5
    )


def test_optimizer_slots_are_named_after_the_weights() -> None:
    x, y = tiny_data()
    model = _compiled(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, verbose=0)
    # Keras' rule: the weight's path with "/" as "_" (sequential_dense_kernel_...).
    first = f"{model.name}_{model.layers[0].name}"
    assert model.optimizer.variable_names[:4] == [
        "iteration",
        "learning_rate",
        f"{first}_kernel_momentum",
        f"{first}_kernel_velocity",
    ]


def test_evaluate_does_not_build_the_optimizer() -> None:
    x, y = tiny_data()
    model = _compiled(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.evaluate(x, y, verbose=0)
    assert not model.optimizer.built  # summary() shows no optimizer params yet


def test_dict_outputs_are_named_by_their_keys() -> None:
    x, y = tiny_data()
    inputs = cnnkit.Input((6,))
    hidden = cnnkit.layers.Dense(4, activation="relu")(inputs)
    model = cnnkit.Model(
        inputs,
        {
            "label": cnnkit.layers.Dense(3, activation="softmax", name="head_a")(
                hidden
            ),
            "score": cnnkit.layers.Dense(1, name="head_b")(hidden),
        },
    )
    model.compile(
        optimizer="sgd",
        loss={"label": "sparse_categorical_crossentropy", "score": "mse"},
        metrics={"label": ["accuracy"]},
    )
    history = model.fit(x, {"label": y, "score": np.zeros((20, 1))}, verbose=0)
    assert sorted(history.history) == [
        "label_accuracy",
        "label_loss",
        "loss",
        "score_loss",
    ]


def test_a_hook_on_the_softmax_layer_sees_probabilities_during_training() -> None:
    """The fused softmax + cross-entropy must not be seen: a forward hook on the
    output layer (Grad-CAM recipes, activation probes) gets probabilities."""
    model = cnnkit.Sequential(
        [cnnkit.Input((4,)), cnnkit.layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    seen: list[torch.Tensor] = []
    model.layers[-1].register_forward_hook(lambda m, i, out: seen.append(out.detach()))
    x = np.random.default_rng(0).standard_normal((8, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    model.train_on_batch(x, y)
    step_output = seen[-1]  # (a first, 2-sample call resolves the loss beforehand)
    assert step_output.shape == (8, 3)
    np.testing.assert_allclose(step_output.sum(dim=-1).numpy(), np.ones(8), rtol=1e-6)
    assert (step_output >= 0).all()


@pytest.mark.parametrize(
    "head",
    [
        lambda: [cnnkit.layers.Dense(3, activation="softmax")],
        lambda: [cnnkit.layers.Dense(3), cnnkit.layers.Activation("softmax")],
    ],
    ids=["dense_softmax", "activation_layer"],
)
def test_fused_softmax_loss_is_the_loss_of_the_probabilities(head: Any) -> None:
    """Keras 2 scripts end in `Activation("softmax")`: the fused path must skip that
    layer's softmax too, or it would take probabilities for logits."""
    model = cnnkit.Sequential([cnnkit.Input((4,)), *head()])
    model.compile(optimizer=optimizers.SGD(0.0), loss="categorical_crossentropy")
    x = np.random.default_rng(1).standard_normal((8, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    probabilities = model.predict(x, verbose=0)
    expected = float(-(y * np.log(probabilities)).sum(axis=-1).mean())
    got = float(model.train_on_batch(x, y))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
