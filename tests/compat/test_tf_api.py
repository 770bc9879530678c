"""The ``tf`` root: ``tf.keras``, ``tf.random.set_seed``, ``tf.config``,
``tf.__version__``, ``tf.function``, ``tf.print``; unknown names refuse by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit.compat import keras_api, tf_api


def test_version_says_tensorflow_2_and_cnnkit() -> None:
    assert tf_api.__version__.startswith("2.16.0+cnnkit.")


def test_tf_keras_exists_without_the_hook() -> None:
    assert tf_api.keras is keras_api


def test_set_seed_makes_torch_repeatable_and_leaves_numpy_alone() -> None:
    np.random.seed(5)
    expected_numpy = np.random.rand()
    np.random.seed(5)
    tf_api.random.set_seed(123)
    first = torch.rand(3)
    tf_api.random.set_seed(123)
    assert torch.equal(first, torch.rand(3))
    # TensorFlow's set_seed never touches numpy's generator; neither does cnnkit's.
    assert np.random.rand() == expected_numpy


def test_set_seed_takes_negative_and_huge_ints_like_tensorflow() -> None:
    tf_api.random.set_seed(-1)
    tf_api.random.set_seed(2**70)


@pytest.mark.parametrize("seed", [1.5, "42", None, True])
def test_set_seed_rejects_non_ints(seed: object) -> None:
    with pytest.raises(TypeError, match=r"tf\.random\.set_seed: `seed` must be an int"):
        tf_api.random.set_seed(seed)  # type: ignore[arg-type]


def test_list_physical_devices_matches_torch() -> None:
    devices = tf_api.config.list_physical_devices()
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    mps = torch.backends.mps.is_available()
    assert devices[0] == ("/physical_device:CPU:0", "CPU")
    assert len(tf_api.config.list_physical_devices("GPU")) == gpus + int(mps)
    assert [d.device_type for d in tf_api.config.list_physical_devices("cpu")] == [
        "CPU"
    ]
    assert tf_api.config.experimental.list_physical_devices() == devices
    cpu = devices[0]
    assert (cpu.name, cpu.device_type) == ("/physical_device:CPU:0", "CPU")
    assert (
        repr(cpu) == "PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')"
    )


def test_list_physical_devices_rejects_unknown_types() -> None:
    with pytest.raises(
        ValueError, match=r"`device_type` must be one of \['CPU', 'GPU'\]"
    ):
        tf_api.config.list_physical_devices("TPU")


def test_set_memory_growth_is_accepted() -> None:
    for gpu in tf_api.config.list_physical_devices("GPU"):
        tf_api.config.experimental.set_memory_growth(gpu, True)
    tf_api.config.experimental.set_memory_growth(None, True)


@pytest.mark.parametrize(
    ("get", "shown"),
    [
        (lambda: tf_api.strings, "tf.strings"),
        (lambda: tf_api.sparse, "tf.sparse"),
        (lambda: tf_api.random.poisson, "tf.random.poisson"),
        (lambda: tf_api.math.bessel_i0, "tf.math.bessel_i0"),
        (lambda: tf_api.data.TFRecordDataset, "tf.data.TFRecordDataset"),
        (lambda: tf_api.config.set_visible_devices, "tf.config.set_visible_devices"),
        (
            lambda: tf_api.config.experimental.get_memory_info,
            "tf.config.experimental.get_memory_info",
        ),
    ],
)
def test_anything_else_fails_in_one_line_naming_it(get: object, shown: str) -> None:
    with pytest.raises(
        AttributeError,
        match=rf"^{shown.replace('.', '[.]')} is not available: cnnkit's TensorFlow "
        r"stand-in covers tf\.keras",
    ) as caught:
        get()  # type: ignore[operator]
    assert "\n" not in str(caught.value)


def test_dunder_probes_get_a_plain_attribute_error() -> None:
    # copy/pickle/inspect probe dunders; they must not see the teaching message.
    with pytest.raises(AttributeError, match=r"^__wrapped__$"):
        _ = tf_api.__wrapped__
    with pytest.raises(AttributeError, match=r"^__wrapped__$"):
        _ = tf_api.random.__wrapped__
    with pytest.raises(AttributeError, match=r"^__wrapped__$"):
        _ = tf_api.config.__wrapped__
    assert repr(tf_api.config) == "<cnnkit stand-in for tensorflow.config>"


def test_run_functions_eagerly_is_accepted() -> None:
    tf_api.config.run_functions_eagerly(True)


def test_top_level_names_are_the_submodules_functions() -> None:
    from cnnkit.compat.tf import math, tensor

    assert tf_api.reduce_mean is math.reduce_mean
    assert tf_api.gather is tensor.gather
    assert tf_api.math is math
    assert {"GradientTape", "Variable", "data", "image", "nn"} <= set(tf_api.__all__)
