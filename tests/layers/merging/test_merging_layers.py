"""Merging layers: NumPy references, gradients, shape properties, the contract harness,
and the build-time teaching errors (fired while a functional model is being defined).

Tolerances: elementwise results vs NumPy float64 ``rtol=atol=1e-6``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import cnnkit
from cnnkit import config, layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.layers.merging import Merge
from cnnkit.testing import run_layer_test

TOL = {"rtol": 1e-6, "atol": 1e-6}


def _xs(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype("float32") for s in shapes]


# ---------------------------------------------------------------- references

NUMPY = {
    "Add": lambda xs: sum(xs),
    "Subtract": lambda xs: xs[0] - xs[1],
    "Multiply": lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0),
    "Average": lambda xs: sum(xs) / len(xs),
    "Maximum": lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    "Minimum": lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
}


@pytest.mark.parametrize("name", sorted(NUMPY))
@pytest.mark.parametrize(
    "shapes", [[(2, 3, 3, 4)] * 2, [(2, 5), (2, 1)], [(2, 4, 4, 2), (2, 1, 1, 2)]]
)
def test_elementwise_matches_numpy(name: str, shapes: list[tuple[int, ...]]) -> None:
    xs = _xs(*shapes)
    expected = NUMPY[name]([x.astype("float64") for x in xs])
    got = getattr(layers, name)()([torch.from_numpy(x) for x in xs]).numpy()
    np.testing.assert_allclose(got, expected, **TOL)


def test_lower_rank_input_gains_axes_after_the_batch() -> None:
    """Keras' rule: (B, F) with (B, T, F) broadcasts as (B, 1, F), not numpy's way."""
    a, b = _xs((2, 3), (2, 4, 3))
    got = layers.Add()([torch.from_numpy(a), torch.from_numpy(b)]).numpy()
    np.testing.assert_allclose(got, a[:, None, :] + b, **TOL)


def test_concatenate_matches_numpy() -> None:
    xs = _xs((2, 3, 4), (2, 1, 4), (2, 2, 4))
    got = layers.Concatenate(axis=1)([torch.from_numpy(x) for x in xs]).numpy()
    np.testing.assert_array_equal(got, np.concatenate(xs, axis=1))


def test_single_input_is_returned_unchanged() -> None:
    x = torch.randn(2, 3)
    assert torch.equal(layers.Add()([x]), x)


@pytest.mark.parametrize(
    "name", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
)
def test_gradcheck_float64(name: str) -> None:
    layer = getattr(layers, name)(dtype="float64")
    a = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, 1, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: layer([x, y]), (a, b))


# ---------------------------------------------------------------- shapes


@given(
    rank=st.integers(2, 5),
    sizes=st.lists(st.integers(1, 4), min_size=5, max_size=5),
    extra=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    count=st.integers(1, 3),
    data=st.data(),
)
def test_concatenate_output_shape_equals_real_shape(
    rank: int, sizes: list[int], extra: list[int], count: int, data: st.DataObject
) -> None:
    axis = data.draw(st.integers(-rank + 1, rank - 1).filter(lambda a: a != 0))
    shapes = []
    for i in range(count):
        shape = [2, *sizes[1:rank]]
        shape[axis] = extra[i]
        shapes.append(tuple(shape))
    layer = layers.Concatenate(axis=axis)
    out = layer([torch.zeros(s) for s in shapes])
    symbolic = [tuple(None if i == 0 else d for i, d in enumerate(s)) for s in shapes]
    assert layer.compute_output_shape(symbolic) == (None, *out.shape[1:])


@given(
    sizes=st.lists(st.integers(2, 4), min_size=3, max_size=3),
    ones=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_broadcast_output_shape_equals_real_shape(
    sizes: list[int], ones: list[bool]
) -> None:
    full = (2, *sizes)
    gate = (2, *(1 if one else d for one, d in zip(ones, sizes)))
    layer = layers.Multiply()
    out = layer([torch.zeros(full), torch.zeros(gate)])
    assert layer.compute_output_shape([(None, *full[1:]), (None, *gate[1:])]) == (
        None, *out.shape[1:],
    )  # fmt: skip


def test_unknown_sizes_pass_through() -> None:
    add = layers.Add()
    assert add.compute_output_shape([(None, None, 4), (None, 5, 4)]) == (None, None, 4)
    assert add.compute_output_shape([(3, 5, 4), (None, 5, 1)]) == (3, 5, 4)
    concat = layers.Concatenate(axis=1)
    assert concat.compute_output_shape([(None, None, 4), (None, 5, 4)]) == (
        None,
        None,
        4,
    )
    assert concat.compute_output_shape([(None, 3, None), (None, 5, 4)]) == (None, 8, 4)


# ---------------------------------------------------------------- contract harness


@pytest.mark.parametrize(
    ("cls", "kwargs", "shapes", "expected"),
    [
        (layers.Add, {}, [(2, 4, 4, 3), (2, 4, 4, 3)], (2, 4, 4, 3)),
        (layers.Subtract, {}, [(2, 5), (2, 5)], (2, 5)),
        (layers.Multiply, {}, [(2, 4, 4, 3), (2, 1, 1, 3)], (2, 4, 4, 3)),
        (layers.Average, {}, [(2, 5)] * 3, (2, 5)),
        (layers.Maximum, {}, [(2, 5)] * 2, (2, 5)),
        (layers.Minimum, {}, [(2, 5)] * 2, (2, 5)),
        (layers.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], (2, 5, 4)),
    ],
)
def test_layer_contract(
    cls: Any, kwargs: dict[str, Any], shapes: Any, expected: Any
) -> None:
    run_layer_test(
        cls, kwargs, input_shape=shapes, expected_output_shape=expected,
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )  # fmt: skip


def test_functional_model_with_merges_runs() -> None:
    inputs = cnnkit.Input((8, 8, 3))
    pooled = layers.MaxPooling2D(3, strides=1, padding="same")(inputs)
    mixed = layers.add([inputs, pooled])
    outputs = layers.concatenate([mixed, layers.multiply([inputs, pooled])])
    model = cnnkit.Model(inputs, outputs)
    assert outputs.shape == (None, 8, 8, 6)
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype("float32")
    assert tuple(model(x).shape) == (2, 8, 8, 6)


# ---------------------------------------------------------------- teaching errors


@pytest.fixture
def channels_first() -> Iterator[None]:
    before = config.image_data_format()
    config.set_image_data_format("channels_first")
    yield
    config.set_image_data_format(before)


def test_add_channel_mismatch_suggests_a_1x1_convolution() -> None:
    a, b = cnnkit.Input((8, 8, 4)), cnnkit.Input((8, 8, 6))
    with pytest.raises(IncompatibleShapeError) as info:
        cnnkit.Model([a, b], layers.Add(name="shortcut")([a, b]))
    message = str(info.value)
    assert "Add 'shortcut'" in message  # who
    assert "[(None, 8, 8, 4), (None, 8, 8, 6)]" in message  # every input shape
    assert "axis 3 differs: 4 vs 6" in message  # which axis
    assert "`Conv2D(6, kernel_size=1)(x)`" in message  # the fix


def test_add_spatial_mismatch_suggests_same_padding_or_resizing() -> None:
    a, b = cnnkit.Input((8, 8, 4)), cnnkit.Input((6, 6, 4))
    with pytest.raises(
        IncompatibleShapeError,
        match=r"axis 1 differs: 8 vs 6.*padding='same'.*Cropping2D",
    ):
        layers.add([a, b])


def test_mismatch_fixes_follow_rank_and_data_format(channels_first: None) -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"axis 1 differs: 4 vs 6.*`Conv2D\(6"
    ):
        layers.Maximum()([cnnkit.Input((4, 8, 8)), cnnkit.Input((6, 8, 8))])
    with pytest.raises(IncompatibleShapeError, match=r"`Conv3D\(5"):
        layers.Average()([cnnkit.Input((3, 4, 4, 4)), cnnkit.Input((5, 4, 4, 4))])


def test_feature_and_sequence_mismatches() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"axis 1 differs: 4 vs 6.*`Dense\(6\)`"
    ):
        layers.subtract([cnnkit.Input((4,)), cnnkit.Input((6,))])
    with pytest.raises(
        IncompatibleShapeError, match=r"axis 2 differs: 8 vs 3.*`Conv1D\(8"
    ):
        layers.multiply([cnnkit.Input((10, 8)), cnnkit.Input((10, 3))])
    with pytest.raises(IncompatibleShapeError, match=r"spatial axis.*\(Cropping3D"):
        layers.minimum([cnnkit.Input((4, 4, 4, 2)), cnnkit.Input((4, 5, 4, 2))])


def test_concatenate_mismatch_names_the_axis_and_suggests_a_fix() -> None:
    a, b = cnnkit.Input((8, 8, 4)), cnnkit.Input((6, 6, 4))
    with pytest.raises(IncompatibleShapeError) as info:
        cnnkit.Model([a, b], layers.Concatenate(name="join")([a, b]))
    message = str(info.value)
    assert "Concatenate 'join'" in message
    assert "[(None, 8, 8, 4), (None, 6, 6, 4)]" in message
    assert "axis=-1" in message
    assert "concatenation axis 3" in message
    assert "axis 1 differs: 8 vs 6" in message
    assert "Cropping2D, ZeroPadding2D or MaxPooling2D" in message


def test_concatenate_channel_mismatch_on_another_axis() -> None:
    a, b = cnnkit.Input((8, 8, 4)), cnnkit.Input((8, 8, 6))
    with pytest.raises(
        IncompatibleShapeError, match=r"axis 3 differs.*use the default axis=-1"
    ):
        layers.concatenate([a, b], axis=1)


def test_concatenate_feature_mismatch_fix() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"axis 1 differs: 4 vs 5.*Make the inputs"
    ):
        layers.concatenate([cnnkit.Input((4,)), cnnkit.Input((5,))], axis=0)


def test_concatenate_rank_and_axis_errors() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"same rank, but they have ranks \[3, 4\]"
    ):
        layers.concatenate([cnnkit.Input((8, 8, 4)), cnnkit.Input((8, 4))])
    with pytest.raises(
        IncompatibleShapeError, match=r"axis=4 is out of range.*-4\.\.3"
    ):
        layers.Concatenate(axis=4)([cnnkit.Input((8, 8, 4))] * 2)
    with pytest.raises(
        InvalidTypeError, match=r"`axis` must be an int; received axis='1'"
    ):
        layers.Concatenate(axis="1")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"takes a list of tensors"):
        layers.concatenate(torch.zeros(2, 3))  # type: ignore[arg-type]


def test_merge_needs_a_list() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"must be called on a list of tensors.*\(2, 3\)"
    ):
        layers.Add()(torch.zeros(2, 3))
    with pytest.raises(InvalidArgumentError, match=r"received an empty list"):
        layers.Add()([])
    with pytest.raises(InvalidArgumentError, match=r"needs inputs with a batch axis"):
        layers.Add()([torch.tensor(1.0), torch.tensor(2.0)])
    built = layers.Concatenate()
    built([torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(
        InvalidArgumentError, match=r"must be called on a list of tensors"
    ):
        built(torch.zeros(2, 3))
    added = layers.Add()
    added([torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(
        InvalidArgumentError, match=r"must be called on a list of tensors"
    ):
        added(torch.zeros(2, 3))


def test_subtract_takes_exactly_two_inputs() -> None:
    x = cnnkit.Input((4,))
    with pytest.raises(
        InvalidArgumentError, match=r"takes exactly 2 inputs; received 3 inputs"
    ):
        layers.Subtract()([x, x, x])
    with pytest.raises(
        InvalidArgumentError, match=r"takes exactly 2 inputs; received 1"
    ):
        layers.subtract([x])


def test_different_batch_sizes() -> None:
    with pytest.raises(IncompatibleShapeError, match=r"different batch sizes \[2, 3\]"):
        layers.Add()([torch.zeros(2, 4), torch.zeros(3, 4)])


def test_later_eager_call_with_incompatible_shapes() -> None:
    add = layers.Add()
    add([torch.zeros(2, 4), torch.zeros(2, 4)])
    with pytest.raises(
        IncompatibleShapeError, match=r"\[\(2, 4\), \(2, 5\)\].*axis 1 differs"
    ):
        add([torch.zeros(2, 4), torch.zeros(2, 5)])
    concat = layers.Concatenate()
    concat([torch.zeros(2, 3, 4), torch.zeros(2, 3, 1)])
    with pytest.raises(IncompatibleShapeError, match=r"axis 1 differs: 3 vs 2"):
        concat([torch.zeros(2, 3, 4), torch.zeros(2, 2, 1)])


def test_base_merge_has_no_merge_function() -> None:
    with pytest.raises(TypeError, match=r"abstract class Merge.*_merge_function"):
        Merge()
