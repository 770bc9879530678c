"""Accuracy, the resolution rule and the NumPy confusion matrix against plain loops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import metrics


def reference_accuracy(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> float:
    """Weighted share of rows whose first highest score is at the label (float64)."""
    hits = total = 0.0
    for label, row, weight in zip(labels, scores, weights):
        best = max(range(len(row)), key=lambda j: (row[j], -j))
        hits += weight * (best == label)
        total += weight
    return hits / total


@pytest.mark.parametrize("label_shape", ["n", "n1", "onehot"])
def test_accuracy_matches_float64_reference_over_batches(label_shape: str) -> None:
    rng = np.random.default_rng(0)
    all_labels, all_scores, all_weights = [], [], []
    metric = metrics.resolve(
        "accuracy",
        (1,) if label_shape == "n" else (1, 1 if label_shape == "n1" else 7),
        (1, 7),
    )
    for n in (5, 11, 3):
        labels = rng.integers(0, 7, n)
        scores = rng.random((n, 7)).astype(np.float32)
        scores[0, :2] = 1.0  # a tie: argmax takes the first, as torch and NumPy do
        weights = rng.random(n).astype(np.float32)
        y_true = {"n": labels, "n1": labels[:, None], "onehot": np.eye(7)[labels]}[
            label_shape
        ]
        metric.update_state(torch.from_numpy(y_true), torch.from_numpy(scores), weights)
        all_labels.append(labels)
        all_scores.append(scores)
        all_weights.append(weights)
    expected = reference_accuracy(
        np.concatenate(all_labels),
        np.concatenate(all_scores),
        np.concatenate(all_weights),
    )
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)


def test_binary_accuracy_thresholds_strictly_above() -> None:
    y_pred = torch.tensor([[0.5], [0.50001], [0.2], [0.9]])
    y_true = torch.tensor([0, 1, 0, 0])
    assert metrics.binary_accuracy(y_true, y_pred).flatten().tolist() == [1, 1, 1, 0]


def test_top_k_beyond_the_number_of_classes_always_hits() -> None:
    acc = metrics.SparseTopKCategoricalAccuracy(k=5)
    acc.update_state(torch.tensor([0, 2]), torch.rand(2, 3))
    assert float(acc.result()) == 1.0


def test_running_means_divide_by_samples_seen() -> None:
    mean = metrics.Mean()
    mean.update_state(torch.ones(3, 4))  # 3 samples, per-sample mean 1
    mean.update_state(torch.zeros(1))
    assert float(mean.result()) == pytest.approx(0.75)
    assert metrics.Mean().result().item() == 0.0  # nothing seen yet: 0, not NaN


def reference_confusion(labels: list[int], preds: list[int], k: int) -> np.ndarray:
    table = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(labels, preds):
        table[t, p] += 1
    return table


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_matrix_matches_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, 50)
    scores = rng.random((50, 6))
    got = metrics.confusion_matrix(labels, scores)
    expected = reference_confusion(labels.tolist(), scores.argmax(1).tolist(), 6)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64
    # One-hot labels, (N, 1) labels, tensors and id predictions give the same table.
    np.testing.assert_array_equal(
        metrics.confusion_matrix(np.eye(6)[labels], torch.from_numpy(scores)), expected
    )
    np.testing.assert_array_equal(
        metrics.confusion_matrix(labels[:, None], scores.argmax(1), num_classes=6),
        expected,
    )


def test_confusion_matrix_weights_and_explicit_size() -> None:
    got = metrics.confusion_matrix(
        [0, 1, 1], [0, 1, 0], num_classes=3, weights=[0.5, 2.0, 1.0]
    )
    np.testing.assert_array_equal(got, [[0.5, 0, 0], [1.0, 2.0, 0], [0, 0, 0]])
    assert got.dtype == np.float64
    np.testing.assert_array_equal(metrics.confusion_matrix([], []), [[0]])
