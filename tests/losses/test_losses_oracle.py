"""cnnkit losses against Keras 3 itself (KERAS_BACKEND=torch, set in tests/conftest.py).

Tolerance: rtol=1e-6, with atol=1e-7 only so that exact zeros compare; both sides run
the same float32 torch kernels, so the values agree to the last bits.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import losses

keras = pytest.importorskip("keras")
from keras.src.losses.losses import LossFunctionWrapper as KerasWrapper  # noqa: E402
from keras.src.trainers.compile_utils import get_loss as keras_get_loss  # noqa: E402

pytestmark = pytest.mark.oracle

RTOL, ATOL = 1e-6, 1e-7
N, C = 12, 5
CLASS_WEIGHT = np.array([1.0, 2.0, 0.5, 3.0, 1.5], dtype=np.float32)


def make_data(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) for one kind of problem, float32 predictions."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, N)
    probs = rng.dirichlet(np.ones(C), N).astype(np.float32)
    logits = rng.normal(0, 3, (N, C)).astype(np.float32)
    if kind == "onehot_probs":
        probs[0, labels[0]] = 0.0  # exercises the clip at 1e-7
        return np.eye(C, dtype=np.float32)[labels], probs
    if kind == "onehot_unnormalised":  # positive scores that do not sum to 1
        return np.eye(C, dtype=np.float32)[labels], probs * 3.0 + 0.01
    if kind == "onehot_logits":
        return np.eye(C, dtype=np.float32)[labels], logits
    if kind == "sparse_probs":
        return labels, probs
    if kind == "sparse_probs_n1":
        return labels.reshape(N, 1).astype(np.uint8), probs
    if kind == "sparse_logits":
        return labels, logits
    if kind == "sparse_spatial":  # (N, 3, 3) labels, (N, 3, 3, C) logits
        return rng.integers(0, C, (N, 3, 3)), rng.normal(0, 2, (N, 3, 3, C)).astype(
            np.float32
        )
    if kind == "binary_n":  # (N,) labels against a (N, 1) sigmoid output
        return rng.integers(0, 2, N).astype(np.float32), rng.random((N, 1)).astype(
            np.float32
        )
    if kind == "binary_n1":
        return rng.integers(0, 2, (N, 1)).astype(np.float32), rng.random((N, 1)).astype(
            np.float32
        )
    if kind == "binary_logits":
        return rng.integers(0, 2, (N, 1)).astype(np.float32), logits[:, :1]
    if kind == "multilabel":
        return rng.integers(0, 2, (N, 3)).astype(np.float32), rng.random((N, 3)).astype(
            np.float32
        )
    if kind == "signed":
        return rng.choice([-1.0, 1.0], (N, 3)).astype(np.float32), rng.normal(
            0, 1, (N, 3)
        ).astype(np.float32)
    if kind == "regression":
        return rng.normal(0, 2, (N, 3)).astype(np.float32), rng.normal(
            0, 2, (N, 3)
        ).astype(np.float32)
    if kind == "regression_n":  # (N,) targets against a (N, 1) output
        return rng.normal(0, 2, N).astype(np.float32), rng.normal(0, 2, (N, 1)).astype(
            np.float32
        )
    if kind == "positive":
        return rng.random((N, 3)).astype(np.float32) * 4, rng.random((N, 3)).astype(
            np.float32
        ) * 4
    if kind == "distribution":
        return rng.dirichlet(np.ones(C), N).astype(np.float32), probs
    raise AssertionError(kind)


def class_weights(y_true: np.ndarray) -> np.ndarray:
    """Per-sample weights from class weights, as `fit(class_weight=...)` builds them."""
    ids = y_true.argmax(-1) if y_true.ndim == 2 and y_true.shape[-1] > 1 else y_true
    return CLASS_WEIGHT[np.asarray(ids).reshape(N, -1)[:, 0].astype(int) % C]


def sample_weight_for(mode: str, y_true: np.ndarray) -> np.ndarray | None:
    if mode == "none":
        return None
    if mode == "per_sample":
        return np.random.default_rng(1).random(N).astype(np.float32)
    if mode == "class_weight":
        return class_weights(y_true).astype(np.float32)
    if mode == "zeros":
        return np.zeros(N, dtype=np.float32)
    raise AssertionError(mode)


def to_numpy(x: object) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


# (class name, constructor kwargs, data kind)
CLASS_CASES = [
    ("CategoricalCrossentropy", {}, "onehot_probs"),
    ("CategoricalCrossentropy", {}, "onehot_unnormalised"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot_probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "onehot_logits",
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs"),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs_n1"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_spatial"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse_probs"),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 0},
        "sparse_logits",
    ),
    ("BinaryCrossentropy", {}, "binary_n"),
    ("BinaryCrossentropy", {}, "binary_n1"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "multilabel"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.3},
        "binary_logits",
    ),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "regression_n"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression_n"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("KLDivergence", {}, "distribution"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression_n"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "signed"),
    ("Hinge", {}, "multilabel"),
    ("SquaredHinge", {}, "signed"),
    ("SquaredHinge", {}, "multilabel"),
    ("CategoricalHinge", {}, "onehot_logits"),
    ("Poisson", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
]
# "mean" and None are aliases of the first and last; they get their own test below.
REDUCTIONS = ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"]
WEIGHTS = ["none", "per_sample", "class_weight"]


@pytest.mark.parametrize("weight_mode", WEIGHTS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("class_name", "kwargs", "kind"),
    CLASS_CASES,
    ids=[f"{c}-{k}-{d}" for c, k, d in CLASS_CASES],
)
def test_loss_class_matches_keras(
    class_name: str, kwargs: dict, kind: str, reduction: str | None, weight_mode: str
) -> None:
    y_true, y_pred = make_data(kind)
    weight = sample_weight_for(weight_mode, y_true)
    ours = getattr(losses, class_name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, class_name)(reduction=reduction, **kwargs)
    if kwargs.get("axis") == 0 and weight is not None:
        # Per-feature values cannot take per-sample weights (Keras fails too).
        with pytest.raises(
            ValueError, match=r"`sample_weight` of shape \(12,\) cannot"
        ):
            ours(y_true, y_pred, sample_weight=weight)
        return
    # Keras 3 cannot broadcast (N,) weights over (N, 3, 3) losses; cnnkit can, and
    # must then equal Keras given the explicitly expanded (N, 1, 1) weights.
    keras_weight = weight
    if weight is not None and kind == "sparse_spatial":
        keras_weight = weight[:, None, None]
    expected = to_numpy(theirs(y_true, y_pred, sample_weight=keras_weight))
    got = ours(y_true, y_pred, sample_weight=weight)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", ["mean", None])
@pytest.mark.parametrize("class_name", ["CategoricalCrossentropy", "MeanSquaredError"])
def test_reduction_aliases_match_keras(class_name: str, reduction: str | None) -> None:
    y_true, y_pred = make_data("onehot_probs")
    weight = sample_weight_for("per_sample", y_true)
    got = getattr(losses, class_name)(reduction=reduction)(y_true, y_pred, weight)
    expected = getattr(keras.losses, class_name)(reduction=reduction)(
        y_true, y_pred, sample_weight=weight
    )
    np.testing.assert_allclose(got.numpy(), to_numpy(expected), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "mean_with_sample_weight"]
)
def test_all_zero_sample_weights_give_zero_like_keras(reduction: str) -> None:
    y_true, y_pred = make_data("onehot_probs")
    weight = sample_weight_for("zeros", y_true)
    got = losses.CategoricalCrossentropy(reduction=reduction)(y_true, y_pred, weight)
    expected = keras.losses.CategoricalCrossentropy(reduction=reduction)(
        y_true, y_pred, sample_weight=weight
    )
    np.testing.assert_allclose(got.numpy(), to_numpy(expected), rtol=RTOL, atol=ATOL)


def test_spatial_sample_weights_match_keras() -> None:
    """Per-pixel weights (N, 3, 3) on a segmentation-shaped sparse loss."""
    y_true, y_pred = make_data("sparse_spatial")
    weight = np.random.default_rng(3).random((N, 3, 3)).astype(np.float32)
    for reduction in ("sum_over_batch_size", "mean_with_sample_weight"):
        got = losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction=reduction
        )(y_true, y_pred, weight)
        expected = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction=reduction
        )(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(
            got.numpy(), to_numpy(expected), rtol=RTOL, atol=ATOL
        )


# (function name, kwargs, data kind): the per-sample values of the bare functions.
FUNCTION_CASES = [
    ("categorical_crossentropy", {}, "onehot_probs"),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, "onehot_unnormalised"),
    ("categorical_crossentropy", {"from_logits": True}, "onehot_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse_probs"),
    ("sparse_categorical_crossentropy", {}, "sparse_probs_n1"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_spatial"),
    ("sparse_categorical_crossentropy", {"ignore_class": 1}, "sparse_probs"),
    ("binary_crossentropy", {}, "binary_n1"),
    (
        "binary_crossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "binary_logits",
    ),
    ("mean_squared_error", {}, "regression_n"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("kl_divergence", {}, "distribution"),
    ("huber", {"delta": 2.0}, "regression"),
    ("log_cosh", {}, "regression"),
    ("hinge", {}, "signed"),
    ("squared_hinge", {}, "multilabel"),
    ("categorical_hinge", {}, "onehot_logits"),
    ("poisson", {}, "positive"),
    ("cosine_similarity", {}, "regression"),
]


@pytest.mark.parametrize(
    ("fn_name", "kwargs", "kind"),
    FUNCTION_CASES,
    ids=[c[0] + "-" + c[2] for c in FUNCTION_CASES],
)
def test_loss_function_matches_keras(fn_name: str, kwargs: dict, kind: str) -> None:
    y_true, y_pred = make_data(kind)
    expected = to_numpy(getattr(keras.losses, fn_name)(y_true, y_pred, **kwargs))
    got = getattr(losses, fn_name)(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(got.numpy(), expected, rtol=RTOL, atol=ATOL)


# String ids as `compile(loss=...)` receives them, with the data they are used on.
STRING_CASES = [
    ("categorical_crossentropy", "onehot_probs"),
    ("sparse_categorical_crossentropy", "sparse_probs_n1"),
    ("binary_crossentropy", "binary_n"),
    ("bce", "binary_n1"),
    ("BCE", "multilabel"),
    ("mse", "regression_n"),
    ("MSE", "regression"),
    ("mean_squared_error", "regression"),
    ("mae", "regression_n"),
    ("MAE", "regression"),
    ("mape", "regression"),
    ("MAPE", "regression"),
    ("msle", "positive"),
    ("MSLE", "positive"),
    ("kld", "distribution"),
    ("KLD", "distribution"),
    ("kl_divergence", "distribution"),
    ("huber", "regression"),
    ("log_cosh", "regression"),
    ("hinge", "signed"),
    ("squared_hinge", "signed"),
    ("categorical_hinge", "onehot_logits"),
    ("poisson", "positive"),
    ("cosine_similarity", "regression"),
    ("CategoricalCrossentropy", "onehot_probs"),
    ("SparseCategoricalCrossentropy", "sparse_probs"),
    ("MeanSquaredError", "regression_n"),
    ("Huber", "regression"),
    ("crossentropy", "onehot_probs"),
    ("crossentropy", "sparse_probs"),
    ("ce", "sparse_probs_n1"),
    ("ce", "binary_n"),
    ("CE", "binary_n1"),
    ("ce", "multilabel"),
]


@pytest.mark.parametrize(("identifier", "kind"), STRING_CASES)
def test_string_ids_resolve_and_compute_like_keras_compile(
    identifier: str, kind: str
) -> None:
    y_true, y_pred = make_data(kind)
    weight = sample_weight_for("per_sample", y_true)
    theirs = keras_get_loss(identifier, y_true, y_pred)
    ours = losses.resolve(identifier, y_true.shape, y_pred.shape)
    assert ours.name == theirs.name
    if isinstance(theirs, KerasWrapper) and type(theirs) is KerasWrapper:
        assert ours.fn.__name__ == theirs.fn.__name__
    else:
        assert type(ours).__name__ == type(theirs).__name__
    np.testing.assert_allclose(
        ours(y_true, y_pred, weight).numpy(),
        to_numpy(theirs(y_true, y_pred, sample_weight=weight)),
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.mark.parametrize(("class_name", "kwargs", "_kind"), CLASS_CASES[::3])
def test_get_config_matches_keras_where_keras_keeps_the_argument(
    class_name: str, kwargs: dict, _kind: str
) -> None:
    ours = getattr(losses, class_name)(**kwargs).get_config()
    theirs = getattr(keras.losses, class_name)(**kwargs).get_config()
    # Keras drops Huber's delta, CosineSimilarity's and sparse CE's axis; cnnkit keeps
    # them when not the default (a round trip would lose them otherwise).
    extra = {"delta", "axis"} - set(theirs)
    assert {k: v for k, v in ours.items() if k not in extra} == theirs


def test_serialized_loss_loads_in_keras_and_back() -> None:
    ours = losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.1, name="cce"
    )
    config = losses.serialize(ours)
    theirs = keras.losses.deserialize(config)
    assert theirs.get_config() == ours.get_config()
    back = losses.deserialize(keras.losses.serialize(theirs))
    assert back.get_config() == ours.get_config()
    assert losses.serialize(losses.get("mse")) == keras.losses.serialize(
        keras.losses.get("mse")
    )
