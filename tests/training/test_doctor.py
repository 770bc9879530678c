"""The doctor's first-batch checks, called as a user calls Keras code.

Set-ups that cannot train raise (checked here to stay errors, not duplicated as
warnings); set-ups that run but train badly warn once with a ``DoctorWarning``
naming the problem and the fix; correct code stays silent (``filterwarnings =
error`` would fail any test that warns by surprise).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import cnnkit
from cnnkit import layers, losses
from cnnkit.errors import DoctorWarning, InvalidArgumentError, TrainingInputError


@pytest.fixture(autouse=True)
def _doctor_default() -> Iterator[None]:
    cnnkit.config.set_doctor(None)
    yield
    cnnkit.config.set_doctor(None)


def _cnn(last: Any = "softmax", classes: int = 3, extra: Any = None) -> Any:
    stack = [layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
             layers.Flatten(), layers.Dense(classes, activation=last)]  # fmt: skip
    return cnnkit.Sequential(stack + ([extra] if extra is not None else []))


def _data(n: int = 120, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, 8, 8, 1), dtype=np.float32), np.arange(n) % classes


def _fit(model: Any, loss: Any, x: Any, y: Any, **kwargs: Any) -> None:
    model.compile(optimizer="sgd", loss=loss)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, **kwargs)


# ---------------------------------------------------------------- probabilities


def test_linear_output_with_probability_crossentropy_warns() -> None:
    x, y = _data()
    with pytest.warns(DoctorWarning, match=r"expects probabilities.*Fix: end the "
                      r"model with a softmax.*from_logits=True"):  # fmt: skip
        _fit(_cnn(last=None), "sparse_categorical_crossentropy", x, y)


def test_linear_output_with_categorical_crossentropy_names_the_row_sums() -> None:
    x, y = _data()
    with pytest.warns(DoctorWarning, match=r"rows summing to .*CategoricalCross"):
        _fit(_cnn(last=None), "categorical_crossentropy", x, np.eye(3)[y])


def test_binary_crossentropy_on_a_linear_unit_warns_with_sigmoid_fix() -> None:
    x, _ = _data()
    y = (np.arange(len(x)) % 2).astype("float32")
    model = _cnn(last=None, classes=1)
    with pytest.warns(DoctorWarning, match=r"end the model with a sigmoid"):
        _fit(model, "binary_crossentropy", x, y)


def test_correct_setups_are_silent() -> None:
    x, y = _data()
    _fit(_cnn(), "sparse_categorical_crossentropy", x, y)
    _fit(_cnn(last=None), losses.SparseCategoricalCrossentropy(from_logits=True),
         x, y)  # fmt: skip
    _fit(_cnn(), "categorical_crossentropy", x, np.eye(3)[y])


def test_softmax_applied_twice_warns() -> None:
    x, y = _data()
    with pytest.warns(DoctorWarning, match=r"Softmax is applied twice: layer "
                      r"'dense\w*' \(Dense\).*'softmax\w*' \(Softmax\)"):  # fmt: skip
        _fit(_cnn(extra=layers.Softmax()), "sparse_categorical_crossentropy", x, y)


def test_softmax_activation_layer_after_a_softmax_dense_warns() -> None:
    x, y = _data()
    with pytest.warns(DoctorWarning, match=r"applied twice.*\(Activation\)"):
        _fit(_cnn(extra=layers.Activation("softmax")),
             "sparse_categorical_crossentropy", x, y)  # fmt: skip


def test_softmax_layer_output_with_from_logits_raises() -> None:
    # Not a warning: the existing error (softmax output + from_logits=True) now
    # recognises a final Softmax layer too.
    x, y = _data()
    model = _cnn(last=None, extra=layers.Softmax())
    with pytest.raises(TrainingInputError, match=r"ends in a softmax .*from_logits"):
        _fit(model, losses.SparseCategoricalCrossentropy(from_logits=True), x, y)


# ---------------------------------------------------------------- existing errors


def test_labels_out_of_range_still_raise() -> None:
    x, y = _data()
    with pytest.raises(TrainingInputError, match=r"contains the label 3"):
        _fit(_cnn(), "sparse_categorical_crossentropy", x, y + 1)


def test_integer_labels_for_categorical_still_raise() -> None:
    x, y = _data()
    with pytest.raises(TrainingInputError, match=r"expects one-hot labels"):
        _fit(_cnn(), "categorical_crossentropy", x, y)


def test_one_hot_labels_for_sparse_still_raise() -> None:
    x, y = _data()
    with pytest.raises(TrainingInputError, match=r"labels look one-hot"):
        _fit(_cnn(), "sparse_categorical_crossentropy", x, np.eye(3)[y])


def test_channels_first_images_for_a_channels_last_model_raise() -> None:
    x, y = _data()
    with pytest.raises(TrainingInputError, match=r"looks channels_first.*"
                       r"np\.moveaxis\(x, 1, -1\)"):  # fmt: skip
        _fit(_cnn(), "sparse_categorical_crossentropy", x.transpose(0, 3, 1, 2), y)


# ---------------------------------------------------------------- scale, balance


def test_raw_pixels_warn_with_the_doctor_category() -> None:
    x, y = _data()
    with pytest.warns(DoctorWarning, match=r"raw pixel values.*/ 255"):
        _fit(_cnn(), "sparse_categorical_crossentropy", x * 255, y)


def test_heavy_imbalance_warns_with_class_weight_fix() -> None:
    x, _ = _data(n=300)
    y = np.zeros(300, dtype=int)
    y[:20], y[20:40] = 1, 2  # 260 : 20 : 20
    with pytest.warns(DoctorWarning, match=r"heavily imbalanced: class 0 has 260 "
                      r"samples, class 1 only 20 \(13x fewer\).*class_weight"):  # fmt: skip
        _fit(_cnn(), "sparse_categorical_crossentropy", x, y)


def test_a_class_absent_from_the_labels_warns() -> None:
    x, _ = _data(n=300)
    y = np.arange(300) % 2  # class 2 of 3 never appears
    with pytest.warns(DoctorWarning, match=r"Class\(es\) \[2\] never appear"):
        _fit(_cnn(), "categorical_crossentropy", x, np.eye(3)[y])


def test_imbalance_with_class_weight_or_few_samples_is_silent() -> None:
    x, _ = _data(n=300)
    y = np.zeros(300, dtype=int)
    y[:20], y[20:40] = 1, 2
    _fit(_cnn(), "sparse_categorical_crossentropy", x, y,
         class_weight={0: 0.4, 1: 5.0, 2: 5.0})  # fmt: skip
    _fit(_cnn(), "sparse_categorical_crossentropy", x[:30], y[:30] * 0)


# ---------------------------------------------------------------- switch, once


def test_set_doctor_false_silences_every_check() -> None:
    x, y = _data()
    cnnkit.config.set_doctor(False)
    _fit(_cnn(last=None), "sparse_categorical_crossentropy", x * 255, y)


def test_environment_variable_silences_the_doctor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CNNKIT_DOCTOR", "0")
    assert not cnnkit.config.doctor_enabled()
    x, y = _data()
    _fit(_cnn(last=None), "sparse_categorical_crossentropy", x, y)


def test_set_doctor_takes_a_bool() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`set_doctor` takes True"):
        cnnkit.config.set_doctor("no")  # type: ignore[arg-type]


def test_a_warning_comes_once_per_compile() -> None:
    x, y = _data()
    model = _cnn(last=None)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=2, verbose=0)
        model.fit(x, y, epochs=1, verbose=0)
    assert [w.category for w in caught] == [DoctorWarning]
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.warns(DoctorWarning, match="expects probabilities"):
        model.fit(x, y, epochs=1, verbose=0)
