"""``cnnkit.applications``: shapes, Keras' rules, weights files, preprocessing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import applications
from cnnkit.applications import imagenet_utils, mobilenet_v2, resnet
from cnnkit.errors import (
    DatasetError,
    FileFormatError,
    IncompatibleShapeError,
    InvalidArgumentError,
    InvalidTypeError,
)

# Parameter counts of Keras 3.15's own models (measured with keras.applications).
KERAS_PARAMS = {
    ("ResNet50", True, 7): 23602055,
    ("ResNet50", False, 1000): 23587712,
    ("MobileNetV2", True, 7): 2266951,
    ("MobileNetV2", False, 1000): 2257984,
    ("EfficientNetB0", True, 7): 4058538,
    ("EfficientNetB0", False, 1000): 4049571,
    ("VGG16", True, 7): 33625927,
    ("VGG16", False, 1000): 14714688,
    ("Xception", True, 7): 20875823,
    ("Xception", False, 1000): 20861480,
}
OUTPUTS = {
    "ResNet50": (None, 1, 1, 2048),
    "MobileNetV2": (None, 1, 1, 1280),
    "EfficientNetB0": (None, 1, 1, 1280),
    "VGG16": (None, 1, 1, 512),
    "Xception": (None, 3, 3, 2048),
}


def _size(name: str) -> tuple[int, int, int]:
    return (71, 71, 3) if name == "Xception" else (32, 32, 3)


@pytest.mark.parametrize(("name", "top", "classes"), list(KERAS_PARAMS))
def test_parameter_counts_and_outputs_are_keras(
    name: str, top: bool, classes: int
) -> None:
    model = getattr(applications, name)(
        weights=None, include_top=top, classes=classes, input_shape=_size(name)
    )
    assert model.count_params() == KERAS_PARAMS[(name, top, classes)]
    assert model.output_shape == ((None, classes) if top else OUTPUTS[name])
    if top:
        assert model.layers[-1].name == "predictions"


def test_pooling_input_tensor_and_names() -> None:
    model = applications.ResNet50(weights=None, include_top=False, pooling="max",
                                  input_shape=(32, 32, 3))  # fmt: skip
    assert model.output_shape == (None, 2048)
    assert [layer.name for layer in model.layers[1:5]] == [
        "conv1_pad",
        "conv1_conv",
        "conv1_bn",
        "conv1_relu",
    ]
    assert model.name == "resnet50"
    inputs = cnnkit.Input((40, 40, 3))
    tensor = cnnkit.layers.Rescaling(1.0 / 255)(inputs)
    built = applications.VGG16(weights=None, include_top=False, input_tensor=tensor,
                               pooling="avg")  # fmt: skip
    assert built.output_shape == (None, 512)
    assert built.inputs[0] is inputs
    small = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                     input_shape=(96, 96, 3))  # fmt: skip
    assert small.name == "mobilenetv2_0.35_96"
    assert small.output_shape == (None, 3, 3, 1280)


def test_channels_first_models_run() -> None:
    cnnkit.config.set_image_data_format("channels_first")
    try:
        model = applications.MobileNetV2(weights=None, include_top=False,
                                         input_shape=(3, 32, 32))  # fmt: skip
        out = model.predict(np.random.rand(2, 3, 32, 32).astype("float32"), verbose=0)
    finally:
        cnnkit.config.set_image_data_format("channels_last")
    assert out.shape == (2, 1280, 1, 1)


def test_argument_errors_teach(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=r"`weights` must be None"):
        applications.ResNet50(weights="imagenet21k")
    with pytest.raises(InvalidArgumentError, match=r"`classes` must be 1000"):
        applications.VGG16(weights="imagenet", classes=10)
    with pytest.raises(
        InvalidArgumentError, match=r"input shape must be \(224, 224, 3\)"
    ):
        applications.ResNet50(weights="imagenet", input_shape=(96, 96, 3))
    with pytest.raises(InvalidArgumentError, match=r"at least 71x71"):
        applications.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(InvalidArgumentError, match=r"need 3 input channels"):
        applications.ResNet50(weights="imagenet", include_top=False,
                              input_shape=(64, 64, 1))  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=r"tuple of three ints"):
        applications.ResNet50(weights=None, input_shape=(64, 64))
    with pytest.raises(InvalidArgumentError, match=r"input size must be fixed"):
        applications.VGG16(weights=None, input_shape=(None, None, 3))
    with pytest.raises(InvalidTypeError, match=r"`input_tensor` must be a symbolic"):
        applications.VGG16(weights=None, include_top=False,
                           input_tensor=np.zeros((1, 32, 32, 3)))  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=r"alpha in \[0.35"):
        applications.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(InvalidArgumentError, match=r"does not match `input_tensor`"):
        applications.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                 input_tensor=cnnkit.Input((64, 64, 3)))  # fmt: skip
    path = tmp_path / "w.h5"
    path.write_bytes(b"")
    with pytest.raises(InvalidArgumentError, match=r"must be 'softmax' or None"):
        applications.VGG16(weights=str(path), input_shape=(32, 32, 3),
                           classifier_activation="relu")  # fmt: skip
    with pytest.warns(UserWarning, match=r"1 or 3 input channels"):
        applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 5))


# ------------------------------------------------------------------ weight files


def write_keras2_weights(
    model: cnnkit.Model, path: Path, rename: dict | None = None
) -> None:
    """A weights-only HDF5 file as tf.keras 2 wrote them (Keras' published layout)."""
    rename = rename or {}
    with h5py.File(path, "w") as h5:
        names = [rename.get(layer.name, layer.name) for layer in model.layers]
        h5.attrs["layer_names"] = [n.encode() for n in names]
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["keras_version"] = b"2.2.4"
        for layer, name in zip(model.layers, names):
            group = h5.create_group(name)
            variables = list(layer.trainable_weights) + list(
                layer.non_trainable_weights
            )
            weight_names = [f"{name}/{v.name}:0" for v in variables]
            group.attrs["weight_names"] = [n.encode() for n in weight_names]
            for weight_name, variable in zip(weight_names, variables):
                group.create_dataset(weight_name, data=variable.numpy())


def _randomize(model: cnnkit.Model, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        value = variable.numpy()
        if value.dtype.kind == "f":
            variable.assign(
                (rng.normal(size=value.shape) * 0.1 + (value != 0)).astype(value.dtype)
            )


def test_weights_path_loads_a_keras2_file_by_name(tmp_path: Path) -> None:
    source = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                      classes=5)  # fmt: skip
    _randomize(source)
    path = tmp_path / "mnv2.h5"
    write_keras2_weights(source, path)
    loaded = applications.MobileNetV2(weights=str(path), alpha=0.35,
                                      input_shape=(32, 32, 3), classes=5)  # fmt: skip
    x = np.random.rand(2, 32, 32, 3).astype("float32")
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), source.predict(x, verbose=0)
    )


def test_auto_named_layers_are_matched_in_order(tmp_path: Path) -> None:
    source = applications.Xception(
        weights=None, include_top=False, input_shape=(71, 71, 3)
    )
    _randomize(source)
    # As in Keras' published file: the shortcut layers carry other counters.
    rename = {
        layer.name: f"{layer.name.rsplit('_', 1)[0]}_9{i}"
        for i, layer in enumerate(source.layers)
        if layer.name.startswith(("conv2d", "batch_normalization"))
    }
    path = tmp_path / "xception.h5"
    write_keras2_weights(source, path, rename)
    loaded = applications.Xception(weights=str(path), include_top=False,
                                   input_shape=(71, 71, 3))  # fmt: skip
    x = np.random.rand(1, 71, 71, 3).astype("float32")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), source.predict(x, verbose=0), atol=1e-6
    )


def test_a_file_for_another_model_loads_nothing(tmp_path: Path) -> None:
    top = applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=3)
    path = tmp_path / "vgg_top.h5"
    write_keras2_weights(top, path)
    with pytest.raises(
        FileFormatError,
        match=r"file layers the model lacks: \['fc1', 'fc2', 'predictions'\]",
    ):
        applications.VGG16(
            weights=str(path), include_top=False, input_shape=(32, 32, 3)
        )
    with pytest.raises(FileFormatError, match=r"Shape mismatch in layer 'predictions'"):
        applications.VGG16(weights=str(path), input_shape=(32, 32, 3), classes=4)


def test_imagenet_weights_come_from_the_keras_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    source = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3),
                                      include_top=False)  # fmt: skip
    _randomize(source)
    cached = tmp_path / "keras" / "models"
    cached.mkdir(parents=True)
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    write_keras2_weights(source, cached / name)
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", "http://127.0.0.1:9/")
    loaded = applications.MobileNetV2(weights="imagenet", alpha=0.35,
                                      input_shape=(96, 96, 3), include_top=False)  # fmt: skip
    x = np.random.rand(1, 96, 96, 3).astype("float32")
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), source.predict(x, verbose=0)
    )


def test_imagenet_weights_offline_say_where_to_put_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    # A cached file with another hash is fetched again; offline that fails with
    # the exact path and the hash the file must have.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", "http://127.0.0.1:9/")
    target = (
        tmp_path
        / "keras"
        / "models"
        / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    )
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the published file")
    with pytest.raises(DatasetError) as caught:
        applications.ResNet50(weights="imagenet", include_top=False)
    assert (
        "its md5 hash is not 4d473c1dd8becc155b73f8504c6f6626"
        in capsys.readouterr().out
    )
    assert (
        f"put it at {target}. Its hash must be 4d473c1dd8becc155b73f8504c6f6626."
        in str(caught.value)
    )


def test_keras_file_round_trip_of_an_application(tmp_path: Path) -> None:
    model = applications.EfficientNetB0(
        weights=None, input_shape=(32, 32, 3), classes=4
    )
    _randomize(model)
    path = tmp_path / "effnet.keras"
    model.save(path)
    loaded = cnnkit.saving.load_model(path)
    x = np.random.rand(2, 32, 32, 3).astype("float32") * 255
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    assert [layer.name for layer in loaded.layers] == [
        layer.name for layer in model.layers
    ]


# ------------------------------------------------------------------ preprocessing


PIXELS = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")  # (1, 1, 1, 3)


def test_preprocess_input_modes() -> None:
    np.testing.assert_allclose(
        applications.mobilenet_v2.preprocess_input(PIXELS.copy())[0, 0, 0],
        [-1.0, 0.0, 1.0],
    )
    np.testing.assert_allclose(
        applications.resnet50.preprocess_input(PIXELS.copy())[0, 0, 0],
        [255.0 - 103.939, 127.5 - 116.779, 0.0 - 123.68],
        rtol=1e-6,
    )
    torch_mode = imagenet_utils.preprocess_input(PIXELS.copy(), mode="torch")[0, 0, 0]
    expected = (np.array([0.0, 0.5, 1.0]) - [0.485, 0.456, 0.406]) / [
        0.229,
        0.224,
        0.225,
    ]
    np.testing.assert_allclose(torch_mode, expected, rtol=1e-5)
    assert applications.efficientnet.preprocess_input(PIXELS) is PIXELS
    as_tensor = applications.vgg16.preprocess_input(torch.from_numpy(PIXELS))
    np.testing.assert_allclose(
        as_tensor.numpy(), applications.vgg16.preprocess_input(PIXELS.copy()), rtol=1e-6
    )
    ints = applications.xception.preprocess_input(np.full((1, 2, 2, 3), 255, "uint8"))
    assert ints.dtype == np.float32
    assert ints.max() == 1.0
    first = imagenet_utils.preprocess_input(
        np.transpose(PIXELS, (0, 3, 1, 2)).copy(), data_format="channels_first"
    )
    np.testing.assert_allclose(
        first[0, :, 0, 0],
        applications.resnet50.preprocess_input(PIXELS.copy())[0, 0, 0],
    )


def test_preprocess_input_on_a_symbolic_input_adds_a_layer() -> None:
    inputs = cnnkit.Input((1, 1, 3))
    model = cnnkit.Model(inputs, applications.mobilenet_v2.preprocess_input(inputs))
    np.testing.assert_allclose(model(PIXELS).numpy()[0, 0, 0], [-1.0, 0.0, 1.0])
    torch_inputs = cnnkit.Input((1, 1, 3))
    torch_model = cnnkit.Model(
        torch_inputs, imagenet_utils.preprocess_input(torch_inputs, mode="torch")
    )
    np.testing.assert_allclose(
        torch_model(PIXELS).numpy(),
        imagenet_utils.preprocess_input(PIXELS.copy(), mode="torch"),
        rtol=1e-5,
    )
    with pytest.raises(InvalidArgumentError, match=r"reorders the colour channels"):
        applications.resnet50.preprocess_input(cnnkit.Input((8, 8, 3)))


def test_preprocess_input_errors_teach() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`mode` must be 'caffe'"):
        imagenet_utils.preprocess_input(PIXELS, mode="keras")
    with pytest.raises(InvalidArgumentError, match=r"`data_format` must be"):
        imagenet_utils.preprocess_input(PIXELS, data_format="NHWC")


@pytest.fixture
def class_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``imagenet_class_index.json`` served from a file:// origin."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    source = tmp_path / "served" / "imagenet_class_index.json"
    source.parent.mkdir()
    source.write_text(json.dumps(index))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", source.as_uri())
    monkeypatch.setattr(
        imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(source.read_bytes()).hexdigest()
    )
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    return source


def test_decode_predictions(class_index: Path, tmp_path: Path) -> None:
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [3, 7, 9]] = [0.2, 0.7, 0.1]
    preds[1, 999] = 1.0
    decoded = applications.resnet50.decode_predictions(preds, top=2)
    assert decoded[0] == [("n00000007", "class_7", pytest.approx(0.7)),
                          ("n00000003", "class_3", pytest.approx(0.2))]  # fmt: skip
    assert decoded[1][0][:2] == ("n00000999", "class_999")
    assert (tmp_path / "keras" / "models" / "imagenet_class_index.json").is_file()
    with pytest.raises(
        IncompatibleShapeError,
        match=r"shape \(samples, 1000\); received shape \(2, 10\)",
    ):
        applications.vgg16.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_says_where_to_put_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    monkeypatch.setattr(
        imagenet_utils,
        "CLASS_INDEX_PATH",
        "http://127.0.0.1:9/imagenet_class_index.json",
    )
    target = tmp_path / "keras" / "models" / "imagenet_class_index.json"
    with pytest.raises(
        DatasetError,
        match=rf"put it at {target}\. Its hash must be c2c37ea517e94d9795004a39431a14cb",
    ):
        applications.xception.decode_predictions(np.zeros((1, 1000)))
