"""cnnkit metrics against Keras 3 itself, accumulated over several batches.

Tolerance: rtol=1e-6 (atol=1e-7 so exact zeros compare) for every metric but AUC,
which uses rtol=1e-5: its bucket sums are float32 scatter-adds whose order differs.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import metrics

keras = pytest.importorskip("keras")
from keras.src.trainers.compile_utils import get_metric as keras_get_metric  # noqa: E402

pytestmark = pytest.mark.oracle

RTOL, ATOL = 1e-6, 1e-7
AUC_RTOL = 1e-5
C = 5
BATCHES = (7, 12, 5)


def make_batch(
    kind: str, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, C, n)
    probs = rng.dirichlet(np.ones(C), n).astype(np.float32)
    if kind == "sparse":
        return labels, probs
    if kind == "sparse_n1":
        return labels.reshape(n, 1), probs
    if kind == "onehot":
        return np.eye(C, dtype=np.float32)[labels], probs
    if kind == "onehot_logits":
        return np.eye(C, dtype=np.float32)[labels], rng.normal(0, 2, (n, C)).astype(
            np.float32
        )
    if kind == "exact":  # integer predictions, some equal to the labels
        return labels, np.where(rng.random(n) < 0.6, labels, (labels + 1) % C)
    if kind == "binary_n":
        # Exact threshold hits (0.5, 0.3, bucket edges) test "strictly above".
        pred = rng.choice([0.0, 0.3, 0.5, 0.7, 1.0, *rng.random(4)], (n, 1)).astype(
            np.float32
        )
        return rng.integers(0, 2, n).astype(np.float32), pred
    if kind == "binary_n1":
        return rng.integers(0, 2, (n, 1)), rng.random((n, 1)).astype(np.float32)
    if kind == "binary_logits":
        return rng.integers(0, 2, (n, 1)).astype(np.float32), rng.normal(
            0, 2, (n, 1)
        ).astype(np.float32)
    if kind == "multilabel":
        return rng.integers(0, 2, (n, 3)).astype(np.float32), rng.random((n, 3)).astype(
            np.float32
        )
    if kind == "regression":
        return rng.normal(0, 2, (n, 3)).astype(np.float32), rng.normal(
            0, 2, (n, 3)
        ).astype(np.float32)
    if kind == "regression_n":
        return rng.normal(0, 2, n).astype(np.float32), rng.normal(0, 2, (n, 1)).astype(
            np.float32
        )
    if kind == "positive":
        return rng.random((n, 3)).astype(np.float32) * 3, rng.random((n, 3)).astype(
            np.float32
        ) * 3
    if kind == "signed":
        return rng.choice([-1.0, 1.0], (n, 3)).astype(np.float32), rng.normal(
            0, 1, (n, 3)
        ).astype(np.float32)
    raise AssertionError(kind)


def run_both(
    ours: object,
    theirs: object,
    kind: str,
    weighted: bool,
    rtol: float,
    ones: bool = False,
) -> None:
    """Feed both metrics the same batches; compare after every update and after reset.

    ``ones`` gives Keras explicit unit weights when cnnkit gets none (see the
    ignore_class case below).
    """
    rng = np.random.default_rng(0)
    for step, n in enumerate((*BATCHES, 9)):
        if step == len(BATCHES):
            ours.reset_state()
            theirs.reset_state()
        y_true, y_pred = make_batch(kind, n, rng)
        weight = rng.random(n).astype(np.float32) if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=weight)
        if ones and weight is None:
            weight = np.ones(n, dtype=np.float32)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        expected = np.asarray(keras.ops.convert_to_numpy(theirs.result()))
        got = ours.result()
        assert got.shape == expected.shape
        np.testing.assert_allclose(
            got.numpy(), expected, rtol=rtol, atol=ATOL, err_msg=f"step {step}"
        )


# (class name, kwargs, data kind)
CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary_n"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary_n1"),
    ("BinaryAccuracy", {}, "multilabel"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_n1"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("TopKCategoricalAccuracy", {"k": 5}, "onehot"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_n1"),
    ("Precision", {}, "binary_n"),
    ("Precision", {}, "onehot"),
    ("Precision", {"thresholds": [0.2, 0.5, 0.8]}, "multilabel"),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "binary_n"),
    ("Precision", {"top_k": 2}, "onehot"),
    ("Precision", {"class_id": 1}, "onehot"),
    ("Precision", {"top_k": 2, "class_id": 3}, "onehot"),
    ("Precision", {"thresholds": 0.3, "class_id": 0}, "multilabel"),
    ("Recall", {}, "binary_n"),
    ("Recall", {}, "onehot"),
    ("Recall", {"thresholds": [0.1, 0.4, 0.9]}, "multilabel"),
    ("Recall", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_n1"),
    ("Recall", {"top_k": 1}, "onehot"),
    ("Recall", {"class_id": 2}, "onehot"),
    ("Recall", {"top_k": 3, "class_id": 2}, "onehot"),
    ("TruePositives", {}, "binary_n"),
    ("FalsePositives", {"thresholds": [0.3, 0.6]}, "multilabel"),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "binary_n"),
    ("FalseNegatives", {}, "onehot"),
    ("F1Score", {}, "onehot"),
    ("F1Score", {"average": "micro"}, "onehot"),
    ("F1Score", {"average": "macro", "threshold": 0.3}, "onehot"),
    ("F1Score", {"average": "weighted"}, "onehot"),
    ("F1Score", {"average": "weighted", "threshold": 0.5}, "multilabel"),
    ("FBetaScore", {"beta": 2.0}, "multilabel"),
    ("FBetaScore", {"beta": 0.5, "average": "macro", "threshold": 0.4}, "onehot"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "regression_n"),
    ("MeanAbsoluteError", {}, "regression_n"),
    ("RootMeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression_n"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("CategoricalCrossentropy", {}, "onehot"),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "onehot_logits",
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {}, "sparse_n1"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
    ("BinaryCrossentropy", {}, "binary_n1"),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "binary_logits",
    ),
    ("KLDivergence", {}, "onehot"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "multilabel"),
    ("CategoricalHinge", {}, "onehot_logits"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("class_name", "kwargs", "kind"), CASES, ids=[f"{c}-{k}-{d}" for c, k, d in CASES]
)
def test_metric_matches_keras_over_batches(
    class_name: str, kwargs: dict, kind: str, weighted: bool
) -> None:
    ours = getattr(metrics, class_name)(**kwargs)
    theirs = getattr(keras.metrics, class_name)(**kwargs)
    # Keras' metric drops `ignore_class` entries from the mean only when weights are
    # passed (unweighted, they count as 0); cnnkit always drops them, which equals
    # Keras given unit weights.
    run_both(ours, theirs, kind, weighted, RTOL, ones="ignore_class" in kwargs)


AUC_CASES = [
    ({}, "binary_n"),
    ({}, "binary_n1"),
    ({}, "onehot"),
    ({"num_thresholds": 50}, "multilabel"),
    ({"num_thresholds": 3}, "binary_n"),
    ({"summation_method": "minoring"}, "binary_n1"),
    ({"summation_method": "majoring"}, "binary_n1"),
    ({"curve": "PR"}, "binary_n1"),
    ({"curve": "PR"}, "onehot"),
    ({"curve": "PR", "summation_method": "minoring"}, "multilabel"),
    ({"curve": "PR", "summation_method": "majoring"}, "multilabel"),
    ({"curve": "PRGAIN"}, "binary_n1"),
    ({"curve": "pr", "summation_method": "Interpolation"}, "binary_n"),
    ({"thresholds": [0.1, 0.3, 0.55, 0.9]}, "binary_n"),
    ({"thresholds": [0.25, 0.5, 0.75]}, "binary_n"),
    ({"multi_label": True}, "multilabel"),
    ({"multi_label": True, "num_labels": 3}, "multilabel"),
    ({"multi_label": True, "curve": "PR"}, "multilabel"),
    ({"multi_label": True, "label_weights": [0.2, 1.0, 3.0]}, "multilabel"),
    ({"multi_label": True, "thresholds": [0.2, 0.45, 0.8]}, "multilabel"),
    ({"label_weights": [0.2, 1.0, 3.0]}, "multilabel"),
    ({"from_logits": True}, "binary_logits"),
    ({"from_logits": True, "curve": "PR"}, "binary_logits"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("kwargs", "kind"), AUC_CASES, ids=[f"{k}-{d}" for k, d in AUC_CASES]
)
def test_auc_matches_keras_over_batches(
    kwargs: dict, kind: str, weighted: bool
) -> None:
    run_both(
        metrics.AUC(**kwargs), keras.metrics.AUC(**kwargs), kind, weighted, AUC_RTOL
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_mean_and_sum_match_keras(weighted: bool) -> None:
    rng = np.random.default_rng(0)
    pairs = [
        (metrics.Mean(), keras.metrics.Mean()),
        (metrics.Sum(), keras.metrics.Sum()),
    ]
    for shape in [(6,), (4, 3), (5, 2, 2), ()]:
        values = rng.normal(size=shape).astype(np.float32)
        weight = None
        if weighted and shape:
            weight = rng.random(shape[:1]).astype(np.float32)
        for ours, theirs in pairs:
            ours.update_state(values, sample_weight=weight)
            theirs.update_state(values, sample_weight=weight)
            np.testing.assert_allclose(
                ours.result().numpy(),
                keras.ops.convert_to_numpy(theirs.result()),
                rtol=RTOL,
                atol=ATOL,
            )


@pytest.mark.parametrize(
    ("fn_name", "kwargs", "kind"),
    [
        ("mean_squared_error", {}, "regression"),
        ("binary_accuracy", {"threshold": 0.7}, "binary_n1"),
        ("sparse_top_k_categorical_accuracy", {"k": 2}, "sparse"),
        ("categorical_crossentropy", {"label_smoothing": 0.1}, "onehot"),
    ],
)
def test_mean_metric_wrapper_matches_keras(
    fn_name: str, kwargs: dict, kind: str
) -> None:
    ours = metrics.MeanMetricWrapper(getattr(metrics, fn_name), name="w", **kwargs)
    theirs = keras.metrics.MeanMetricWrapper(
        getattr(keras.metrics, fn_name), name="w", **kwargs
    )
    run_both(ours, theirs, kind, weighted=True, rtol=RTOL)
    assert ours._direction == getattr(theirs, "_direction", None)


@pytest.mark.parametrize(
    ("class_name", "kwargs", "_kind"), [*CASES[::2], ("AUC", {}, "")]
)
def test_direction_and_config_match_keras(
    class_name: str, kwargs: dict, _kind: str
) -> None:
    ours = getattr(metrics, class_name)(name="m", **kwargs)
    theirs = getattr(keras.metrics, class_name)(name="m", **kwargs)
    assert ours._direction == getattr(theirs, "_direction", None)
    assert ours.get_config() == theirs.get_config()
    assert metrics.serialize(ours) == keras.metrics.serialize(theirs)


# The resolution rule: what Keras' compile() turns "accuracy" & co. into, per shape.
SHAPES = [
    ((32,), (32, 1)),
    ((32, 1), (32, 1)),
    ((32, 10), (32, 1)),
    ((32,), (32, 10)),
    ((32, 1), (32, 10)),
    ((32, 10), (32, 10)),
    ((32, 3), (32, 3)),
    ((32, 2), (32, 10)),
    ((8, 6, 6), (8, 6, 6, 4)),
    ((8, 6, 6, 1), (8, 6, 6, 4)),
    ((8, 6, 6, 4), (8, 6, 6, 4)),
    ((8, 6, 6, 1), (8, 6, 6, 1)),
]


@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy", "ACC"])
@pytest.mark.parametrize(("y_true_shape", "y_pred_shape"), SHAPES)
def test_accuracy_resolution_matches_keras_compile(
    identifier: str, y_true_shape: tuple, y_pred_shape: tuple
) -> None:
    theirs = keras_get_metric(
        identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape)
    )
    ours = metrics.resolve(identifier, y_true_shape, y_pred_shape)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name == identifier


@pytest.mark.parametrize(
    "identifier",
    [
        "mse",
        "MSE",
        "mae",
        "mape",
        "msle",
        "bce",
        "auc",
        "precision",
        "recall",
        "AUC",
        "f1_score",
        "top_k_categorical_accuracy",
        "categorical_crossentropy",
        "sparse_categorical_accuracy",
        "root_mean_squared_error",
        "kl_divergence",
        "Precision",
    ],
)
def test_string_metric_ids_match_keras_compile(identifier: str) -> None:
    y_true, y_pred = np.zeros((4, 3)), np.zeros((4, 3))
    theirs = keras_get_metric(identifier, y_true, y_pred)
    ours = metrics.resolve(identifier, y_true.shape, y_pred.shape)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name == identifier


def test_function_and_instance_metrics_are_named_like_keras_compile() -> None:
    y = np.zeros((4, 3))
    theirs = keras_get_metric(keras.metrics.mean_squared_error, y, y)
    ours = metrics.resolve(metrics.mean_squared_error, y.shape, y.shape)
    assert type(ours).__name__ == type(theirs).__name__ == "MeanMetricWrapper"
    assert ours.name == theirs.name
    theirs = keras_get_metric(keras.metrics.AUC(name="roc"), y, y)
    assert metrics.resolve(metrics.AUC(name="roc")).name == theirs.name


def test_serialized_metric_loads_in_keras() -> None:
    ours = metrics.AUC(curve="PR", num_thresholds=50, name="pr_auc")
    theirs = keras.metrics.deserialize(metrics.serialize(ours))
    assert theirs.get_config() == ours.get_config()
    back = metrics.deserialize(keras.metrics.serialize(theirs))
    assert back.get_config() == ours.get_config()
