"""cnnkit's float32 cross-entropy against obviously correct float64 NumPy loops.

Tolerance: rtol=1e-5, atol=1e-6 (float32 logs of float32 probabilities against float64).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cnnkit import losses

EPS = 1e-7
RTOL, ATOL = 1e-5, 1e-6


def reference_categorical_ce(
    y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool, label_smoothing: float
) -> np.ndarray:
    """Per-sample CE, one sample and one class at a time, in float64."""
    y_true = y_true.astype(np.float64)
    y_pred = y_pred.astype(np.float64)
    out = np.zeros(len(y_true))
    for i in range(len(y_true)):
        classes = len(y_true[i])
        target = [
            t * (1 - label_smoothing) + label_smoothing / classes for t in y_true[i]
        ]
        if from_logits:
            top = max(y_pred[i])
            log_norm = top + math.log(sum(math.exp(z - top) for z in y_pred[i]))
            log_probs = [z - log_norm for z in y_pred[i]]
        else:
            total = sum(y_pred[i])
            log_probs = [math.log(min(max(p / total, EPS), 1 - EPS)) for p in y_pred[i]]
        out[i] = -sum(t * lp for t, lp in zip(target, log_probs))
    return out


def reference_sparse_ce(
    labels: np.ndarray, y_pred: np.ndarray, from_logits: bool
) -> np.ndarray:
    one_hot = np.eye(y_pred.shape[-1])[labels.reshape(-1)]
    return reference_categorical_ce(one_hot, y_pred, from_logits, 0.0)


def random_case(seed: int, classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, 20)
    probs = rng.dirichlet(np.ones(classes) * 0.3, 20).astype(np.float32)
    probs[0, :] = 0.0
    probs[0, labels[0]] = 1.0  # a certain, correct prediction (clipped at 1 - eps)
    probs[1, labels[1]] = 0.0  # a certain, wrong prediction (clipped at eps)
    logits = rng.normal(0, 4, (20, classes)).astype(np.float32)
    return labels, probs, logits


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize(("seed", "classes"), [(0, 2), (1, 10), (2, 37)])
def test_categorical_crossentropy_matches_float64_reference(
    seed: int, classes: int, from_logits: bool, label_smoothing: float
) -> None:
    labels, probs, logits = random_case(seed, classes)
    y_true = np.eye(classes, dtype=np.float32)[labels]
    y_pred = logits if from_logits else probs
    expected = reference_categorical_ce(y_true, y_pred, from_logits, label_smoothing)
    got = losses.categorical_crossentropy(
        torch.from_numpy(y_true),
        torch.from_numpy(y_pred),
        from_logits=from_logits,
        label_smoothing=label_smoothing,
    )
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=RTOL, atol=ATOL)
    loss = losses.CategoricalCrossentropy(
        from_logits=from_logits, label_smoothing=label_smoothing
    )
    np.testing.assert_allclose(float(loss(y_true, y_pred)), expected.mean(), rtol=RTOL)


@pytest.mark.parametrize("label_shape", ["n", "n1"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_crossentropy_matches_float64_reference(
    from_logits: bool, label_shape: str
) -> None:
    labels, probs, logits = random_case(3, 10)
    y_pred = logits if from_logits else probs
    y_true = labels if label_shape == "n" else labels.reshape(-1, 1)
    expected = reference_sparse_ce(labels, y_pred, from_logits)
    got = losses.sparse_categorical_crossentropy(
        y_true, y_pred, from_logits=from_logits
    )
    np.testing.assert_allclose(got.numpy(), expected, rtol=RTOL, atol=ATOL)


def test_clipping_caps_a_zero_probability_at_minus_log_eps() -> None:
    y_pred = torch.tensor([[0.0, 1.0]])
    got = losses.categorical_crossentropy(torch.tensor([[1.0, 0.0]]), y_pred)
    assert float(got) == pytest.approx(-math.log(1e-7), rel=1e-6)


def test_probabilities_are_renormalised_before_the_log() -> None:
    y_true = torch.tensor([[0.0, 1.0]])
    scaled = losses.categorical_crossentropy(y_true, torch.tensor([[2.0, 6.0]]))
    plain = losses.categorical_crossentropy(y_true, torch.tensor([[0.25, 0.75]]))
    torch.testing.assert_close(scaled, plain)


def test_sum_over_batch_size_divides_by_elements_not_by_weights() -> None:
    per_sample = torch.tensor([1.0, 2.0, 3.0, 4.0])
    weight = torch.tensor([1.0, 0.0, 0.0, 0.0])
    assert float(losses.reduce_weighted_values(per_sample, weight)) == pytest.approx(
        0.25
    )
    assert float(
        losses.reduce_weighted_values(
            per_sample, weight, reduction="mean_with_sample_weight"
        )
    ) == pytest.approx(1.0)
    assert float(losses.reduce_weighted_values(per_sample, reduction="sum")) == 10.0


def test_rank_rule_keeps_regression_per_sample() -> None:
    """(N,) targets against an (N, 1) output: no (N, N) broadcast."""
    y_true = torch.tensor([1.0, 2.0, 3.0])
    y_pred = torch.tensor([[1.0], [2.0], [5.0]])
    assert losses.mean_squared_error(y_true, y_pred).shape == (3,)
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx(4.0 / 3.0)


def test_loss_is_differentiable_and_keeps_the_device() -> None:
    logits = torch.randn(4, 3, requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)(
        torch.tensor([0, 1, 2, 1]), logits
    )
    loss.backward()
    assert loss.dim() == 0
    assert logits.grad is not None
    assert torch.isfinite(logits.grad).all()


META_CASES = [
    (losses.CategoricalCrossentropy(label_smoothing=0.1), "onehot"),
    (losses.CategoricalCrossentropy(from_logits=True), "onehot"),
    (losses.SparseCategoricalCrossentropy(), "sparse"),
    (losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0), "sparse"),
    (losses.BinaryCrossentropy(label_smoothing=0.1), "binary"),
    (losses.BinaryCrossentropy(from_logits=True), "binary"),
    (losses.MeanSquaredError(), "binary"),
    (losses.Huber(), "onehot"),
    (losses.Hinge(), "onehot"),
    (losses.CosineSimilarity(), "onehot"),
    (losses.KLDivergence(), "onehot"),
    (losses.resolve("ce", (8,), (8, 5)), "sparse"),
]


@pytest.mark.parametrize(
    ("loss", "kind"), META_CASES, ids=lambda x: getattr(x, "name", x)
)
@pytest.mark.parametrize("reduction_weight", [None, "weights"])
def test_losses_run_on_data_free_meta_tensors(
    loss: losses.Loss, kind: str, reduction_weight: str | None
) -> None:
    """No loss reads a value back to the host per batch: it runs on meta tensors."""
    y_pred = torch.rand(8, 5, device="meta")
    y_true = {
        "onehot": torch.rand(8, 5, device="meta"),
        "sparse": torch.randint(0, 5, (8,), device="meta"),
        "binary": torch.rand(8, 5, device="meta"),
    }[kind]
    weight = torch.rand(8, device="meta") if reduction_weight else None
    value = loss(y_true, y_pred, sample_weight=weight)
    assert value.device.type == "meta"
    assert value.dim() == 0
