"""``keras.utils`` idioms, on cnnkit and on Keras 3.

``to_categorical`` (labels as lists, ``(N,)`` and ``(N, 1)`` arrays, ``num_classes``),
``normalize``, ``load_img``/``img_to_array``/``array_to_img``/``save_img`` on small
real PNG files written to ``tmp_path``, and ``image_dataset_from_directory`` (Keras'
own needs TensorFlow, so its file indexing and split helpers, and its image
functions, are the oracle for the files, labels and pixels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import utils

from .harness import assert_same, copy_weights, keras, to_numpy

pytestmark = pytest.mark.oracle

PIL = pytest.importorskip("PIL.Image")

LABELS = {
    "list": [0, 2, 1, 2],
    "vector": np.array([3, 0, 1, 1, 2]),
    "column": np.array([[1], [0], [2]]),
    "uint8": np.array([1, 0, 4], dtype=np.uint8),
    "matrix": np.array([[0, 1], [2, 0]]),
    "float_labels": np.array([1.0, 0.0, 2.0]),
}


@pytest.mark.parametrize("labels", LABELS.values(), ids=list(LABELS))
def test_to_categorical(labels: Any) -> None:
    ours = utils.to_categorical(labels)
    theirs = keras.utils.to_categorical(labels)
    assert ours.dtype == theirs.dtype
    assert_same(ours, theirs)


@pytest.mark.parametrize("num_classes", [5, 10])
def test_to_categorical_num_classes(num_classes: int) -> None:
    y = np.array([0, 4, 3, 1])
    ours = utils.to_categorical(y, num_classes=num_classes)
    theirs = keras.utils.to_categorical(y, num_classes=num_classes)
    assert ours.dtype == theirs.dtype
    assert_same(ours, theirs)


def test_to_categorical_mnist_idiom() -> None:
    """``y_train = keras.utils.to_categorical(y_train, 10)`` (positional)."""
    y_train = np.random.default_rng(0).integers(0, 10, size=20).astype("uint8")
    assert_same(
        utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_train, 10)
    )


# axis=0 is left out: Keras 3.15's numpy path turns it into -1 (`axis = axis or -1`).
@pytest.mark.parametrize(
    ("axis", "order"),
    [(-1, 2), (1, 2), (1, 1), (-1, 3)],
    ids=["default", "axis1", "l1", "l3"],
)
def test_normalize(axis: int, order: int) -> None:
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype("float32")
    x[0, 0] = 0.0  # a zero row: its norm counts as 1
    ours = utils.normalize(x, axis=axis, order=order)
    theirs = keras.utils.normalize(x, axis=axis, order=order)
    assert_same(ours, theirs)
    assert np.asarray(ours).dtype == np.asarray(to_numpy(theirs)).dtype


def _write_png(
    path: Path, rng: np.random.Generator, size: tuple[int, int], mode: str
) -> None:
    h, w = size
    channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
    pixels = rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
    PIL.fromarray(pixels[..., 0] if mode == "L" else pixels, mode=mode).save(path)


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """``root/{cats,dogs,fish}/img_{i}.png``: 9 RGB images of 7x6 pixels."""
    rng = np.random.default_rng(7)
    root = tmp_path / "images"
    for k, name in enumerate(["dogs", "cats", "fish"]):
        (root / name).mkdir(parents=True)
        for i in range(3 + (k == 0)):
            _write_png(root / name / f"img_{i}.png", rng, (7, 6), "RGB")
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


@pytest.fixture
def one_png(tmp_path: Path) -> Path:
    path = tmp_path / "one.png"
    _write_png(path, np.random.default_rng(3), (9, 8), "RGB")
    return path


@pytest.mark.parametrize("color_mode", ["rgb", "grayscale", "rgba"])
def test_load_img_and_img_to_array(one_png: Path, color_mode: str) -> None:
    ours = utils.load_img(one_png, color_mode=color_mode)
    theirs = keras.utils.load_img(one_png, color_mode=color_mode)
    assert ours.size == theirs.size
    assert ours.mode == theirs.mode
    a, b = utils.img_to_array(ours), keras.utils.img_to_array(theirs)
    assert a.dtype == b.dtype
    assert_same(a, b)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_load_img_target_size(one_png: Path, interpolation: str) -> None:
    kwargs = {"target_size": (4, 5), "interpolation": interpolation}
    a = utils.img_to_array(utils.load_img(one_png, **kwargs))
    b = keras.utils.img_to_array(keras.utils.load_img(one_png, **kwargs))
    assert a.shape == (4, 5, 3)
    assert_same(a, b)


def test_load_img_keep_aspect_ratio(one_png: Path) -> None:
    kwargs = {"target_size": (4, 4), "keep_aspect_ratio": True}
    assert_same(
        utils.img_to_array(utils.load_img(one_png, **kwargs)),
        keras.utils.img_to_array(keras.utils.load_img(one_png, **kwargs)),
    )


def test_img_to_array_channels_first(one_png: Path) -> None:
    img = utils.load_img(one_png)
    assert_same(
        utils.img_to_array(img, data_format="channels_first"),
        keras.utils.img_to_array(
            keras.utils.load_img(one_png), data_format="channels_first"
        ),
    )


def test_array_to_img_and_save_img(tmp_path: Path) -> None:
    x = np.random.default_rng(2).uniform(0, 1, size=(5, 4, 3)).astype("float32")
    a, b = utils.array_to_img(x), keras.utils.array_to_img(x)
    assert a.size == b.size
    assert a.mode == b.mode
    assert_same(np.asarray(a), np.asarray(b))
    utils.save_img(tmp_path / "ours.png", x)
    keras.utils.save_img(tmp_path / "theirs.png", x)
    assert_same(
        keras.utils.img_to_array(keras.utils.load_img(tmp_path / "ours.png")),
        keras.utils.img_to_array(keras.utils.load_img(tmp_path / "theirs.png")),
    )


def test_predict_on_a_loaded_image(one_png: Path) -> None:
    """The "predict one image" tutorial: load, to array, add a batch axis, predict."""

    def build(ns: Any) -> Any:
        return ns.Sequential(
            [
                ns.Input(shape=(9, 8, 3)),
                ns.layers.Rescaling(1.0 / 255),
                ns.layers.Conv2D(2, 3, activation="relu"),
                ns.layers.GlobalAveragePooling2D(),
                ns.layers.Dense(3, activation="softmax"),
            ]
        )

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    img_array = utils.img_to_array(utils.load_img(one_png))
    batch = np.expand_dims(img_array, 0)
    k_batch = keras.ops.expand_dims(
        keras.utils.img_to_array(keras.utils.load_img(one_png)), 0
    )
    assert_same(ours.predict(batch, verbose=0), theirs.predict(k_batch, verbose=0))
    score = ours.predict(batch, verbose=0)[0]
    assert int(np.argmax(score)) == int(
        np.argmax(theirs.predict(k_batch, verbose=0)[0])
    )


def _keras_index(
    root: Path, shuffle: bool, seed: int | None
) -> tuple[list[str], Any, list[str]]:
    from keras.src.utils import dataset_utils as kdu

    return kdu.index_directory(
        str(root),
        "inferred",
        formats=(".bmp", ".gif", ".jpeg", ".jpg", ".png"),
        shuffle=shuffle,
        seed=seed,
        verbose=False,
    )


def test_image_dataset_class_names_and_files(image_dir: Path) -> None:
    ds = utils.image_dataset_from_directory(
        image_dir, image_size=(7, 6), batch_size=4, shuffle=False, verbose=False
    )
    paths, labels, class_names = _keras_index(image_dir, shuffle=False, seed=None)
    assert ds.class_names == class_names == ["cats", "dogs", "fish"]
    assert [str(p) for p in ds.file_paths] == list(paths)
    assert len(ds) == 3  # ceil(10 / 4) batches
    got = np.concatenate([to_numpy(y) for _, y in ds])
    assert_same(got.astype("int64"), np.asarray(labels).astype("int64"))
    assert got.dtype == np.int32


def test_image_dataset_pixels(image_dir: Path) -> None:
    """Same size as the files: the pixels are the file's, float32 0-255."""
    ds = utils.image_dataset_from_directory(
        image_dir, image_size=(7, 6), batch_size=16, shuffle=False, verbose=False
    )
    images, _ = next(iter(ds))
    assert images.dtype == torch.float32
    expected = np.stack(
        [keras.utils.img_to_array(keras.utils.load_img(p)) for p in ds.file_paths]
    )
    assert_same(images, expected)


def test_image_dataset_resized_pixels(image_dir: Path) -> None:
    ds = utils.image_dataset_from_directory(
        image_dir, image_size=(4, 5), batch_size=16, shuffle=False, verbose=False
    )
    images, _ = next(iter(ds))
    arrays = np.stack(
        [keras.utils.img_to_array(keras.utils.load_img(p)) for p in ds.file_paths]
    )
    expected = keras.ops.image.resize(arrays, (4, 5), interpolation="bilinear")
    assert tuple(images.shape) == (10, 4, 5, 3)
    assert_same(images, expected)


@pytest.mark.parametrize(
    ("label_mode", "shape"), [("int", (10,)), ("categorical", (10, 3)), (None, None)]
)
def test_image_dataset_label_modes(
    image_dir: Path, label_mode: str | None, shape: tuple[int, ...] | None
) -> None:
    ds = utils.image_dataset_from_directory(
        image_dir,
        label_mode=label_mode,
        image_size=(7, 6),
        batch_size=16,
        shuffle=False,
        verbose=False,
    )
    batch = next(iter(ds))
    _, labels, _ = _keras_index(image_dir, shuffle=False, seed=None)
    if label_mode is None:
        assert tuple(batch.shape) == (10, 7, 6, 3)
        return
    _, y = batch
    assert tuple(y.shape) == shape
    if label_mode == "categorical":
        assert_same(
            to_numpy(y), keras.utils.to_categorical(labels, 3).astype("float32")
        )


def test_image_dataset_binary(image_dir: Path) -> None:
    ds = utils.image_dataset_from_directory(
        image_dir,
        label_mode="binary",
        class_names=["cats", "dogs"],
        image_size=(7, 6),
        batch_size=16,
        shuffle=False,
        verbose=False,
    )
    _, y = next(iter(ds))
    assert tuple(y.shape) == (7, 1)
    assert y.dtype == torch.float32


def test_image_dataset_validation_split_both(image_dir: Path) -> None:
    """``validation_split=0.2, subset="both", seed=123``: the same files as Keras."""
    from keras.src.utils import dataset_utils as kdu

    train, val = utils.image_dataset_from_directory(
        image_dir,
        validation_split=0.3,
        subset="both",
        seed=123,
        image_size=(7, 6),
        batch_size=2,
        verbose=False,
    )
    paths, labels, _ = _keras_index(image_dir, shuffle=True, seed=123)
    k_train, _ = kdu.get_training_or_validation_split(paths, labels, 0.3, "training")
    k_val, _ = kdu.get_training_or_validation_split(paths, labels, 0.3, "validation")
    assert sorted(map(str, train.file_paths)) == sorted(k_train)
    assert sorted(map(str, val.file_paths)) == sorted(k_val)
    assert len(train.file_paths) == 7
    assert len(val.file_paths) == 3


def test_image_dataset_grayscale(image_dir: Path) -> None:
    ds = utils.image_dataset_from_directory(
        image_dir,
        color_mode="grayscale",
        image_size=(7, 6),
        batch_size=16,
        shuffle=False,
        verbose=False,
    )
    images, _ = next(iter(ds))
    expected = np.stack(
        [
            keras.utils.img_to_array(keras.utils.load_img(p, color_mode="grayscale"))
            for p in ds.file_paths
        ]
    )
    assert_same(images, expected)


def test_image_dataset_prints_found_files(
    image_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    utils.image_dataset_from_directory(image_dir, image_size=(7, 6), seed=1)
    _keras_index(image_dir, shuffle=True, seed=1)  # silent; Keras prints the same line:
    assert "Found 10 files belonging to 3 classes." in capsys.readouterr().out


def test_fit_on_image_dataset(image_dir: Path) -> None:
    ds = utils.image_dataset_from_directory(
        image_dir, image_size=(7, 6), batch_size=4, seed=0, verbose=False
    )
    model = cnnkit.Sequential(
        [
            cnnkit.Input(shape=(7, 6, 3)),
            cnnkit.layers.Rescaling(1.0 / 255),
            cnnkit.layers.Conv2D(2, 3),
            cnnkit.layers.Flatten(),
            cnnkit.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(ds, epochs=1, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    predictions = model.predict(ds, verbose=0)
    assert predictions.shape == (10, 3)


def test_set_random_seed_makes_initialisation_reproducible() -> None:
    utils.set_random_seed(42)
    first = cnnkit.layers.Dense(3)
    first.build((None, 4))
    utils.set_random_seed(42)
    second = cnnkit.layers.Dense(3)
    second.build((None, 4))
    assert_same(first.get_weights(), second.get_weights())


# --- keras.ops idioms -------------------------------------------------------------

X = np.random.default_rng(5).standard_normal((3, 4)).astype("float32")
IMG = np.random.default_rng(6).uniform(0, 1, (2, 6, 6, 3)).astype("float32")
Y = np.array([2, 0, 1])

OPS_IDIOMS: dict[str, Any] = {
    "argmax_last": lambda ops: ops.argmax(X, axis=-1),
    "argmax_flat": lambda ops: ops.argmax(X),
    "argmin": lambda ops: ops.argmin(X, axis=0),
    "softmax": lambda ops: ops.softmax(X),
    "nn.softmax_axis0": lambda ops: ops.nn.softmax(X, axis=0),
    "log_softmax": lambda ops: ops.log_softmax(X),
    "relu": lambda ops: ops.relu(X),
    "sigmoid": lambda ops: ops.sigmoid(X),
    "tanh": lambda ops: ops.tanh(X),
    "leaky_relu": lambda ops: ops.leaky_relu(X),
    "gelu": lambda ops: ops.gelu(X),
    "elu": lambda ops: ops.elu(X),
    "silu": lambda ops: ops.silu(X),
    "softplus": lambda ops: ops.softplus(X),
    "one_hot": lambda ops: ops.one_hot(Y, 4),
    "mean_axis": lambda ops: ops.mean(X, axis=0),
    "mean_int": lambda ops: ops.mean(Y),
    "mean_keepdims": lambda ops: ops.mean(IMG, axis=(1, 2), keepdims=True),
    "sum": lambda ops: ops.sum(X, axis=1),
    "max": lambda ops: ops.max(X),
    "min_axis": lambda ops: ops.min(X, axis=-1),
    "std": lambda ops: ops.std(X, axis=0),
    "var": lambda ops: ops.var(X),
    "prod": lambda ops: ops.prod(X, axis=1),
    "expand_dims": lambda ops: ops.expand_dims(IMG[0], 0),
    "expand_dims_axis_last": lambda ops: ops.expand_dims(X, axis=-1),
    "squeeze": lambda ops: ops.squeeze(X[None]),
    "reshape": lambda ops: ops.reshape(IMG, (2, -1)),
    "transpose": lambda ops: ops.transpose(IMG, (0, 3, 1, 2)),
    "transpose_default": lambda ops: ops.transpose(X),
    "concatenate": lambda ops: ops.concatenate([X, X], axis=0),
    "stack": lambda ops: ops.stack([X, X], axis=1),
    "cast": lambda ops: ops.cast(Y, "float32"),
    "clip": lambda ops: ops.clip(X, -0.5, 0.5),
    "sqrt_square": lambda ops: ops.sqrt(ops.square(X)),
    "exp_log": lambda ops: ops.log(ops.exp(X)),
    "abs": lambda ops: ops.abs(X),
    "power": lambda ops: ops.power(X, 2),
    "matmul": lambda ops: ops.matmul(X, X.T),
    "add_mixed": lambda ops: ops.add(X, 1),
    "subtract": lambda ops: ops.subtract(X, X[0]),
    "multiply": lambda ops: ops.multiply(X, 2.0),
    "divide": lambda ops: ops.divide(X, 4),
    "negative": lambda ops: ops.negative(X),
    "maximum": lambda ops: ops.maximum(X, 0),
    "minimum": lambda ops: ops.minimum(X, 0.0),
    "where": lambda ops: ops.where(X > 0, X, 0.0),
    "equal_accuracy": lambda ops: ops.mean(
        ops.cast(ops.equal(ops.argmax(X, axis=-1), Y), "float32")
    ),
    "greater": lambda ops: ops.greater(X, 0),
    "less_equal": lambda ops: ops.less_equal(X, 0),
    "not_equal": lambda ops: ops.not_equal(Y, 1),
    "all_any": lambda ops: ops.stack([ops.all(X > -10), ops.any(X > 10)]),
    "arange": lambda ops: ops.arange(5),
    "arange_float": lambda ops: ops.arange(0, 1, 0.25),
    "zeros": lambda ops: ops.zeros((2, 3)),
    "ones_like": lambda ops: ops.ones_like(X),
    "zeros_like_int": lambda ops: ops.zeros_like(Y),
    "ones": lambda ops: ops.ones((2,), dtype="int32"),
    "shape": lambda ops: tuple(ops.shape(IMG)),
    "ndim_size": lambda ops: (ops.ndim(IMG), int(ops.size(IMG))),
    "convert_to_numpy": lambda ops: ops.convert_to_numpy(ops.convert_to_tensor(X)),
    "convert_to_tensor_dtype": lambda ops: ops.convert_to_tensor(Y, dtype="float32"),
    "image.resize": lambda ops: ops.image.resize(IMG, (3, 4)),
    "image.resize_nearest": lambda ops: ops.image.resize(
        IMG, (4, 4), interpolation="nearest"
    ),
    "image.resize_single": lambda ops: ops.image.resize(IMG[0], (3, 3)),
    "sparse_ce": lambda ops: ops.sparse_categorical_crossentropy(Y, ops.softmax(X)),
    "sparse_ce_logits": lambda ops: ops.sparse_categorical_crossentropy(
        Y, X, from_logits=True
    ),
    "ce": lambda ops: ops.categorical_crossentropy(ops.one_hot(Y, 4), ops.softmax(X)),
    "gradcam_heatmap": lambda ops: (
        ops.maximum(ops.mean(IMG, axis=-1), 0) / ops.max(IMG)
    ),
}


def _dtype(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    return "" if dtype is None else str(dtype).replace("torch.", "")


@pytest.mark.parametrize("idiom", sorted(OPS_IDIOMS))
def test_ops_idiom(idiom: str) -> None:
    ours = OPS_IDIOMS[idiom](cnnkit.ops)
    theirs = OPS_IDIOMS[idiom](keras.ops)
    assert type(ours) is type(theirs) or (
        isinstance(ours, torch.Tensor) and isinstance(theirs, torch.Tensor)
    ), f"{type(ours).__name__} vs Keras {type(theirs).__name__}"
    assert _dtype(ours) == _dtype(theirs)
    assert_same(ours, theirs)


def test_ops_argmax_of_predict() -> None:
    """``predicted = ops.argmax(model.predict(x), axis=-1)``."""

    def build(ns: Any) -> Any:
        return ns.Sequential(
            [
                ns.Input(shape=(6, 6, 3)),
                ns.layers.Flatten(),
                ns.layers.Dense(4, activation="softmax"),
            ]
        )

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    predicted = cnnkit.ops.argmax(ours.predict(IMG, verbose=0), axis=-1)
    expected = keras.ops.argmax(theirs.predict(IMG, verbose=0), axis=-1)
    assert _dtype(predicted) == _dtype(expected)
    assert_same(predicted, expected)
    assert_same(
        cnnkit.ops.convert_to_numpy(predicted), keras.ops.convert_to_numpy(expected)
    )


def test_ops_on_model_output_tensor() -> None:
    """Ops on a model's torch output (with grad), then back to numpy."""
    model = cnnkit.Sequential([cnnkit.Input(shape=(4,)), cnnkit.layers.Dense(3)])
    out = model(X)
    probs = cnnkit.ops.softmax(out)
    top = cnnkit.ops.convert_to_numpy(cnnkit.ops.argmax(probs, axis=1))
    assert top.shape == (3,)
    assert_same(
        cnnkit.ops.convert_to_numpy(probs),
        keras.ops.convert_to_numpy(keras.ops.softmax(out.detach())),
    )


def test_ops_is_tensor() -> None:
    t = cnnkit.ops.convert_to_tensor(X)
    assert cnnkit.ops.is_tensor(t) == keras.ops.is_tensor(
        keras.ops.convert_to_tensor(X)
    )
    assert cnnkit.ops.is_tensor(X) == keras.ops.is_tensor(X)


def test_ops_stop_gradient() -> None:
    t = torch.ones(2, requires_grad=True)
    assert not cnnkit.ops.stop_gradient(t).requires_grad
    assert_same(cnnkit.ops.stop_gradient(t), keras.ops.stop_gradient(t))
