"""IoU metrics: values by hand, options, configs, compile(), and Keras as the oracle.

Oracle tolerance: rtol=1e-6 (both compute the same float32 divisions).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from cnnkit import Input, Model, layers, metrics
from cnnkit.errors import InvalidArgumentError


def test_mean_iou_by_hand() -> None:
    m = metrics.MeanIoU(num_classes=3)
    m.update_state(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
    # class 0: 1/1; class 1: 1/(2+1-1); class 2: 1/(1+2-1)
    assert float(m.result()) == pytest.approx((1 + 0.5 + 0.5) / 3, rel=1e-6)
    assert m.name.startswith("mean_io_u")
    assert m.total_cm.dtype == torch.int32
    m.reset_state()
    assert int(m.total_cm.sum()) == 0
    assert float(m.result()) == 0.0


def test_classes_absent_from_both_are_not_averaged() -> None:
    m = metrics.MeanIoU(num_classes=4)
    m.update_state(np.array([0, 1]), np.array([0, 1]))
    assert float(m.result()) == pytest.approx(1.0, rel=1e-6)


def test_state_accumulates_over_batches_and_images() -> None:
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, (4, 5, 5))
    pred = rng.integers(0, 3, (4, 5, 5))
    whole = metrics.MeanIoU(num_classes=3)
    whole.update_state(true, pred)
    split = metrics.MeanIoU(num_classes=3)
    split.update_state(true[:2], pred[:2])
    split.update_state(true[2:], pred[2:])
    torch.testing.assert_close(whole.total_cm, split.total_cm)
    assert int(whole.total_cm.sum()) == true.size


def test_ignore_class_and_out_of_range_labels_are_skipped() -> None:
    m = metrics.MeanIoU(num_classes=2, ignore_class=255)
    m.update_state(np.array([0, 1, 255, 7]), np.array([0, 1, 0, 1]))
    assert int(m.total_cm.sum()) == 2
    assert float(m.result()) == pytest.approx(1.0, rel=1e-6)


def test_softmax_output_with_sparse_y_pred_false() -> None:
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    m = metrics.MeanIoU(num_classes=2, sparse_y_pred=False)
    m.update_state(torch.tensor([0, 1, 1]), probs)
    # predicted [0, 1, 0]: class 0 -> 1/2, class 1 -> 1/2
    assert float(m.result()) == pytest.approx(0.5, rel=1e-6)


def test_iou_of_target_classes_and_binary_iou() -> None:
    m = metrics.IoU(num_classes=3, target_class_ids=[2])
    m.update_state(np.array([0, 2, 2]), np.array([2, 2, 1]))
    assert float(m.result()) == pytest.approx(1 / 3, rel=1e-6)
    b = metrics.BinaryIoU(target_class_ids=[1], threshold=0.3)
    b.update_state(np.array([0, 1, 1, 0]), np.array([0.1, 0.3, 0.9, 0.5]))
    assert float(b.result()) == pytest.approx(2 / 3, rel=1e-6)


def test_one_hot_variants() -> None:
    true = np.eye(3, dtype="float32")[[0, 1, 2, 2]]
    pred = np.eye(3, dtype="float32")[[0, 1, 1, 2]]
    m = metrics.OneHotMeanIoU(num_classes=3)
    m.update_state(true, pred)
    assert float(m.result()) == pytest.approx(2 / 3, rel=1e-6)
    one = metrics.OneHotIoU(num_classes=3, target_class_ids=[0])
    one.update_state(true, pred)
    assert float(one.result()) == pytest.approx(1.0, rel=1e-6)


def test_float_weights_with_int_state_warn_as_keras() -> None:
    m = metrics.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match="truncated to integers"):
        m.update_state(np.array([0, 1]), np.array([0, 1]), np.array([0.5, 1.0]))
    weighted = metrics.MeanIoU(num_classes=2, dtype="float32")
    weighted.update_state(np.array([0, 1]), np.array([0, 1]), np.array([0.5, 2.0]))
    assert float(weighted.total_cm.sum()) == 2.5


def test_configs_round_trip_through_the_registry() -> None:
    for metric in (
        metrics.MeanIoU(num_classes=3, ignore_class=0, name="miou"),
        metrics.IoU(num_classes=4, target_class_ids=[1, 3]),
        metrics.BinaryIoU(threshold=0.4),
        metrics.OneHotIoU(num_classes=3, target_class_ids=[2]),
        metrics.OneHotMeanIoU(num_classes=3),
    ):
        rebuilt = metrics.deserialize(metrics.serialize(metric))
        assert type(rebuilt) is type(metric)
        assert rebuilt.get_config() == metric.get_config()


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(InvalidArgumentError, match="`num_classes` must be a positive"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(InvalidArgumentError, match=r"`target_class_ids`.*\[0, 3\)"):
        metrics.IoU(num_classes=3, target_class_ids=[3])


def test_compile_logs_mean_io_u() -> None:
    inputs = Input((6, 6, 1))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    outputs = layers.Conv2D(3, 1, activation="softmax")(x)
    model = Model(inputs, outputs)
    miou = metrics.MeanIoU(num_classes=3, sparse_y_pred=False)
    # Auto names are unique per process (`mean_io_u`, then `mean_io_u_1`), as in Keras.
    assert re.fullmatch(r"mean_io_u(_\d+)?", miou.name)
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=[miou]
    )
    rng = np.random.default_rng(1)
    images = rng.random((8, 6, 6, 1)).astype("float32")
    masks = rng.integers(0, 3, (8, 6, 6))
    history = model.fit(images, masks, epochs=1, batch_size=4, verbose=0)
    assert 0.0 <= history.history[miou.name][0] <= 1.0
    logs = model.evaluate(images, masks, verbose=0, return_dict=True)
    assert miou.name in logs


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("name", "kwargs", "kind"),
    [
        ("MeanIoU", {"num_classes": 4}, "sparse"),
        ("MeanIoU", {"num_classes": 4, "ignore_class": 2}, "sparse"),
        ("MeanIoU", {"num_classes": 4, "sparse_y_pred": False}, "probs"),
        ("IoU", {"num_classes": 4, "target_class_ids": [1, 3]}, "sparse"),
        ("BinaryIoU", {"threshold": 0.4}, "binary"),
        ("BinaryIoU", {"target_class_ids": [1]}, "binary"),
        ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "onehot"),
        ("OneHotMeanIoU", {"num_classes": 4}, "onehot"),
        ("MeanIoU", {"num_classes": 4, "dtype": "float32"}, "weighted"),
    ],
)
def test_matches_keras(name: str, kwargs: dict, kind: str) -> None:
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(3)
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for n in (30, 17):
        true = rng.integers(0, 4, (n, 3))
        pred: np.ndarray = rng.integers(-1, 5, (n, 3))
        weight = None
        if kind == "probs":
            pred = rng.dirichlet(np.ones(4), (n, 3)).astype("float32")
        elif kind == "binary":
            true = rng.integers(0, 2, (n, 3))
            pred = rng.random((n, 3)).astype("float32")
        elif kind == "onehot":
            true = np.eye(4, dtype="float32")[true]
            pred = rng.dirichlet(np.ones(4), (n, 3)).astype("float32")
        elif kind == "weighted":
            weight = rng.random((n, 3)).astype("float32")
        ours.update_state(true, pred, weight)
        theirs.update_state(true, pred, weight)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-6)
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}
