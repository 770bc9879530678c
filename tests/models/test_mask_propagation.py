"""Sequence masks flow from ``Embedding(mask_zero=True)`` through a model as in
Keras: into the layers whose ``call`` takes ``mask=`` (recurrent layers, global
average pooling, Softmax), through the layers that support masking (Dense,
Dropout, normalization...), and end, with Keras' warning, at any other layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cnnkit

keras = pytest.importorskip("keras")

IDS = np.array([[4, 2, 1, 0, 0], [3, 1, 0, 0, 0], [1, 2, 3, 4, 1]], dtype="int32")


def _stack(lib: Any) -> list[Any]:
    L = lib.layers
    return [
        L.Embedding(5, 3, mask_zero=True),
        L.Dropout(0.2),
        L.LayerNormalization(),
        L.Bidirectional(L.LSTM(4, return_sequences=True)),
        L.Dense(4),
        L.GRU(3, return_sequences=True),
        L.GlobalAveragePooling1D(),
        L.Dense(2),
    ]


def _copy(ours: Any, theirs: Any) -> None:
    rng = np.random.default_rng(0)
    weights = [
        (w + 0.3 * rng.normal(size=w.shape)).astype("float32")
        for w in theirs.get_weights()
    ]
    theirs.set_weights(weights)
    ours.set_weights(weights)


@pytest.mark.oracle
def test_sequential_passes_masks_like_keras() -> None:
    ours = cnnkit.Sequential([cnnkit.Input((5,), dtype="int32"), *_stack(cnnkit)])
    theirs = keras.Sequential([keras.Input((5,), dtype="int32"), *_stack(keras)])
    _copy(ours, theirs)
    np.testing.assert_allclose(
        ours.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip


@pytest.mark.oracle
def test_functional_model_passes_masks_like_keras() -> None:
    def build(lib: Any) -> Any:
        ids = lib.Input((5,), dtype="int32")
        x = ids
        for layer in _stack(lib)[:4]:
            x = layer(x)
        last = lib.layers.LSTM(3)(x)
        return lib.Model(ids, lib.layers.Dense(2)(last))

    ours, theirs = build(cnnkit), build(keras)
    _copy(ours, theirs)
    np.testing.assert_allclose(
        ours.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip


def test_padding_does_not_change_the_result() -> None:
    model = cnnkit.Sequential(
        [cnnkit.Input((None,), dtype="int32"), cnnkit.layers.Embedding(5, 3, mask_zero=True),
         cnnkit.layers.LSTM(2)]
    )  # fmt: skip
    padded = model.predict(np.array([[1, 2, 0, 0]], "int32"), verbose=0)
    short = model.predict(np.array([[1, 2]], "int32"), verbose=0)
    np.testing.assert_allclose(padded, short, rtol=1e-6, atol=1e-6)


def test_a_layer_without_masking_ends_the_mask_with_keras_warning() -> None:
    model = cnnkit.Sequential(
        [cnnkit.Input((5,), dtype="int32"), cnnkit.layers.Embedding(5, 3, mask_zero=True),
         cnnkit.layers.Flatten(), cnnkit.layers.Dense(2)]
    )  # fmt: skip
    with pytest.warns(
        UserWarning, match=r"does not support masking and will therefore"
    ):
        out = model.predict(IDS, verbose=0)
    assert out.shape == (3, 2)


def test_an_explicit_mask_wins_over_the_propagated_one() -> None:
    ids = cnnkit.Input((5,), dtype="int32")
    vectors = cnnkit.layers.Embedding(5, 3, mask_zero=True, name="emb")(ids)
    keep_all = cnnkit.Input((5,), dtype="bool")
    out = cnnkit.layers.LSTM(2, name="lstm")(vectors, mask=keep_all)
    model = cnnkit.Model([ids, keep_all], out)
    lstm, embedding = model.get_layer("lstm"), model.get_layer("emb")
    everything = np.ones((3, 5), dtype=bool)
    expected = lstm(embedding(IDS))  # no mask at all
    got = model.predict([IDS, everything], verbose=0)
    np.testing.assert_allclose(got, expected.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.oracle
@pytest.mark.parametrize("scores", [False, True], ids=["fused", "scores"])
def test_multi_head_attention_takes_query_and_value_masks_like_keras(
    scores: bool,
) -> None:
    def build(lib: Any) -> Any:
        ids = lib.Input((5,), dtype="int32")
        other = lib.Input((4,), dtype="int32")
        embed = lib.layers.Embedding(6, 8, mask_zero=True)
        x, y = embed(ids), embed(other)
        attended = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4)(
            x, y, return_attention_scores=scores
        )
        out = attended[0] if scores else attended
        # The output keeps the query's mask: the pooling skips padded queries.
        return lib.Model([ids, other], lib.layers.GlobalAveragePooling1D()(out))

    ours, theirs = build(cnnkit), build(keras)
    _copy(ours, theirs)
    ids = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0]], dtype="int32")
    other = np.array([[5, 1, 0, 0], [2, 3, 4, 0]], dtype="int32")
    np.testing.assert_allclose(
        ours.predict([ids, other], verbose=0), theirs.predict([ids, other], verbose=0),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip


@pytest.mark.oracle
def test_a_transformer_block_keeps_the_mask_through_merges_like_keras() -> None:
    def build(lib: Any) -> Any:
        L = lib.layers
        ids = lib.Input((6,), dtype="int32")
        x = L.Embedding(7, 8, mask_zero=True)(ids)
        attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
        y = L.LayerNormalization()(L.Add()([x, attended]))
        both = L.Concatenate()([y, x])  # along the features: the steps' mask stays
        steps = L.Concatenate(axis=1)([y, L.Dense(8)(x)])  # along the steps
        pooled = L.Concatenate()(
            [L.GlobalAveragePooling1D()(both), L.GlobalAveragePooling1D()(steps)]
        )
        return lib.Model(ids, L.Dense(2)(pooled))

    ours, theirs = build(cnnkit), build(keras)
    _copy(ours, theirs)
    ids = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0]], dtype="int32")
    np.testing.assert_allclose(
        ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip
