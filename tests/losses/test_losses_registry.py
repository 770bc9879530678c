"""String ids, `resolve`, serialisation round trips, and the no-keras-import rule."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from cnnkit import losses
from cnnkit.serialization import register_keras_serializable

SNAKE_IDS = {
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
    "binary_crossentropy": losses.binary_crossentropy,
    "mean_squared_error": losses.mean_squared_error,
    "mse": losses.mean_squared_error,
    "MSE": losses.mean_squared_error,
    "mean_absolute_error": losses.mean_absolute_error,
    "mae": losses.mean_absolute_error,
    "MAE": losses.mean_absolute_error,
    "mape": losses.mean_absolute_percentage_error,
    "msle": losses.mean_squared_logarithmic_error,
    "bce": losses.binary_crossentropy,
    "BCE": losses.binary_crossentropy,
    "kld": losses.kl_divergence,
    "KLD": losses.kl_divergence,
    "kl_divergence": losses.kl_divergence,
    "huber": losses.huber,
    "log_cosh": losses.log_cosh,
    "hinge": losses.hinge,
    "squared_hinge": losses.squared_hinge,
    "categorical_hinge": losses.categorical_hinge,
    "poisson": losses.poisson,
    "cosine_similarity": losses.cosine_similarity,
}
CLASS_NAMES = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
]


@pytest.mark.parametrize(("identifier", "fn"), SNAKE_IDS.items())
def test_snake_ids_give_the_function_and_resolve_wraps_it_under_that_name(
    identifier: str, fn: object
) -> None:
    assert losses.get(identifier) is fn
    wrapped = losses.resolve(identifier)
    assert isinstance(wrapped, losses.LossFunctionWrapper)
    assert wrapped.fn is fn
    assert wrapped.name == identifier
    assert wrapped.reduction == "sum_over_batch_size"


@pytest.mark.parametrize("class_name", CLASS_NAMES)
def test_class_names_give_default_instances_that_round_trip(class_name: str) -> None:
    loss = losses.get(class_name)
    assert type(loss) is getattr(losses, class_name)
    assert losses.resolve(class_name).get_config() == loss.get_config()
    assert losses.get(getattr(losses, class_name)).get_config() == loss.get_config()
    config = losses.serialize(loss)
    assert config["module"] == "keras.losses"
    assert config["class_name"] == class_name
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss)
    assert rebuilt.get_config() == loss.get_config()
    assert repr(rebuilt).startswith(f"{class_name}(name=")


def test_non_default_arguments_survive_a_round_trip() -> None:
    cases = [
        losses.Huber(delta=0.3, reduction="sum", name="h"),
        losses.CosineSimilarity(axis=0),
        losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=255, axis=1
        ),
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2, axis=0),
    ]
    for loss in cases:
        rebuilt = losses.deserialize(losses.serialize(loss))
        assert rebuilt.get_config() == loss.get_config()


def test_wrapper_round_trip_keeps_function_and_kwargs() -> None:
    loss = losses.LossFunctionWrapper(
        losses.huber, name="hub", reduction="sum", delta=0.5
    )
    config = losses.serialize(loss)
    assert config["class_name"] == "LossFunctionWrapper"
    assert config["config"]["fn"]["config"] == "huber"
    rebuilt = losses.deserialize(config)
    assert rebuilt.fn is losses.huber
    assert rebuilt._fn_kwargs == {"delta": 0.5}
    y_true, y_pred = torch.randn(4, 2), torch.randn(4, 2)
    torch.testing.assert_close(rebuilt(y_true, y_pred), loss(y_true, y_pred))


def test_strings_functions_and_none_pass_through() -> None:
    assert losses.get(None) is None
    assert losses.resolve(None) is None
    assert losses.serialize("mse") == "mse"
    assert losses.serialize(None) is None
    assert losses.deserialize("mse") is losses.mean_squared_error
    instance = losses.MeanSquaredError()
    assert losses.get(instance) is instance
    assert losses.resolve(instance) is instance
    config = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert losses.get(config).from_logits is True


def test_custom_function_is_wrapped_with_its_snake_case_name() -> None:
    def myLoss(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return (y_true - y_pred).abs().mean(dim=-1)

    wrapped = losses.resolve(myLoss)
    assert wrapped.name == "my_loss"
    assert float(wrapped(torch.ones(2, 1), torch.zeros(2, 1))) == 1.0


def test_registered_custom_loss_round_trips() -> None:
    @register_keras_serializable(package="test_losses")
    class DoubleMSE(losses.Loss):
        def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
            return 2 * losses.mean_squared_error(y_true, y_pred)

    config = losses.serialize(DoubleMSE(name="double"))
    assert config["registered_name"] == "test_losses>DoubleMSE"
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is DoubleMSE
    assert rebuilt.name == "double"
    assert (
        type(losses.deserialize(config, custom_objects={"DoubleMSE": DoubleMSE}))
        is DoubleMSE
    )


@pytest.mark.parametrize(
    ("y_true_shape", "y_pred_shape", "kind"),
    [
        ((32,), (32, 1), "binary"),
        ((32, 1), (32, 1), "binary"),
        ((32, 10), (32, 1), "binary"),
        ((32,), (32, 10), "sparse"),
        ((32, 1), (32, 10), "sparse"),
        ((None, 1), (None, 10), "sparse"),
        ((32, 28, 28), (32, 28, 28, 4), "sparse"),
        ((32, 10), (32, 10), "categorical"),
        ((32, 3), (32, 3), "categorical"),
        ((32, 28, 28, 4), (32, 28, 28, 4), "categorical"),
        ((32, 2), (32, 10), "categorical"),
        ((32, 10), (32, None), "categorical"),
    ],
)
def test_target_kind_follows_the_spec_rule(
    y_true_shape: tuple, y_pred_shape: tuple, kind: str
) -> None:
    assert losses.target_kind(y_true_shape, y_pred_shape) == kind
    fn = {
        "binary": losses.binary_crossentropy,
        "sparse": losses.sparse_categorical_crossentropy,
        "categorical": losses.categorical_crossentropy,
    }[kind]
    for identifier in ("crossentropy", "ce", "CE"):
        resolved = losses.resolve(identifier, y_true_shape, y_pred_shape)
        assert resolved.fn is fn
        assert resolved.name == identifier


def test_auto_names_are_unique_like_keras() -> None:
    first, second = (
        losses.LossFunctionWrapper(losses.mse),
        losses.LossFunctionWrapper(losses.mse),
    )
    assert first.name.startswith("loss_function_wrapper")
    assert first.name != second.name


def test_cnnkit_never_imports_keras_or_tensorflow() -> None:
    code = (
        "import sys, cnnkit.losses, cnnkit.metrics; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
