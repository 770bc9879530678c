"""``cnnkit.applications`` against ``keras.applications``: the same layers, names,
parameters and predictions, and weight files that move both ways."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

import cnnkit
from cnnkit import applications

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

ARCHITECTURES = {
    "ResNet50": (32, 32, 3),
    "MobileNetV2": (32, 32, 3),
    "EfficientNetB0": (32, 32, 3),
    "VGG16": (32, 32, 3),
    "Xception": (71, 71, 3),
}
HEAVY = {("EfficientNetB0", True), ("Xception", True)}


def _base(name: str) -> str:
    """A layer name without the counter Keras appends to automatic names."""
    return re.sub(r"_\d+$", "", name)


def _keras_with_live_statistics(model, seed: int = 0):  # type: ignore[no-untyped-def]
    """Keras' fresh BatchNormalization is the identity and its outputs shrink to
    ~1e-11 deep in the net: random statistics keep the comparison meaningful."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.8, 1.2, gamma.shape).astype("float32"),
                rng.normal(0, 0.05, beta.shape).astype("float32"),
                rng.normal(0, 0.05, mean.shape).astype("float32"),
                rng.uniform(0.5, 1.0, var.shape).astype("float32"),
            ])  # fmt: skip
    return model


def _cases() -> list:
    cases = []
    for name in ARCHITECTURES:
        for top in (True, False):
            marks = [pytest.mark.slow] if (name, top) in HEAVY else []
            cases.append(pytest.param(name, top, marks=marks, id=f"{name}-top={top}"))
    return cases


@pytest.mark.parametrize(("name", "top"), _cases())
def test_same_model_as_keras(name: str, top: bool) -> None:
    shape = ARCHITECTURES[name]
    kwargs = {"weights": None, "include_top": top, "input_shape": shape}
    if top:
        kwargs.update(classes=7, classifier_activation=None)  # logits: a sharp check
    theirs = _keras_with_live_statistics(getattr(keras.applications, name)(**kwargs))
    ours = getattr(applications, name)(**kwargs)
    assert [_base(layer.name) for layer in ours.layers] == [
        _base(layer.name) for layer in theirs.layers
    ]
    assert [type(layer).__name__ for layer in ours.layers] == [
        type(layer).__name__ for layer in theirs.layers
    ]
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape
    assert ours.name == theirs.name
    for mine, keras_layer in zip(ours.layers, theirs.layers):
        if keras_layer.weights:
            mine.set_weights(keras_layer.get_weights())
    x = np.random.default_rng(1).uniform(0, 255, (2, *shape)).astype("float32")
    if name != "EfficientNetB0":  # EfficientNet preprocesses inside the model
        x = _preprocessed(name, x)
    expected = np.asarray(theirs.predict(x, verbose=0))
    got = ours.predict(x, verbose=0)
    scale = float(np.abs(expected).max())
    assert scale > 1e-3  # a comparison of values, not of zeros
    diff = float(np.abs(got - expected).max())
    print(
        f"{name} include_top={top}: params={ours.count_params()} max|diff|={diff:.2e} (scale {scale:.2e})"
    )
    assert diff <= 1e-4 * max(1.0, scale)


def _preprocessed(name: str, x: np.ndarray) -> np.ndarray:
    module = {"ResNet50": "resnet50", "MobileNetV2": "mobilenet_v2", "VGG16": "vgg16",
              "Xception": "xception"}[name]  # fmt: skip
    ours = getattr(applications, module).preprocess_input(x.astype("float32").copy())
    theirs = getattr(keras.applications, module).preprocess_input(
        x.astype("float32").copy()
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    return ours


def test_a_keras2_weights_file_written_by_keras_loads(tmp_path: Path) -> None:
    from keras.src.legacy.saving import legacy_h5_format

    theirs = _keras_with_live_statistics(
        keras.applications.MobileNetV2(
            weights=None, alpha=0.35, input_shape=(32, 32, 3), classes=5
        )
    )
    path = tmp_path / "mobilenet_v2_keras2.h5"
    with h5py.File(path, "w") as h5:
        legacy_h5_format.save_weights_to_hdf5_group(h5, theirs)
    ours = applications.MobileNetV2(weights=str(path), alpha=0.35, input_shape=(32, 32, 3),
                                    classes=5)  # fmt: skip
    x = np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5
    )


def test_a_cnnkit_application_file_loads_in_keras(tmp_path: Path) -> None:
    ours = applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=3)
    for layer in ours.layers:
        if isinstance(layer, cnnkit.layers.BatchNormalization):
            layer.moving_variance.assign(
                np.full(layer.moving_variance.shape, 0.5, "float32")
            )
    path = tmp_path / "effnet.keras"
    ours.save(path)
    theirs = keras.models.load_model(path)
    x = np.random.default_rng(3).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-5
    )
    theirs.save(tmp_path / "back.keras")
    back = cnnkit.saving.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(
        back.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6
    )
