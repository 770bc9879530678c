"""Bad input that teaches: each mistake a learner makes with the seed tutorial's CNN
gets an error (or a one-time warning) naming the problem, what was expected, what was
received and the fix, before any torch traceback (STYLE.md §4).

Everything is called as user code would: ``model.predict(one_image)`` on the seed
model, ``Conv2D(...)(x)`` on a built layer.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.errors import (
    DoctorWarning,
    IncompatibleShapeError,
    InvalidArgumentError,
    TrainingInputError,
)
from cnnkit.training import checks
from cnnkit.utils.validation import missing_batch_axis_hint

SEED_INPUT = (
    r"Input 'input_layer\w*' of Sequential 'sequential\w*' expects data of shape"
)


def seed_model(**first_kwargs: Any) -> Any:
    """The seed tutorial's CNN (input_shape on the first Conv2D), compiled."""
    first_kwargs.setdefault("input_shape", (28, 28, 1))
    model = cnnkit.Sequential(
        [
            layers.Conv2D(32, (5, 5), activation="relu", **first_kwargs),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def mnist_like(n: int = 8, channels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Images already scaled to [0, 1] and integer labels 0..9."""
    rng = np.random.default_rng(0)
    x = rng.random((n, 28, 28, channels)).astype("float32")
    return x, rng.integers(0, 10, n)


def sequential(*stack: Any) -> Any:
    """``Sequential([Input(...), layers...])``: the list holds an ``Input`` too."""
    return cnnkit.Sequential(list(stack))


def small_conv(channels: int = 1, data_format: str = "channels_last") -> Any:
    shape = (8, 8, channels) if data_format == "channels_last" else (channels, 8, 8)
    model = sequential(
        cnnkit.Input(shape),
        layers.Conv2D(2, 3, data_format=data_format),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    )
    model.compile(loss="sparse_categorical_crossentropy")
    return model


# ------------------------------------------------ 1. one image, no batch axis

ONE_IMAGE = (
    SEED_INPUT + r" \(None, 28, 28, 1\) \(4-D\), but `x` has shape \(28, 28, 1\) "
    r"\(3-D\)\. The batch axis is missing: \(28, 28, 1\) is one sample, but models "
    r"take batches of shape \(batch, \.\.\.\)\. To pass a single sample, add the "
    r"batch axis: `x = x\[None\]` or `x = np\.expand_dims\(x, 0\)` \(shape "
    r"\(1, 28, 28, 1\)\)"
)


def test_predict_one_image_without_the_batch_axis() -> None:
    model, (x, _) = seed_model(), mnist_like()
    with pytest.raises(TrainingInputError, match=ONE_IMAGE):
        model.predict(x[0], verbose=0)
    assert model.predict(x[0][None], verbose=0).shape == (1, 10)  # the fix works


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch"])
def test_fit_and_evaluate_one_image_without_the_batch_axis(method: str) -> None:
    model, (x, y) = seed_model(), mnist_like()
    kwargs = {} if method == "train_on_batch" else {"verbose": 0}
    # Whichever check speaks first (the model's input, or x against y), it says
    # that the batch axis is missing and how to add it.
    with pytest.raises(
        TrainingInputError,
        match=r"\(28, 28, 1\).*batch axis.*`x = x\[None\]` or "
        r"`x = np\.expand_dims\(x, 0\)`",
    ):
        getattr(model, method)(x[0], y[:1], **kwargs)


def test_a_functional_model_reports_the_missing_batch_axis_too() -> None:
    inputs = cnnkit.Input((28, 28, 1), name="digits")
    outputs = layers.Dense(10)(layers.Flatten()(layers.Conv2D(4, 5)(inputs)))
    model = cnnkit.Model(inputs, outputs, name="net")
    with pytest.raises(
        TrainingInputError,
        match=r"Input 'digits' of Functional 'net' expects data of shape "
        r"\(None, 28, 28, 1\).*The batch axis is missing",
    ):
        model.predict(mnist_like()[0][0], verbose=0)


def test_a_batch_without_its_channel_axis_is_still_fixed_with_one_note() -> None:
    # Keras adds the trailing 1: (N, 28, 28) works for Input((28, 28, 1)); cnnkit
    # also says so, once per model (the French tutorial's step 4).
    model, (x, y) = seed_model(), mnist_like()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x[..., 0], y, verbose=0)
        assert model.predict(x[..., 0], verbose=0).shape == (8, 10)
        assert tuple(model(x[..., 0]).shape) == (8, 10)
    assert [type(w.message) for w in caught] == [DoctorWarning]
    assert "added the last axis of size 1" in str(caught[0].message)


def test_the_batch_axis_rule_defers_to_keras_when_both_readings_fit() -> None:
    assert missing_batch_axis_hint((28, 28, 1), (None, 28, 28, 1)) is not None
    assert missing_batch_axis_hint((6,), (None, 6)) is not None
    assert missing_batch_axis_hint((16, 28, 28), (None, 28, 28, 1)) is None
    # (28, 28, 1) also reads as 28 images of 28x1 for Input((None, None, 1)):
    # Keras adds the channel axis there, and so do we.
    assert missing_batch_axis_hint((28, 28, 1), (None, None, None, 1)) is None


# ------------------------------------------------ 2. channels

RGB_INTO_GRAY = (
    r"but `x` has shape \(8, 28, 28, 3\) \(4-D\)\. The images have 3 channel\(s\) on "
    r"axis -1, the channel axis \(channels_last\), but the model expects 1\. Convert "
    r"the images to grayscale, e.g\. `x = x\.mean\(axis=-1, keepdims=True\)` \(or "
    r"load them with `cnnkit\.utils\.load_img\(path, color_mode='grayscale'\)`\), or "
    r"build the model for 3 channels: `input_shape=\(28, 28, 3\)`"
)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_rgb_images_for_a_grayscale_model(method: str) -> None:
    model, (x, y) = seed_model(), mnist_like(channels=3)
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(TrainingInputError, match=SEED_INPUT + ".*" + RGB_INTO_GRAY):
        getattr(model, method)(*args, verbose=0)


def test_images_with_zero_channels() -> None:
    model, (x, _) = seed_model(), mnist_like()
    with pytest.raises(
        TrainingInputError,
        match=r"`x` has shape \(8, 28, 28, 0\) \(4-D\)\. The images have 0 "
        r"channel\(s\) on axis -1, the channel axis \(channels_last\), but the model "
        r"expects 1\. That axis is empty, so the data holds no pixel values at all: "
        r"check the slicing or loading that made `x`",
    ):
        model.predict(x[..., 1:], verbose=0)


@pytest.mark.parametrize(
    ("want", "got", "fix"),
    [
        (3, 1, r"Repeat the gray channel: `x = np\.repeat\(x, 3, axis=-1\)`"),
        (3, 4, r"Drop the alpha channel: `x = x\[\.\.\., :3\]`"),
        (1, 4, r"`x = x\[\.\.\., :3\]\.mean\(axis=-1, keepdims=True\)`"),
        (2, 5, r"Give the data 2 channel\(s\)"),
    ],
)
def test_each_channel_mismatch_gets_its_fix(want: int, got: int, fix: str) -> None:
    x = np.zeros((4, 8, 8, got), "float32")
    with pytest.raises(
        TrainingInputError,
        match=rf"The images have {got} channel\(s\) on axis -1.*expects {want}\..*"
        rf"{fix}.*build the model for {got} channels: `input_shape=\(8, 8, {got}\)`",
    ):
        small_conv(want).fit(x, np.zeros(4), verbose=0)


def test_channels_first_model_names_axis_1() -> None:
    x = np.zeros((4, 3, 8, 8), "float32")
    with pytest.raises(
        TrainingInputError,
        match=r"The images have 3 channel\(s\) on axis 1, the channel axis "
        r"\(channels_first\), but the model expects 1\. Convert the images to "
        r"grayscale, e\.g\. `x = x\.mean\(axis=1, keepdims=True\)`.*"
        r"`input_shape=\(3, 8, 8\)`",
    ):
        small_conv(1, "channels_first").predict(x, verbose=0)


def test_channels_first_data_for_a_channels_last_model() -> None:
    model, (x, _) = seed_model(), mnist_like()
    with pytest.raises(
        TrainingInputError,
        match=r"has shape \(8, 1, 28, 28\) \(4-D\)\. The data looks channels_first "
        r"\(channels on axis 1\) but the model is channels_last \(channels on axis "
        r"-1\): move the axis with `x = np\.moveaxis\(x, 1, -1\)`",
    ):
        model.predict(x.transpose(0, 3, 1, 2), verbose=0)


CONV_BUILT_FOR_GRAY = (
    r"Input 0 of Conv2D 'conv2d\w*' is incompatible with the layer: expected axis -1 "
    r"of input shape to have value 1, but received input with shape "
    r"\(8, 28, 28, 3\)\. Full shape received: \(8, 28, 28, 3\)\. Conv2D 'conv2d\w*' "
    r"was built for 1 input channel\(s\) \(its weights are sized for that\) and "
    r"received 3: convert RGB images to grayscale, e\.g\. "
    r"`x = x\.mean\(axis=-1, keepdims=True\)`, or create a new Conv2D layer for "
    r"3-channel input"
)


def test_a_built_conv_layer_called_on_rgb_images() -> None:
    conv = layers.Conv2D(32, (5, 5))
    x, _ = mnist_like()
    conv(x)
    with pytest.raises(IncompatibleShapeError, match=CONV_BUILT_FOR_GRAY):
        conv(np.repeat(x, 3, axis=-1))


def test_calling_the_model_directly_on_rgb_images() -> None:
    model, (x, _) = seed_model(), mnist_like(channels=3)
    with pytest.raises(IncompatibleShapeError, match=CONV_BUILT_FOR_GRAY):
        model(x)


def test_a_channels_first_conv_names_axis_1() -> None:
    conv = layers.Conv2D(2, 3, data_format="channels_first")
    conv(np.zeros((2, 3, 8, 8), "float32"))
    with pytest.raises(
        IncompatibleShapeError,
        match=r"expected axis 1 of input shape to have value 3.*built for 3 input "
        r"channel\(s\) .* and received 1: repeat the gray channel, "
        r"`x = np\.repeat\(x, 3, axis=1\)`",
    ):
        conv(np.zeros((2, 1, 8, 8), "float32"))


def test_a_conv_layer_refuses_zero_channels_before_building() -> None:
    with pytest.raises(
        IncompatibleShapeError,
        match=r"Input 0 of Conv2D 'conv2d\w*' is incompatible with the layer: axis -1 "
        r"\(the channel axis, channels_last\) has size 0\. Full shape received: "
        r"\(8, 28, 28, 0\)\. An image needs at least one channel",
    ):
        layers.Conv2D(4, 3)(np.zeros((8, 28, 28, 0), "float32"))


def test_a_built_dense_layer_names_its_feature_size() -> None:
    dense = layers.Dense(4)
    dense(np.zeros((2, 6), "float32"))
    with pytest.raises(
        IncompatibleShapeError,
        match=r"expected axis -1 of input shape to have value 6.*Dense 'dense\w*' was "
        r"built for inputs of size 6 on axis -1 \(its weights are sized for that\) "
        r"and received 5: feed it inputs of the size it was built with, or create a "
        r"new Dense layer",
    ):
        dense(np.zeros((2, 5), "float32"))


# ------------------------------------------------ 4. strings and objects as images

STRINGS = (
    r"Received an array of strings \(dtype '<U\d+', shape \(2,\)\), but images and "
    r"the other model inputs must be numeric\. If these are image file paths, load "
    r"each one with `cnnkit\.utils\.load_img\(path\)` and "
    r"`cnnkit\.utils\.img_to_array\(img\)`; if they are numbers stored as text, "
    r"convert them with `x = x\.astype\('float32'\)`"
)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_string_arrays_as_images(method: str) -> None:
    model = seed_model()
    x = np.array(["digit_0.png", "digit_1.png"])
    args = (x,) if method == "predict" else (x, np.array([0, 1]))
    with pytest.raises(TrainingInputError, match=STRINGS):
        getattr(model, method)(*args, verbose=0)


def test_byte_strings_and_text_labels() -> None:
    model, (x, _) = seed_model(), mnist_like(2)
    with pytest.raises(TrainingInputError, match=r"strings \(dtype '\|S1'"):
        model.predict(np.array([b"a", b"b"]), verbose=0)
    with pytest.raises(
        TrainingInputError,
        match=r"Text class labels become integer ids with "
        r"`classes, y = np\.unique\(labels, return_inverse=True\)`",
    ):
        model.fit(x, np.array(["cat", "dog"]), verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_object_arrays_as_images(method: str) -> None:
    model = seed_model()
    x = np.empty(2, dtype=object)  # two images of different sizes
    x[0], x[1] = np.zeros((28, 28, 1)), np.zeros((32, 32, 1))
    args = (x,) if method == "predict" else (x, np.array([0, 1]))
    with pytest.raises(
        TrainingInputError,
        match=r"Received an array of Python objects \(dtype=object\) of shape \(2,\), "
        r"but images and the other model inputs must be numeric arrays\. This usually "
        r"means images of different sizes.*`cnnkit\.utils\.load_img\(path, "
        r"target_size=\(28, 28\)\)`.*`x = np\.stack\(list\(x\)\)\.astype\('float32'\)`",
    ):
        getattr(model, method)(*args, verbose=0)


def test_other_non_numeric_dtypes() -> None:
    with pytest.raises(
        TrainingInputError,
        match=r"array of dtype '<M8\[D\]' \(shape \(2,\)\), but images and the other "
        r"model inputs must be numeric: convert it with `x = x\.astype\('float32'\)`",
    ):
        seed_model().predict(np.array(["2024-01-01", "2024-01-02"], "M8[D]"), verbose=0)


# ------------------------------------------------ 5. NaN labels


def _weights_unchanged(model: Any, before: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_nan_labels_stop_before_training(method: str) -> None:
    model, (x, y) = seed_model(), mnist_like()
    labels = y.astype("float32")
    labels[[3, 6]] = np.nan
    before = model.get_weights()
    with pytest.raises(
        TrainingInputError,
        match=r"`y` contains 2 NaN label value\(s\) \(shape \(8,\)\); the first is at "
        r"index 3 \(sample 3\)\. A NaN label makes the loss NaN, and the first "
        r"training step that sees it turns every weight into NaN\. Drop those "
        r"samples \(`keep = np\.isfinite\(y\)`, then `x, y = x\[keep\], y\[keep\]`\)",
    ):
        getattr(model, method)(x, labels, verbose=0)
    assert _weights_unchanged(model, before)


def test_nan_in_one_hot_labels_names_row_and_column() -> None:
    model, (x, y) = seed_model(), mnist_like()
    model.compile(loss="categorical_crossentropy")
    one_hot = cnnkit.utils.to_categorical(y, 10)
    one_hot[5, 2] = np.nan
    with pytest.raises(
        TrainingInputError,
        match=r"contains 1 NaN label value\(s\) \(shape \(8, 10\)\); the first is at "
        r"y\[5, 2\] \(sample 5\).*`keep = np\.isfinite\(y\)\.reshape\(len\(y\), -1\)"
        r"\.all\(axis=1\)`",
    ):
        model.fit(x, one_hot, verbose=0)


def test_infinite_labels_and_validation_labels() -> None:
    model, (x, _) = seed_model(), mnist_like()
    model.compile(loss="mse")
    bad = np.zeros((8, 10), "float32")
    bad[0, 0] = np.inf
    with pytest.raises(TrainingInputError, match=r"contains 1 infinite label value"):
        model.fit(x, np.zeros((8, 10)), validation_data=(x, bad), verbose=0)


def test_nan_labels_in_a_datasets_first_batch() -> None:
    model, (x, y) = seed_model(), mnist_like()
    labels = y.astype("float32")
    labels[1] = np.nan
    with pytest.raises(
        TrainingInputError,
        match=r"`y` for output 'dense\w*' contains 1 NaN label value\(s\).* at index 1",
    ):
        model.fit(iter([(x, labels)]), verbose=0)


# ------------------------------------------------ 6. raw 0-255 pixels

RAW_PIXELS = (
    r"The input images go up to 255 \(dtype {dtype}, first batch of shape "
    r"\({n}, 28, 28, 1\)\): these look like raw pixel values, while networks train "
    r"well on values in \[0, 1\]\. Divide them by the largest possible value, as the "
    r"tutorials do: `x = x\.astype\('float32'\) / 255`; or start the model with "
    r"`layers\.Rescaling\(1\.0 / 255\)`"
)


def raw_pixels(n: int = 8, dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    x, y = mnist_like(n)
    x = np.round(x * 255)
    x.flat[0] = 255
    return x.astype(dtype), y


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_raw_pixels_warn_once(method: str) -> None:
    model, (x, y) = seed_model(), raw_pixels(4)
    args = (x,) if method == "predict" else (x, y)
    kwargs = {"epochs": 2} if method == "fit" else {}
    with pytest.warns(UserWarning, match=RAW_PIXELS.format(dtype="float32", n=2)):
        getattr(model, method)(*args, batch_size=2, verbose=0, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(model, method)(*args, batch_size=2, verbose=0, **kwargs)
    # Once per call (2 batches, 2 epochs), and pointing at this file's line.
    assert [w.filename for w in caught] == [__file__]


def test_uint8_images_warn_and_the_check_reads_only_the_first_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, (x, y) = seed_model(), raw_pixels(4, "uint8")
    with pytest.warns(UserWarning, match=RAW_PIXELS.format(dtype="uint8", n=4)):
        model.predict(x, verbose=0)
    calls: list[tuple[int, ...]] = []
    real = checks.warn_if_unscaled_images

    def spy(model: Any, batch: Any) -> None:
        calls.append(tuple(batch.shape))
        real(model, batch)

    monkeypatch.setattr(checks, "warn_if_unscaled_images", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, batch_size=2, epochs=2, verbose=0)
    assert calls == [(2, 28, 28, 1)]  # one look at the first batch, not per step


def test_raw_pixels_without_a_channel_axis_warn_too() -> None:
    with (
        pytest.warns(DoctorWarning, match="added the last axis of size 1"),
        pytest.warns(UserWarning, match=r"go up to 255 .*shape \(8, 28, 28\)"),
    ):
        seed_model().predict(raw_pixels()[0][..., 0], verbose=0)


def test_a_functional_model_warns_too() -> None:
    inputs = cnnkit.Input((28, 28, 1))
    model = cnnkit.Model(inputs, layers.Dense(10)(layers.Flatten()(inputs)))
    with pytest.warns(UserWarning, match=RAW_PIXELS.format(dtype="float32", n=8)):
        model.predict(raw_pixels()[0], verbose=0)


def test_sixteen_bit_images_get_their_own_divisor() -> None:
    x = raw_pixels()[0] * 200
    with pytest.warns(UserWarning, match=r"go up to 5\.1e\+04 .*/ 65535"):
        seed_model().predict(x, verbose=0)


def _predict_quietly(model: Any, x: np.ndarray) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(x, verbose=0)
    assert caught == []


@pytest.mark.parametrize(
    "first",
    [
        [layers.Rescaling(1.0 / 255)],
        [layers.RandomFlip("horizontal"), layers.Rescaling(1.0 / 255)],
        [layers.BatchNormalization()],
    ],
)
def test_a_model_that_rescales_its_input_does_not_warn(first: list[Any]) -> None:
    model = sequential(
        cnnkit.Input((28, 28, 1)), *first, layers.Flatten(), layers.Dense(10)
    )
    _predict_quietly(model, raw_pixels()[0])


def test_a_nested_augmentation_model_with_rescaling_does_not_warn() -> None:
    augment = cnnkit.Sequential([layers.RandomFlip(), layers.Rescaling(1.0 / 255)])
    model = sequential(
        cnnkit.Input((28, 28, 1)), augment, layers.Flatten(), layers.Dense(10)
    )
    _predict_quietly(model, raw_pixels()[0])


def test_a_model_without_weights_does_not_warn() -> None:
    model = sequential(cnnkit.Input((28, 28, 1)), layers.RandomFlip())
    _predict_quietly(model, raw_pixels()[0])


def test_scaled_or_standardised_images_do_not_warn() -> None:
    model, (x, _) = seed_model(), mnist_like()
    _predict_quietly(model, x)  # [0, 1]
    _predict_quietly(model, (x - 0.5) * 10)  # negative values: standardised


def test_a_subclassed_model_is_trusted_to_scale_its_input() -> None:
    class Scaled(cnnkit.Model):
        def __init__(self) -> None:
            super().__init__()
            self.flat = layers.Flatten()
            self.out = layers.Dense(10)

        def call(self, x: Any) -> Any:
            return self.out(self.flat(x / 255.0))

    _predict_quietly(Scaled(), raw_pixels()[0])


def test_the_rule_reads_a_torch_batch() -> None:
    model = seed_model()
    with pytest.warns(UserWarning, match="go up to 255"):
        checks.warn_if_unscaled_images(model, torch.full((2, 28, 28, 1), 255.0))


def test_calling_the_model_directly_on_one_image() -> None:
    model, (x, _) = seed_model(), mnist_like()
    with pytest.raises(
        InvalidArgumentError,
        match=r"expected shape \(None, 28, 28, 1\) \(rank 4\), received \(28, 28, 1\) "
        r"\(rank 3\)\. The batch axis is missing.*`x = x\[None\]`",
    ):
        model(x[0])
