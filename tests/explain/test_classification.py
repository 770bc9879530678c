"""Confusion matrix, per-class scores and worst errors, against hand-written loops."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import explain
from cnnkit.errors import InvalidArgumentError

from .report_models import data_2d, sequential_2d


def _loop_confusion(true, pred, k):
    matrix = np.zeros((k, k), dtype=int)
    for t, p in zip(true, pred):
        matrix[t, p] += 1
    return matrix


def test_confusion_matrix_counts_pairs_from_indices_one_hot_and_scores():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, 200)
    scores = rng.random((200, 4))
    expected = _loop_confusion(true, scores.argmax(1), 4)
    np.testing.assert_array_equal(explain.confusion_matrix(true, scores), expected)
    np.testing.assert_array_equal(
        explain.confusion_matrix(np.eye(4)[true], scores.argmax(1)[:, None]), expected
    )
    assert explain.confusion_matrix([0, 1], [1, 1], num_classes=5).shape == (5, 5)


def test_class_scores_match_their_definitions():
    true = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 1, 1])
    scores = explain.class_scores(true, pred)
    np.testing.assert_allclose(scores["precision"], [1.0, 2 / 5, 0.0])
    np.testing.assert_allclose(scores["recall"], [1 / 3, 1.0, 0.0])
    np.testing.assert_allclose(scores["f1"], [0.5, 4 / 7, 0.0])
    np.testing.assert_array_equal(scores["support"], [3, 2, 1])


def test_worst_errors_are_the_most_confident_mistakes():
    x, y = data_2d()
    model = sequential_2d()
    probs = explain.class_probabilities(model, x)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    worst = explain.worst_errors(model, x, y, n=4)
    wrong = [i for i in range(len(y)) if probs[i].argmax() != y[i]]
    expected = sorted(wrong, key=lambda i: -probs[i].max())[:4]
    assert worst.indices.tolist() == expected
    assert worst.error_count == len(wrong)
    np.testing.assert_allclose(worst.confidence, probs[expected].max(1), rtol=1e-6)
    assert set(worst.to_dict()) >= {"indices", "confidence", "true", "predicted"}


def test_class_probabilities_softmax_logits():
    import torch

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    probs = explain.class_probabilities(model, np.ones((2, 1, 2, 2), "float32"))
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: explain.confusion_matrix([0, 1], [0]), "2 true labels and 1 predictions"),
        (lambda: explain.confusion_matrix([0, 3], [0, 1], num_classes=2),
         "`num_classes`=2 is too small: the labels reach class 3"),
        (lambda: explain.confusion_matrix(np.zeros((2, 2, 2)), [0, 1]),
         r"`y_true` must hold one label per sample.*\(2, 2, 2\)"),
        (lambda: explain.confusion_matrix([0.5, 1], [0, 1]), "must hold class indices"),
        (lambda: explain.worst_errors(None, None, [0]), "needs a `model`"),
        (lambda: explain.worst_errors(None, None, [0, 1], probabilities=np.ones((3, 2))),
         r"`y` has 2 labels but the predictions have shape \(3, 2\)"),
        (lambda: explain.worst_errors(None, None, [0, 5], probabilities=np.ones((2, 2))),
         "`y` holds class 5 but the model scores only 2 classes"),
    ],
)  # fmt: skip
def test_errors_teach(call, match):
    with pytest.raises(InvalidArgumentError, match=match):
        call()


def test_class_probabilities_needs_a_classifier():
    import cnnkit
    from cnnkit import layers

    model = cnnkit.Sequential([layers.Input((4, 4, 1)), layers.Conv2D(2, 3)])
    with pytest.raises(
        InvalidArgumentError, match="needs a classifier with one output"
    ):
        explain.class_probabilities(model, np.ones((1, 4, 4, 1), "float32"))
