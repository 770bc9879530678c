"""Recurrent layers against Keras 3 itself: same weights, same outputs; files that
move both ways (``.keras`` and ``.weights.h5``, with Keras' ``layers/lstm/cell/vars``
paths)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnnkit

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle


def _arrays(value: Any) -> list[np.ndarray]:
    items = value if isinstance(value, list | tuple) else [value]
    return [np.asarray(v.detach().cpu() if hasattr(v, "detach") else v) for v in items]


def _same(ours: Any, theirs: Any) -> None:
    a, b = _arrays(ours), _arrays(theirs)
    assert [x.shape for x in a] == [x.shape for x in b]
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def _pair(name: str, kwargs: dict[str, Any], x: np.ndarray) -> tuple[Any, Any]:
    ours = getattr(cnnkit.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours(x), theirs(x)
    rng = np.random.default_rng(5)
    weights = [
        (w + 0.3 * rng.normal(size=w.shape)).astype("float32")
        for w in ours.get_weights()
    ]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


SEQ_CASES = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"use_bias": False},
    {"activation": "relu", "return_sequences": True},
    {"unroll": True},
]


@pytest.mark.parametrize("kwargs", SEQ_CASES, ids=lambda k: ",".join(k) or "default")
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_sequence_layer_matches_keras(name: str, kwargs: dict[str, Any]) -> None:
    x = np.random.default_rng(0).normal(size=(3, 6, 5)).astype("float32")
    ours, theirs = _pair(name, {"units": 4, **kwargs}, x)
    _same(ours(x), theirs(x))
    assert ours.compute_output_shape((None, 6, 5)) == theirs.compute_output_shape(
        (None, 6, 5)
    )


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("GRU", {"reset_after": False, "return_sequences": True}),
        ("LSTM", {"recurrent_activation": "hard_sigmoid", "unit_forget_bias": False}),
    ],
)
def test_loop_only_variants_match_keras(name: str, kwargs: dict[str, Any]) -> None:
    x = np.random.default_rng(1).normal(size=(3, 6, 5)).astype("float32")
    ours, theirs = _pair(name, {"units": 4, **kwargs}, x)
    _same(ours(x), theirs(x))


def test_initial_state_matches_keras() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 6, 5)).astype("float32")
    h, c = (rng.normal(size=(3, 4)).astype("float32") for _ in range(2))
    ours, theirs = _pair("LSTM", {"units": 4}, x)
    _same(ours(x, initial_state=[h, c]), theirs(x, initial_state=[h, c]))


def test_stateful_two_calls_match_keras() -> None:
    x = np.random.default_rng(3).normal(size=(3, 8, 5)).astype("float32")
    ours, theirs = _pair("GRU", {"units": 4, "stateful": True}, x)
    ours.reset_states(), theirs.reset_state()
    _same(ours(x[:, :4]), theirs(x[:, :4]))
    _same(ours(x[:, 4:]), theirs(x[:, 4:]))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_keras(
    merge_mode: str | None, return_sequences: bool
) -> None:
    x = np.random.default_rng(4).normal(size=(3, 6, 5)).astype("float32")
    inner = {"units": 4, "return_sequences": return_sequences, "return_state": True}
    ours = cnnkit.layers.Bidirectional(
        cnnkit.layers.LSTM(**inner), merge_mode=merge_mode
    )
    theirs = keras.layers.Bidirectional(
        keras.layers.LSTM(**inner), merge_mode=merge_mode
    )
    ours(x), theirs(x)
    theirs.set_weights(ours.get_weights())
    _same(ours(x), theirs(x))
    assert ours.compute_output_shape((None, 6, 5)) == theirs.compute_output_shape(
        (None, 6, 5)
    )


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    [
        ("ConvLSTM2D", {"padding": "same", "return_sequences": True}, (2, 4, 7, 7, 2)),
        ("ConvLSTM2D", {"strides": 2, "return_state": True}, (2, 4, 7, 7, 2)),
        ("ConvLSTM2D", {"dilation_rate": 2, "go_backwards": True}, (2, 4, 7, 7, 2)),
        ("ConvLSTM1D", {}, (2, 4, 7, 2)),
        ("ConvLSTM3D", {"kernel_size": 2}, (2, 3, 4, 4, 4, 2)),
    ],
)
def test_conv_lstm_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    x = np.random.default_rng(6).normal(size=shape).astype("float32")
    ours, theirs = _pair(name, {"filters": 3, "kernel_size": 3, **kwargs}, x)
    _same(ours(x), theirs(x))


@pytest.mark.parametrize(
    "make",
    [
        lambda ns: ns.layers.LSTM(3, return_sequences=True, go_backwards=True),
        lambda ns: ns.layers.GRU(3, reset_after=False, dropout=0.1),
        lambda ns: ns.layers.SimpleRNN(3, activation="relu"),
        lambda ns: ns.layers.ConvLSTM2D(2, 3, padding="same"),
        lambda ns: ns.layers.Bidirectional(ns.layers.GRU(3), merge_mode="ave"),
    ],
    ids=["lstm", "gru", "simple_rnn", "conv_lstm2d", "bidirectional"],
)
def test_config_equals_keras(make: Any) -> None:
    ours, theirs = make(cnnkit).get_config(), make(keras).get_config()

    def strip(config: Any) -> Any:
        if isinstance(config, dict):
            return {k: strip(v) for k, v in config.items() if k != "name"}
        return config

    assert strip(ours) == strip(theirs)
    assert list(ours) == list(theirs)


def _model(ns: Any) -> Any:
    inputs = ns.Input((6, 5))
    hidden = ns.layers.Bidirectional(ns.layers.GRU(3, return_sequences=True))(inputs)
    hidden = ns.layers.LSTM(4, return_sequences=True)(hidden)
    hidden = ns.layers.SimpleRNN(2)(hidden)
    return ns.Model(inputs, ns.layers.Dense(2)(hidden))


def _conv_model(ns: Any) -> Any:
    return ns.Sequential(
        [ns.Input((3, 6, 6, 1)), ns.layers.ConvLSTM2D(2, 3), ns.layers.Flatten(),
         ns.layers.Dense(1)]
    )  # fmt: skip


@pytest.mark.parametrize("build", [_model, _conv_model], ids=["rnn", "conv_lstm"])
def test_files_move_both_ways(build: Any, tmp_path: Path) -> None:
    ours = build(cnnkit)
    x = np.random.default_rng(7).normal(size=(4, *ours.input_shape[1:]))
    x = x.astype("float32")
    ours.save(tmp_path / "ours.keras")
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    _same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    twin = build(keras)
    twin.load_weights(tmp_path / "ours.weights.h5")
    _same(ours.predict(x, verbose=0), twin.predict(x, verbose=0))

    keras_model = build(keras)
    keras_model.save(tmp_path / "theirs.keras")
    keras_model.save_weights(tmp_path / "theirs.weights.h5")
    loaded = cnnkit.models.load_model(tmp_path / "theirs.keras")
    _same(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    again = build(cnnkit)
    again.load_weights(tmp_path / "theirs.weights.h5")
    _same(again.predict(x, verbose=0), keras_model.predict(x, verbose=0))


MASK_CASES = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "zero_output_for_mask": True},
    {"go_backwards": True, "return_sequences": True, "return_state": True},
]


@pytest.mark.parametrize("kwargs", MASK_CASES, ids=lambda k: ",".join(k) or "default")
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_mask_matches_keras(name: str, kwargs: dict[str, Any]) -> None:
    x = np.random.default_rng(8).normal(size=(3, 6, 5)).astype("float32")
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False  # right padding
    mask[1, :2] = False  # left padding
    mask[2, 3] = False  # a hole
    ours, theirs = _pair(name, {"units": 4, **kwargs}, x)
    _same(ours(x, mask=mask), theirs(x, mask=mask))


def test_bidirectional_mask_and_conv_lstm_match_keras() -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 6, 5)).astype("float32")
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 3:] = False
    ours = cnnkit.layers.Bidirectional(cnnkit.layers.LSTM(4, return_sequences=True))
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    ours(x), theirs(x)
    theirs.set_weights(ours.get_weights())
    _same(ours(x, mask=mask), theirs(x, mask=mask))

    frames = rng.normal(size=(2, 3, 6, 6, 1)).astype("float32")
    ours = cnnkit.layers.Bidirectional(cnnkit.layers.ConvLSTM2D(2, 3), merge_mode="sum")
    theirs = keras.layers.Bidirectional(keras.layers.ConvLSTM2D(2, 3), merge_mode="sum")
    ours(frames), theirs(frames)
    theirs.set_weights(ours.get_weights())
    _same(ours(frames), theirs(frames))


def _encoder_decoder(ns: Any) -> Any:
    inputs = ns.Input((6, 5))
    _, h, c = ns.layers.LSTM(4, return_state=True)(inputs)
    gru = ns.layers.GRU(4)(inputs, initial_state=h)
    lstm = ns.layers.LSTM(4)(inputs, initial_state=[h, c])
    return ns.Model(inputs, [gru, lstm])


def test_initial_state_models_move_both_ways(tmp_path: Path) -> None:
    x = np.random.default_rng(10).normal(size=(3, 6, 5)).astype("float32")
    ours = _encoder_decoder(cnnkit)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    _same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    keras_model = _encoder_decoder(keras)
    keras_model.save(tmp_path / "theirs.keras")
    loaded = cnnkit.models.load_model(tmp_path / "theirs.keras")
    _same(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_legacy_h5_from_keras_loads(tmp_path: Path) -> None:
    x = np.random.default_rng(11).normal(size=(3, 6, 5)).astype("float32")
    theirs = _model(keras)
    theirs.save(tmp_path / "legacy.h5")
    ours = cnnkit.models.load_model(tmp_path / "legacy.h5")
    _same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
