"""MultiHeadAttention, EinsumDense and Embedding against Keras 3 itself: same
weights, same outputs (masks, causal mask, scores, attention axes); ``.keras`` and
``.weights.h5`` files that move both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnnkit

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle


def _np(value: Any) -> np.ndarray:
    return np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)


def _same(ours: Any, theirs: Any, tol: float = 1e-5) -> None:
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _copy_weights(ours: Any, theirs: Any) -> None:
    rng = np.random.default_rng(5)
    weights = [
        (w + 0.3 * rng.normal(size=w.shape)).astype("float32")
        for w in ours.get_weights()
    ]
    assert [w.shape for w in weights] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)


MHA_CASES = [
    {},
    {"value_dim": 5, "use_bias": False},
    {"output_shape": 6},
    {"output_shape": (2, 3)},
    {"use_gate": True},
    {"sliding_window": 2},
]


@pytest.mark.parametrize("kwargs", MHA_CASES, ids=lambda k: ",".join(k) or "default")
@pytest.mark.parametrize("scores", [False, True], ids=["fused", "scores"])
def test_multi_head_attention_matches_keras(
    kwargs: dict[str, Any], scores: bool
) -> None:
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 5, 8)).astype("float32")
    value = rng.normal(size=(2, 4, 6)).astype("float32")
    ours = cnnkit.layers.MultiHeadAttention(num_heads=2, key_dim=3, **kwargs)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, **kwargs)
    ours(query, value), theirs(query, value)
    _copy_weights(ours, theirs)
    a = ours(query, value, return_attention_scores=scores)
    b = theirs(query, value, return_attention_scores=scores)
    if scores:
        _same(a[0], b[0])
        _same(a[1], b[1])
    else:
        _same(a, b)


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "scores"])
@pytest.mark.parametrize("causal", [False, True], ids=["mask", "mask+causal"])
def test_masks_match_keras(causal: bool, scores: bool) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    key = rng.normal(size=(2, 5, 4)).astype("float32")
    mask = rng.random((2, 5, 5)) > 0.3
    mask[:, :, 0] = True  # no query row fully masked
    ours = cnnkit.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    ours(x, x, key), theirs(x, x, key)
    _copy_weights(ours, theirs)
    call = {
        "attention_mask": mask,
        "use_causal_mask": causal,
        "return_attention_scores": scores,
    }
    a = ours(x, x, key, **call)
    b = theirs(x, x, key, **call)
    for u, v in zip(a if scores else [a], b if scores else [b]):
        _same(u, v)


def test_causal_mask_alone_matches_keras() -> None:
    x = np.random.default_rng(2).normal(size=(2, 6, 8)).astype("float32")
    ours = cnnkit.layers.MultiHeadAttention(num_heads=4, key_dim=2)
    theirs = keras.layers.MultiHeadAttention(num_heads=4, key_dim=2)
    ours(x, x), theirs(x, x)
    _copy_weights(ours, theirs)
    _same(ours(x, x, use_causal_mask=True), theirs(x, x, use_causal_mask=True))
    a = ours(x, x, use_causal_mask=True, return_attention_scores=True)[1]
    b = theirs(x, x, use_causal_mask=True, return_attention_scores=True)[1]
    _same(a, b)
    assert float(np.abs(_np(a)[:, :, 0, 1:]).max()) == 0.0  # nothing from the future


@pytest.mark.parametrize("axes", [None, (2,), (1, 2)], ids=str)
def test_attention_axes_match_keras(axes: tuple[int, ...] | None) -> None:
    x = np.random.default_rng(3).normal(size=(2, 3, 4, 6)).astype("float32")
    ours = cnnkit.layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=axes)
    theirs = keras.layers.MultiHeadAttention(
        num_heads=2, key_dim=3, attention_axes=axes
    )
    ours(x, x), theirs(x, x)
    _copy_weights(ours, theirs)
    a = ours(x, x, return_attention_scores=True)
    b = theirs(x, x, return_attention_scores=True)
    _same(a[0], b[0])
    _same(a[1], b[1])
    assert ours.get_config()["attention_axes"] == list(
        theirs.get_config()["attention_axes"]
    )


def test_dropout_is_off_at_inference_and_random_in_training() -> None:
    x = np.random.default_rng(4).normal(size=(2, 5, 8)).astype("float32")
    ours = cnnkit.layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5)
    ours(x, x), theirs(x, x)
    _copy_weights(ours, theirs)
    _same(ours(x, x), theirs(x, x))
    trained = _np(ours(x, x, training=True))
    assert not np.allclose(trained, _np(ours(x, x)))


def test_config_matches_keras() -> None:
    kwargs = {"num_heads": 2, "key_dim": 3, "dropout": 0.1, "output_shape": 4}
    ours = cnnkit.layers.MultiHeadAttention(**kwargs, name="mha")
    theirs = keras.layers.MultiHeadAttention(**kwargs, name="mha")
    x = np.zeros((1, 3, 5), "float32")
    ours(x, x), theirs(x, x)
    expected = theirs.get_config()
    expected["output_shape"] = list(expected["output_shape"])
    expected["attention_axes"] = list(expected["attention_axes"])
    assert ours.get_config() == expected


def _vit_block(lib: Any) -> Any:
    inputs = lib.Input((6, 8))
    ids = lib.Input((6,), dtype="int32")
    x = lib.layers.Add()([inputs, lib.layers.Embedding(10, 8)(ids)])
    y = lib.layers.LayerNormalization(epsilon=1e-6)(x)
    y = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(y, y)
    y = lib.layers.Add()([x, y])
    y = lib.layers.EinsumDense("abc,cd->abd", output_shape=(None, 3), bias_axes="d")(y)
    return lib.Model([inputs, ids], y)


@pytest.mark.parametrize("direction", ["keras->cnnkit", "cnnkit->keras"])
def test_keras_file_moves_both_ways(tmp_path: Path, direction: str) -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    ids = rng.integers(0, 10, size=(2, 6)).astype("int32")
    path = tmp_path / "vit.keras"
    if direction == "keras->cnnkit":
        saved = _vit_block(keras)
        saved.save(path)
        loaded = cnnkit.models.load_model(path)
    else:
        saved = _vit_block(cnnkit)
        saved.save(path)
        loaded = keras.models.load_model(path)
    _same(loaded.predict([x, ids], verbose=0), saved.predict([x, ids], verbose=0))
    assert [w.shape for w in loaded.get_weights()] == [
        tuple(w.shape) for w in saved.get_weights()
    ]


def test_weights_h5_moves_both_ways(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    ids = rng.integers(0, 10, size=(2, 6)).astype("int32")
    ours, theirs = _vit_block(cnnkit), _vit_block(keras)
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours.load_weights(tmp_path / "k.weights.h5")
    _same(ours.predict([x, ids], verbose=0), theirs.predict([x, ids], verbose=0))
    ours.set_weights([w * 1.5 for w in ours.get_weights()])
    ours.save_weights(tmp_path / "c.weights.h5")
    theirs.load_weights(tmp_path / "c.weights.h5")
    _same(ours.predict([x, ids], verbose=0), theirs.predict([x, ids], verbose=0))


EINSUM_CASES = [
    ("ab,bc->ac", 4, "c", (2, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 5)),
    ("...b,bc->...c", 4, "c", (2, 3, 5)),
    ("abc...,cd->abd...", (3, 4), "d", (2, 3, 5, 7)),
    ("abcd,cde->abe", (3, 2), None, (2, 3, 5, 4)),
]


@pytest.mark.parametrize(("equation", "out", "bias", "shape"), EINSUM_CASES, ids=str)
def test_einsum_dense_matches_keras(
    equation: str, out: Any, bias: str | None, shape: tuple[int, ...]
) -> None:
    x = np.random.default_rng(8).normal(size=shape).astype("float32")
    kwargs = {"equation": equation, "output_shape": out, "bias_axes": bias}
    ours = cnnkit.layers.EinsumDense(**kwargs, activation="tanh")
    theirs = keras.layers.EinsumDense(**kwargs, activation="tanh")
    ours(x), theirs(x)
    _copy_weights(ours, theirs)
    _same(ours(x), theirs(x))
    symbolic = (None, *shape[1:])
    got = ours.compute_output_shape(symbolic)
    expected = tuple(theirs.compute_output_shape(symbolic))
    # Where Keras answers None for an axis the input shares with the output (its
    # docstring promises the size), cnnkit gives the input's size.
    assert len(got) == len(expected)
    assert all(e is None or g == e for g, e in zip(got, expected))
    assert got == (None, *np.shape(ours(x))[1:])


def test_einsum_dense_glorot_fans_follow_kernel_axes() -> None:
    # Keras counts fans over the axes that meet the input and the output:
    # (8, 2, 3) -> fan_in 8, fan_out 6, limit sqrt(6 / 14).
    layer = cnnkit.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3))
    layer.build((None, 5, 8))
    limit = np.sqrt(6 / 14)
    kernel = _np(layer.kernel)
    assert kernel.max() <= limit
    assert kernel.max() > 0.8 * limit
    assert _np(layer.kernel).std() == pytest.approx(limit / np.sqrt(3), rel=0.35)


def test_embedding_matches_keras_and_masks_like_keras() -> None:
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], dtype="int32")
    kwargs = {"input_dim": 5, "output_dim": 3, "mask_zero": True, "name": "emb"}
    ours = cnnkit.layers.Embedding(**kwargs)
    theirs = keras.layers.Embedding(**kwargs)
    ours(ids), theirs(ids)
    _copy_weights(ours, theirs)
    _same(ours(ids), theirs(ids))
    _same(ours(ids.astype("float32")), theirs(ids.astype("float32")))
    _same(ours.compute_mask(ids), keras.ops.convert_to_numpy(theirs.compute_mask(ids)))
    config = theirs.get_config()
    assert ours.get_config() == config
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


def test_embedding_mask_into_lstm_matches_keras() -> None:
    """Outside a model (or inside a custom layer) the Embedding's mask is given to
    the LSTM by hand; a Keras model passes it on itself."""
    ids = np.array([[4, 2, 1, 0, 0], [3, 1, 0, 0, 0]], dtype="int32")
    emb = cnnkit.layers.Embedding(input_dim=5, output_dim=3, mask_zero=True)
    lstm = cnnkit.layers.LSTM(4)
    k_model = keras.Sequential(
        [keras.Input((5,), dtype="int32"), keras.layers.Embedding(5, 3, mask_zero=True),
         keras.layers.LSTM(4)]
    )  # fmt: skip
    vectors = emb(ids)
    lstm(vectors, mask=emb.compute_mask(ids))
    rng = np.random.default_rng(9)
    weights = [w + 0.3 * rng.normal(size=w.shape).astype("float32")
               for w in k_model.get_weights()]  # fmt: skip
    k_model.set_weights(weights)
    emb.set_weights(weights[:1])
    lstm.set_weights(weights[1:])
    ours = lstm(emb(ids), mask=emb.compute_mask(ids))
    _same(ours, k_model.predict(ids, verbose=0))
    unmasked = lstm(emb(ids))
    assert not np.allclose(_np(unmasked), _np(ours))


def test_embedding_weights_argument() -> None:
    table = np.arange(12, dtype="float32").reshape(4, 3)
    ours = cnnkit.layers.Embedding(4, 3, weights=table)
    theirs = keras.layers.Embedding(4, 3, weights=table)
    ids = np.array([[3, 1]])
    _same(ours(ids), theirs(ids))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("Attention", {}), ("Attention", {"use_scale": True}),
     ("Attention", {"score_mode": "concat", "use_scale": True}),
     ("AdditiveAttention", {}), ("AdditiveAttention", {"use_scale": False})],
)  # fmt: skip
@pytest.mark.parametrize("causal", [False, True], ids=["plain", "causal"])
def test_attention_layers_match_keras(
    name: str, kwargs: dict[str, Any], causal: bool
) -> None:
    rng = np.random.default_rng(10)
    query = rng.normal(size=(2, 4, 3)).astype("float32")
    value = rng.normal(size=(2, 4, 3)).astype("float32")
    key = rng.normal(size=(2, 4, 3)).astype("float32")
    masks = [rng.random((2, 4)) > 0.3, rng.random((2, 4)) > 0.3]
    masks[1][:, 0] = True
    ours = getattr(cnnkit.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours([query, value]), theirs([query, value])
    if ours.get_weights():
        _copy_weights(ours, theirs)
    for inputs in ([query, value], [query, value, key]):
        call = {"use_causal_mask": causal, "return_attention_scores": True}
        a = ours(inputs, mask=masks, **call)
        b = theirs(inputs, mask=masks, **call)
        _same(a[0], b[0])
        _same(a[1], b[1])
        _same(ours(inputs), theirs(inputs))
    assert ours.get_config() == theirs.get_config() | {"name": ours.name}


def test_attention_in_a_model_takes_masks_from_embeddings_like_keras() -> None:
    def build(lib: Any) -> Any:
        q_ids = lib.Input((4,), dtype="int32")
        v_ids = lib.Input((5,), dtype="int32")
        embed = lib.layers.Embedding(6, 3, mask_zero=True)
        q, v = embed(q_ids), embed(v_ids)
        attended = lib.layers.Attention()([q, v])
        pooled = lib.layers.GlobalAveragePooling1D()(attended)
        return lib.Model([q_ids, v_ids], pooled)

    ours, theirs = build(cnnkit), build(keras)
    weights = [np.random.default_rng(11).normal(size=(6, 3)).astype("float32")]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    q_ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], dtype="int32")
    v_ids = np.array([[4, 5, 1, 0, 0], [2, 2, 0, 0, 0]], dtype="int32")
    _same(
        ours.predict([q_ids, v_ids], verbose=0),
        theirs.predict([q_ids, v_ids], verbose=0),
    )
