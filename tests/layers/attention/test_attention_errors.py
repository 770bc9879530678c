"""The teaching errors of MultiHeadAttention, EinsumDense and Embedding, and the
behaviour that needs no oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers import EinsumDense, Embedding, MultiHeadAttention


def test_multi_head_attention_needs_query_and_value() -> None:
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    with pytest.raises(InvalidArgumentError, match=r"needs `query` and `value`"):
        layer(torch.ones(1, 4, 6))


def test_multi_head_attention_key_must_match_value_steps() -> None:
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    with pytest.raises(InvalidArgumentError, match=r"`value` and `key` must agree"):
        layer(torch.ones(1, 4, 6), torch.ones(1, 5, 6), torch.ones(1, 3, 6))


def test_multi_head_attention_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`attention_axes` must be an int"):
        MultiHeadAttention(num_heads=2, key_dim=3, attention_axes="steps")
    with pytest.raises(InvalidArgumentError, match=r"flash_attention=True cannot drop"):
        MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1, flash_attention=True)
    with pytest.raises(InvalidArgumentError, match=r"`num_heads` must be a positive"):
        MultiHeadAttention(num_heads=0, key_dim=3)


def test_multi_head_attention_in_a_functional_model_trains_and_reloads(
    tmp_path: object,
) -> None:
    inputs = cnnkit.Input((6, 8))
    out, scores = MultiHeadAttention(num_heads=2, key_dim=4)(
        inputs, inputs, return_attention_scores=True
    )
    assert scores.shape == (None, 2, 6, 6)
    logits = cnnkit.layers.Dense(3)(cnnkit.layers.GlobalAveragePooling1D()(out))
    model = cnnkit.Model(inputs, logits)
    model.compile(
        optimizer="adam",
        loss=cnnkit.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6, 8)).astype("float32")
    y = rng.integers(0, 3, size=16)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = f"{tmp_path}/m.keras"
    model.save(path)
    reloaded = cnnkit.models.load_model(path)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0),
        model.predict(x, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"equation": "ab->b", "output_shape": 3}, r"invalid `equation` 'ab->b'"),
        ({"equation": 3, "output_shape": 3}, r"`equation` must be a string"),
        ({"equation": "ab,bc->ac", "output_shape": 3, "lora_rank": 2}, r"no LoRA"),
    ],
)
def test_einsum_dense_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        EinsumDense(**kwargs)


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "shape", "match"),
    [
        ("ab,bc->ac", 3, None, (2, 4, 5), r"the equation names 2 input axes"),
        ("ab,bc->ac", (3, 4), None, (2, 4), r"does not fit the output axes 'ac'"),
        ("abc,cd->abd", (5, 3), None, (2, 4, 6), r"axis 'b' is shared"),
        ("ab,bc->acd", (3, 2), None, (2, 4), r"output axis 'd' .* is in neither"),
        ("ab,bcd->ac", 3, None, (2, 4), r"kernel axis 'd' .* is in neither"),
        ("ab,bc->ac", 3, "d", (2, 4), r"bias axis 'd' .* is not an output axis"),
        ("ab,bc->ac", 3, None, (2, None), r"the kernel axis 'b' needs a known size"),
    ],
)
def test_einsum_dense_shape_errors(
    equation: str, output_shape: object, bias_axes: str | None, shape: tuple, match: str
) -> None:
    layer = EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes)
    # Shape errors are IncompatibleShapeError, argument errors InvalidArgumentError:
    # both are ValueErrors.
    with pytest.raises(ValueError, match=match):
        layer.build(shape)


def test_einsum_dense_in_a_sequential_model() -> None:
    model = cnnkit.Sequential(
        [cnnkit.Input((4, 5)), EinsumDense("abc,cd->abd", (None, 3), bias_axes="d"),
         cnnkit.layers.Flatten()]
    )  # fmt: skip
    assert model.output_shape == (None, 12)
    assert model.predict(np.ones((2, 4, 5), "float32"), verbose=0).shape == (2, 12)


def test_embedding_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`input_dim` must be a positive"):
        Embedding(input_dim=0, output_dim=3)
    with pytest.raises(InvalidArgumentError, match=r"Embedding got lora_rank=4"):
        Embedding(10, 3, lora_rank=4)


def test_embedding_input_length_is_deprecated() -> None:
    with pytest.warns(UserWarning, match=r"`input_length` is deprecated"):
        layer = Embedding(10, 3, input_length=5)
    assert layer(torch.tensor([[1, 2]])).shape == (1, 2, 3)


def test_embedding_without_mask_zero_has_no_mask() -> None:
    assert Embedding(10, 3).compute_mask(torch.tensor([[0, 1]])) is None


def test_attention_needs_a_list_of_query_and_value() -> None:
    layer = cnnkit.layers.Attention()
    with pytest.raises(
        InvalidArgumentError,
        match=r"on a list \[query.*received a single input of shape \(2, 3, 4\)",
    ):
        layer(torch.ones(2, 3, 4))
    with pytest.raises(InvalidArgumentError, match=r"received a list of length 1"):
        cnnkit.layers.AdditiveAttention()([torch.ones(2, 3, 4)])


def test_attention_mask_must_be_a_list() -> None:
    layer = cnnkit.layers.Attention()
    x = torch.ones(2, 3, 4)
    with pytest.raises(InvalidArgumentError, match=r"`mask` must be a list"):
        layer([x, x], mask=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(InvalidArgumentError, match=r"`score_mode` must be one of"):
        cnnkit.layers.Attention(score_mode="cosine")


def test_attention_causal_mask_hides_the_future() -> None:
    x = torch.randn(1, 4, 3)
    _, scores = cnnkit.layers.Attention()(
        [x, x], use_causal_mask=True, return_attention_scores=True
    )
    assert torch.triu(scores[0], diagonal=1).abs().max() == 0.0


def test_analyze_counts_multi_head_attention_work_in_one_row() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    from cnnkit.explain import analyze

    inputs = cnnkit.Input((5, 8))
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6)
    model = cnnkit.Model(inputs, layer(inputs, inputs))
    table = analyze(model)
    assert [row.kind for row in table.rows] == ["MultiHeadAttention"]
    assert table.rows[0].params == layer.count_params()
    # torch's fused attention hides its products from FlopCounterMode: count the
    # explicit path (scores returned), which does the same products.
    x = torch.rand(1, 5, 8)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        layer(x, x, return_attention_scores=True)
    assert table.rows[0].flops == counter.get_total_flops()
