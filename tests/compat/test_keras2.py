"""Keras 2 spellings old tutorials use: each still works (with a warning where
Keras 3 dropped it)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import numpy as np
import pytest

import cnnkit
from cnnkit import layers, optimizers

OPTIMIZERS = [
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
]


def _tiny_model(units: int = 3, activation: str = "softmax") -> cnnkit.Model:
    model = cnnkit.Sequential(
        [cnnkit.Input((4,)), layers.Dense(units, activation=activation)]
    )
    loss = "sparse_categorical_crossentropy" if units > 1 else "binary_crossentropy"
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def _data(n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def _forever(x: np.ndarray, y: np.ndarray, batch: int = 8) -> Iterator[tuple]:
    while True:
        for start in range(0, len(x), batch):
            yield x[start : start + batch], y[start : start + batch]


# ------------------------------------------------------------------ optimizers


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_lr_warns_naming_learning_rate_then_works(name: str) -> None:
    with pytest.warns(
        DeprecationWarning, match=rf"{name}: `lr` is deprecated; use `learning_rate`"
    ):
        optimizer = getattr(optimizers, name)(lr=0.05)
    assert optimizer.learning_rate == pytest.approx(0.05)
    model = _tiny_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    x, y = _data()
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_lr_warning_points_at_the_users_line() -> None:
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated") as caught:
        optimizers.SGD(lr=0.1)
    assert caught[0].filename == __file__


def test_decay_is_ignored_with_a_warning() -> None:
    with pytest.warns(
        UserWarning, match=r"`decay` is no longer supported and is ignored"
    ):
        optimizer = optimizers.SGD(learning_rate=0.1, decay=1e-6, momentum=0.9)
    assert optimizer.learning_rate == pytest.approx(0.1)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.usefixtures("keras_hook")
def test_keras_optimizers_classes_with_their_defaults(name: str) -> None:
    keras = importlib.import_module("keras")
    legacy = importlib.import_module("keras.optimizers.legacy")
    optimizer = getattr(keras.optimizers, name)()
    assert type(optimizer) is getattr(optimizers, name)
    assert getattr(legacy, name) is getattr(optimizers, name)
    model = _tiny_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = model.fit(*_data(), epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_adadelta_keras3_default_learning_rate() -> None:
    # Keras 2 defaulted to lr=1.0; Keras 3 (and cnnkit) to 0.001: old scripts that
    # relied on the old default must now pass learning_rate=1.0 (or lr=1.0).
    assert optimizers.Adadelta().learning_rate == pytest.approx(0.001)


# ------------------------------------------------------------- model methods


def test_fit_generator_trains_with_validation_from_a_generator() -> None:
    model = _tiny_model()
    x, y = _data()
    with pytest.warns(
        DeprecationWarning, match=r"`model\.fit_generator` is the Keras 2"
    ):
        history = model.fit_generator(
            _forever(x, y),
            steps_per_epoch=4,
            epochs=2,
            verbose=0,
            validation_data=_forever(x, y),
            validation_steps=2,
            max_queue_size=4,
            workers=2,
            use_multiprocessing=False,
            shuffle=True,
        )
    assert len(history.history["loss"]) == 2
    assert len(history.history["val_loss"]) == 2


def test_fit_generator_rejects_a_misspelt_argument() -> None:
    model = _tiny_model()
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        model.fit_generator(_forever(*_data()), steps_per_epoch=1, epoch=2)


def test_evaluate_and_predict_generator_match_the_array_versions() -> None:
    model = _tiny_model()
    x, y = _data()
    expected_loss, expected_acc = model.evaluate(x, y, batch_size=8, verbose=0)
    with pytest.warns(DeprecationWarning, match=r"`model\.evaluate_generator`"):
        loss, acc = model.evaluate_generator(_forever(x, y), steps=4)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert acc == pytest.approx(expected_acc)
    with pytest.warns(DeprecationWarning, match=r"`model\.predict_generator`"):
        predicted = model.predict_generator(
            (x[i : i + 8] for i in range(0, 32, 8)), steps=4
        )
    np.testing.assert_allclose(
        predicted, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_predict_classes_is_argmax_for_softmax() -> None:
    model = _tiny_model(units=3)
    x, _ = _data()
    with pytest.warns(
        DeprecationWarning, match=r"`model\.predict_classes`.*np\.argmax"
    ):
        classes = model.predict_classes(x)
    assert classes.shape == (32,)
    np.testing.assert_array_equal(classes, model.predict(x, verbose=0).argmax(axis=-1))


def test_predict_classes_thresholds_one_sigmoid_unit() -> None:
    model = _tiny_model(units=1, activation="sigmoid")
    x, _ = _data()
    with pytest.warns(DeprecationWarning, match=r"`model\.predict_classes`"):
        classes = model.predict_classes(x, batch_size=16)
    assert classes.shape == (32, 1)
    assert classes.dtype == np.int32
    np.testing.assert_array_equal(
        classes, (model.predict(x, verbose=0) > 0.5).astype("int32")
    )


def test_predict_proba_is_predict() -> None:
    model = _tiny_model()
    x, _ = _data()
    with pytest.warns(DeprecationWarning, match=r"`model\.predict_proba`"):
        probabilities = model.predict_proba(x)
    np.testing.assert_allclose(probabilities, model.predict(x, verbose=0))


# --------------------------------------------------------------------- layers


@pytest.mark.parametrize(
    ("alias", "canonical", "input_shape", "output_shape"),
    [
        ("Convolution1D", "Conv1D", (2, 10, 3), (2, 8, 4)),
        ("Convolution2D", "Conv2D", (2, 10, 10, 3), (2, 8, 8, 4)),
        ("Convolution3D", "Conv3D", (2, 6, 6, 6, 3), (2, 4, 4, 4, 4)),
        ("Convolution2DTranspose", "Conv2DTranspose", (2, 5, 5, 3), (2, 7, 7, 4)),
        ("SeparableConvolution2D", "SeparableConv2D", (2, 10, 10, 3), (2, 8, 8, 4)),
    ],
)
def test_convolution_aliases_build_the_same_layer(
    alias: str, canonical: str, input_shape: tuple, output_shape: tuple
) -> None:
    cls = getattr(layers, alias)
    assert cls is getattr(layers, canonical)
    layer = cls(4, 3)
    out = layer(np.zeros(input_shape, dtype="float32"))
    assert tuple(out.shape) == output_shape


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("MaxPool1D", "MaxPooling1D"),
        ("MaxPool2D", "MaxPooling2D"),
        ("MaxPool3D", "MaxPooling3D"),
        ("AvgPool2D", "AveragePooling2D"),
        ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
        ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
        ("Convolution3DTranspose", "Conv3DTranspose"),
        ("SeparableConvolution1D", "SeparableConv1D"),
    ],
)
def test_short_and_long_aliases(alias: str, canonical: str) -> None:
    assert getattr(layers, alias) is getattr(layers, canonical)


def test_model_built_with_aliases_saves_under_keras_class_names(
    tmp_path: object,
) -> None:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((8, 8, 1)),
            layers.Convolution2D(2, 3),
            layers.MaxPool2D(),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]][1:3] == [
        "Conv2D",
        "MaxPooling2D",
    ]
    path = f"{tmp_path}/aliases.keras"
    model.save(path)
    loaded = cnnkit.models.load_model(path)
    x = np.random.default_rng(1).normal(size=(3, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


@pytest.mark.oracle
def test_every_keras3_layer_alias_that_cnnkit_could_have_it_has() -> None:
    """Keras 3's own alias table, read from keras itself (test-only oracle)."""
    keras = pytest.importorskip("keras")
    missing = []
    for name in dir(keras.layers):
        obj = getattr(keras.layers, name)
        canonical = getattr(obj, "__name__", name)
        if not isinstance(obj, type) or canonical == name:
            continue
        if hasattr(layers, canonical) and getattr(layers, name, None) is not getattr(
            layers, canonical
        ):
            missing.append(f"{name} (= {canonical})")
    assert missing == []
