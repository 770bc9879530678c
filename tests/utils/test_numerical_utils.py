"""to_categorical and normalize: Keras semantics, teaching errors, Keras oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.utils.numerical_utils import normalize, to_categorical


def test_to_categorical_is_float64_one_hot() -> None:
    out = to_categorical([0, 2, 1], num_classes=4)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.eye(4)[[0, 2, 1]])


def test_to_categorical_infers_num_classes_from_the_largest_label() -> None:
    assert to_categorical(np.array([3, 1])).shape == (2, 4)


def test_to_categorical_drops_a_trailing_axis_of_one() -> None:
    y = np.array([[1], [0], [2]], dtype=np.uint8)  # CIFAR's (N, 1) labels
    assert to_categorical(y, 3).shape == (3, 3)
    assert to_categorical(np.zeros((2, 5, 1), int), 2).shape == (2, 5, 2)
    assert to_categorical(np.zeros((2, 5), int), 2).shape == (2, 5, 2)


def test_to_categorical_of_a_scalar_is_one_row() -> None:
    np.testing.assert_array_equal(to_categorical(1, 3), [0.0, 1.0, 0.0])


def test_to_categorical_accepts_whole_floats_bools_and_tensors() -> None:
    np.testing.assert_array_equal(to_categorical([1.0, 0.0]), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical([True, False]), [[0, 1], [1, 0]])
    out = to_categorical(torch.tensor([2, 0]), 3)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


def test_to_categorical_with_num_classes_on_empty_input() -> None:
    assert to_categorical(np.array([], dtype=int), 3).shape == (0, 3)


@given(
    hnp.arrays(
        np.int64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.integers(0, 9),
    )
)
def test_to_categorical_argmax_recovers_the_labels(y: np.ndarray) -> None:
    out = to_categorical(y, 10)
    np.testing.assert_array_equal(out.sum(axis=-1), 1.0)
    expected = y[..., 0] if y.ndim > 1 and y.shape[-1] == 1 else y
    np.testing.assert_array_equal(out.argmax(axis=-1), expected)


def test_negative_labels_are_refused() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"class indices must be >= 0, but 1 label is negative; the smallest is "
        r"-1 at index 2\. If -1 marks 'unlabelled', drop those samples first "
        r"\(`keep = y >= 0`",
    ):
        to_categorical([0, 1, -1])


def test_negative_labels_report_the_smallest_and_the_first() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"but 2 labels are negative; the smallest is -3 at index 4 \(the first "
        r"negative is -1 at index 2\)\..*undo the shift",
    ):
        to_categorical(np.array([0, 1, -1, 2, -3]), num_classes=3)


def test_labels_at_or_above_num_classes_are_refused() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"class index 10 at index 1 is >= num_classes=10; .* num_classes=11",
    ):
        to_categorical([3, 10], num_classes=10)


def test_labels_starting_at_one_mention_the_fix() -> None:
    with pytest.raises(InvalidArgumentError, match=r"at index \(1, 0\)"):
        to_categorical(np.array([[1], [3]]), num_classes=3)


@pytest.mark.parametrize("bad", [[0.5, 1.0], [np.nan], [np.inf]])
def test_fractional_labels_are_refused(bad: list[float]) -> None:
    with pytest.raises(InvalidArgumentError, match="expects integer class indices"):
        to_categorical(bad)


def test_probabilities_get_the_argmax_hint() -> None:
    with pytest.raises(InvalidArgumentError, match=r"y\.argmax\(axis=-1\)"):
        to_categorical(np.array([[0.2, 0.8]]))


def test_string_labels_are_a_type_error() -> None:
    with pytest.raises(InvalidTypeError, match=r"dtype <U3.*np\.unique"):
        to_categorical(["cat", "dog"])


@pytest.mark.parametrize("num_classes", ["3", 2.0, True])
def test_num_classes_must_be_an_int(num_classes: object) -> None:
    with pytest.raises(InvalidTypeError, match="`num_classes` must be a positive"):
        to_categorical([0], num_classes=num_classes)  # type: ignore[arg-type]


@pytest.mark.parametrize("num_classes", [0, -2])
def test_num_classes_must_be_positive(num_classes: int) -> None:
    with pytest.raises(InvalidArgumentError, match=f"num_classes={num_classes}"):
        to_categorical([0], num_classes=num_classes)


def test_empty_labels_need_num_classes() -> None:
    with pytest.raises(InvalidArgumentError, match="cannot infer `num_classes`"):
        to_categorical([])


def test_normalize_l2_rows() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0, 0], [1, 0]])


def test_normalize_other_orders_and_axes() -> None:
    x = np.array([[1.0, 3.0], [1.0, 1.0]])
    np.testing.assert_allclose(normalize(x, order=1), [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(normalize(x, order=np.inf), [[1 / 3, 1], [1, 1]])
    np.testing.assert_allclose(
        normalize(x, axis=0), x / np.sqrt([[2.0, 10.0]]), rtol=1e-12
    )


def test_normalize_keeps_float32_and_promotes_integers() -> None:
    assert normalize(np.ones((2, 2), np.float32)).dtype == np.float32
    assert normalize(np.ones((2, 2), np.int64)).dtype == np.float64


def test_normalize_tensors_stay_tensors() -> None:
    out = normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert isinstance(out, torch.Tensor)
    torch.testing.assert_close(out, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))
    assert normalize(torch.tensor([[3, 4]])).dtype == torch.float64


@pytest.mark.parametrize("axis", [2, -3, True, 1.0])
def test_normalize_axis_out_of_range(axis: object) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`axis` must be an integer in \[-2, 1\]"
    ):
        normalize(np.ones((2, 2)), axis=axis)  # type: ignore[arg-type]


def test_normalize_refuses_scalars() -> None:
    with pytest.raises(InvalidArgumentError, match="at least one axis"):
        normalize(np.float64(3.0))


@pytest.mark.oracle
def test_matches_keras() -> None:
    import keras

    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, size=(20, 1))
    np.testing.assert_array_equal(to_categorical(y), keras.utils.to_categorical(y))
    np.testing.assert_array_equal(
        to_categorical(y[:, 0], 9), keras.utils.to_categorical(y[:, 0], 9)
    )
    x = rng.normal(size=(4, 5, 3))
    x[1] = 0
    for axis, order in [(-1, 2), (1, 1), (2, 3)]:
        ours = normalize(x, axis=axis, order=order)
        theirs = keras.utils.normalize(x, axis=axis, order=order)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
