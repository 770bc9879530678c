"""``cnnkit run --check``: a static list of the Keras/TF names a script uses."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from cnnkit.cli import main
from cnnkit.compat import hook
from cnnkit.compat.check import Usage, check_source, format_report, missing_note

WriteScript = Callable[..., Path]


def _check(source: str) -> list[tuple[int, str, bool]]:
    return [
        (u.line, u.name, u.supported) for u in check_source(textwrap.dedent(source))
    ]


def test_imports_and_attributes_are_listed_with_lines() -> None:
    assert _check(
        """
        import keras
        import tensorflow as tf
        from tensorflow.keras.layers import Conv2D, MaxPool2D as Pool
        from keras import backend as K
        x = keras.layers.Dense(3)
        y = tf.keras.layers.Flatten()
        K.image_data_format()
        tf.random.set_seed(1)
        """
    ) == [
        (2, "keras", True),
        (3, "tensorflow", True),
        (4, "tensorflow.keras.layers.Conv2D", True),
        (4, "tensorflow.keras.layers.MaxPool2D", True),
        (5, "keras.backend", True),
        (6, "keras.layers.Dense", True),
        (7, "tensorflow.keras.layers.Flatten", True),
        (8, "keras.backend.image_data_format", True),
        (9, "tensorflow.random.set_seed", True),
    ]


def test_applications_are_supported() -> None:
    assert _check(
        """
        import tensorflow as tf
        from keras.applications import MobileNetV2, ResNet50
        from keras.applications.efficientnet import EfficientNetB0, preprocess_input
        import keras.applications.vgg16
        from keras.applications import xception
        base = tf.keras.applications.resnet50.ResNet50(weights=None)
        tf.keras.applications.mobilenet_v2.preprocess_input(x)
        keras.applications.vgg16.decode_predictions(p)
        """
    ) == [
        (2, "tensorflow", True),
        (3, "keras.applications.MobileNetV2", True),
        (3, "keras.applications.ResNet50", True),
        (4, "keras.applications.efficientnet.EfficientNetB0", True),
        (4, "keras.applications.efficientnet.preprocess_input", True),
        (5, "keras.applications.vgg16", True),
        (6, "keras.applications.xception", True),
        (7, "tensorflow.keras.applications.resnet50.ResNet50", True),
        (8, "tensorflow.keras.applications.mobilenet_v2.preprocess_input", True),
        (9, "keras.applications.vgg16.decode_predictions", True),
    ]


def test_names_bound_by_assignment_are_followed() -> None:
    assert _check(
        """
        import tensorflow as tf
        keras = tf.keras
        L = keras.layers
        L.Conv2D(8, 3)
        L.Nope()
        """
    ) == [
        (2, "tensorflow", True),
        (3, "tensorflow.keras", True),
        (4, "tensorflow.keras.layers", True),
        (5, "tensorflow.keras.layers.Conv2D", True),
        (6, "tensorflow.keras.layers.Nope", False),
    ]


def test_unsupported_names_are_reported_by_name_and_line() -> None:
    usages = check_source(
        textwrap.dedent(
            """
            import tensorflow as tf
            from keras.applications import DenseNet121
            from keras.layers import Conv2D, NoSuchLayer
            import keras.src.ops
            ds = tf.strings.split(x)
            tf.keras.layers.Conv2D(1, 1)
            """
        )
    )
    unsupported = [(u.line, u.name, u.note) for u in usages if not u.supported]
    assert unsupported == [
        (3, "keras.applications.DenseNet121", ""),
        (4, "keras.layers.NoSuchLayer", ""),
        (5, "keras.src.ops", ""),
        (
            6,
            "tensorflow.strings.split",
            "tf.strings: not in cnnkit's TensorFlow stand-in",
        ),
    ]


def test_string_ids_given_to_keras_are_resolved() -> None:
    usages = check_source(
        textwrap.dedent(
            """
            from keras import layers, models
            m = models.Sequential([layers.Dense(4, activation="relu",
                                                kernel_initializer="he_normal"),
                                   layers.Dense(1, activation="no_such_act")])
            m.compile(optimizer="rmsprop", loss="binary_crossentropy",
                      metrics=["accuracy", "auc", "no_such_metric"])
            m.compile(optimizer="adamqq", loss="nope_loss")
            """
        )
    )
    strings = {u.name: (u.supported, u.note) for u in usages if "=" in u.name}
    assert strings["activation='relu'"] == (True, "")
    assert strings["kernel_initializer='he_normal'"] == (True, "")
    assert strings["optimizer='rmsprop'"] == (True, "")
    assert strings["loss='binary_crossentropy'"] == (True, "")
    assert strings["metrics='accuracy'"] == (True, "")
    assert strings["metrics='auc'"] == (True, "")
    for bad in (
        "activation='no_such_act'",
        "metrics='no_such_metric'",
        "optimizer='adamqq'",
        "loss='nope_loss'",
    ):
        supported, note = strings[bad]
        assert not supported, bad
        assert note.endswith("."), note  # the error's first sentence
        assert bad.split("=")[1] in note


def test_methods_called_on_models_are_checked() -> None:
    assert _check(
        """
        from tensorflow import keras
        model = keras.Sequential()
        model.fit_generator(g, steps_per_epoch=1)
        model.frobnicate()
        loaded = keras.models.load_model("m.keras")
        loaded.predict_classes(x)
        build_model().evaluate_generator(g)
        something.fit(x)
        """
    ) == [
        (2, "tensorflow.keras", True),
        (3, "tensorflow.keras.Sequential", True),
        (4, "Sequential.fit_generator", True),
        (5, "Sequential.frobnicate", False),
        (6, "tensorflow.keras.models.load_model", True),
        (7, "Model.predict_classes", True),
        (8, "Model.evaluate_generator", True),
    ]


def test_keras2_spellings_are_supported_with_a_note() -> None:
    usages = check_source(
        "from keras.optimizers import SGD\n"
        "opt = SGD(lr=0.1, decay=1e-6)\n"
        "model.predict_classes(x)\n"
    )
    notes = {u.name: u.note for u in usages}
    assert notes["keras.optimizers.SGD(lr=...)"] == "Keras 2 spelling of learning_rate"
    assert notes["keras.optimizers.SGD(decay=...)"] == (
        "Keras 2 argument, ignored with a warning"
    )
    assert notes["Model.predict_classes"] == "Keras 2 name: argmax of model.predict"
    assert all(u.supported for u in usages)


def test_star_import_and_unrelated_code_are_quiet() -> None:
    assert _check(
        """
        from keras.layers import *
        import numpy as np
        from . import sibling
        np.zeros(3).reshape(1, 3)
        """
    ) == [(2, "keras.layers.*", True)]


def test_check_runs_nothing_and_leaves_no_hook(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    check_source(f"import keras\nopen({str(marker)!r}, 'w')\n")
    assert not marker.exists()
    assert not hook.is_installed()
    assert "keras" not in sys.modules or not isinstance(
        sys.modules["keras"], hook.AliasModule
    )


def test_syntax_error_propagates() -> None:
    with pytest.raises(SyntaxError, match="never closed"):
        check_source("x = (\n")


def test_missing_note_for_tf_and_keras() -> None:
    assert (
        missing_note("tensorflow.signal")
        == "tf.signal: not in cnnkit's TensorFlow stand-in"
    )
    assert missing_note("tensorflow.signal.resize", "tensorflow.signal") == (
        "tf.signal: not in cnnkit's TensorFlow stand-in"
    )
    assert missing_note("tensorflow") == "tf: not in cnnkit's TensorFlow stand-in"
    assert missing_note("tensorflow.keras.ops") == ""
    assert missing_note("keras.ops.conv", "keras.ops") == "cnnkit has no keras.ops"


def test_format_report() -> None:
    usages = [
        Usage(1, "keras", True),
        Usage(2, "Model.fit_generator", True, "Keras 2 name: runs model.fit"),
        Usage(
            3,
            "tensorflow.strings",
            False,
            "tf.strings: not in cnnkit's TensorFlow stand-in",
        ),
    ]
    assert format_report(usages, "train.py").splitlines() == [
        "train.py: 3 Keras/TensorFlow name(s) used",
        "  line 1: keras — ok",
        "  line 2: Model.fit_generator — ok (Keras 2 name: runs model.fit)",
        "  line 3: tensorflow.strings — NOT SUPPORTED by cnnkit "
        "(tf.strings: not in cnnkit's TensorFlow stand-in)",
        "1 unsupported name(s): tensorflow.strings (line 3).",
    ]
    assert format_report([Usage(1, "keras", True)], "a.py").endswith("All supported.")


# ------------------------------------------------------------------------ CLI


def test_cli_check_all_supported_exits_0(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script("import keras\nkeras.layers.Conv2D(8, 3)\n")
    assert main(["run", "--check", str(script)]) == 0
    out = capsys.readouterr().out
    assert "line 2: keras.layers.Conv2D — ok" in out
    assert out.rstrip().endswith("All supported.")


def test_cli_check_unsupported_exits_1_and_names_them(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        "import tensorflow as tf\n"
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
        "tf.signal.resize(x, (2, 2))\n"
    )
    assert main(["run", "--check", str(script)]) == 1
    out = capsys.readouterr().out
    assert (
        "line 2: tensorflow.keras.preprocessing.image.ImageDataGenerator — "
        "NOT SUPPORTED by cnnkit" in out
    )
    assert (
        "line 3: tensorflow.signal.resize — NOT SUPPORTED by cnnkit "
        "(tf.signal: not in cnnkit's TensorFlow stand-in)" in out
    )
    assert out.rstrip().splitlines()[-1] == (
        "2 unsupported name(s): tensorflow.keras.preprocessing.image."
        "ImageDataGenerator (line 2), tensorflow.signal.resize (line 3)."
    )


def test_cli_check_bad_files_exit_2(
    tmp_path: Path, write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--check", str(tmp_path / "absent.py")]) == 2
    assert "can't read" in capsys.readouterr().err
    broken = write_script("def f(:\n")
    assert main(["run", "--check", str(broken)]) == 2
    assert "is not valid Python (line 1" in capsys.readouterr().err
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00")
    assert main(["run", "--check", str(binary)]) == 2
    assert "can't read" in capsys.readouterr().err


def test_the_tf_surface_is_recognised_and_the_rest_still_reported() -> None:
    usages = check_source(
        textwrap.dedent(
            """\
            import tensorflow as tf
            from tensorflow.data import Dataset
            from tensorflow.data.experimental import AUTOTUNE
            from tensorflow.image import resize, adjust_jpeg_quality
            x = tf.constant([[1.0, 2.0]])
            ds = Dataset.from_tensor_slices(x).batch(1).prefetch(tf.data.AUTOTUNE)
            y = tf.reduce_mean(tf.nn.relu(tf.math.log(x)), axis=None)
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                z = tf.image.flip_left_right(tf.random.uniform([1, 2, 2, 3]))
            tape.gradient(z, x)
            tape.jacobian(z, x)
            tf.strings.split("a b")
            tf.data.TFRecordDataset("x.tfrecord")
            v = tf.Variable(0.0)
            v.assign_add(1.0)
            """
        )
    )
    unsupported = [(u.line, u.name, u.note) for u in usages if not u.supported]
    assert unsupported == [
        (
            4,
            "tensorflow.image.adjust_jpeg_quality",
            "tf.image.adjust_jpeg_quality: not in cnnkit's TensorFlow stand-in",
        ),
        (
            13,
            "tensorflow.strings.split",
            "tf.strings: not in cnnkit's TensorFlow stand-in",
        ),
        (
            14,
            "tensorflow.data.TFRecordDataset",
            "tf.data.TFRecordDataset: not in cnnkit's TensorFlow stand-in",
        ),
    ]
    supported = {u.name for u in usages if u.supported}
    assert {
        "tensorflow.data.Dataset",
        "tensorflow.data.experimental.AUTOTUNE",
        "tensorflow.image.resize",
        "tensorflow.constant",
        "tensorflow.data.AUTOTUNE",
        "tensorflow.reduce_mean",
        "tensorflow.nn.relu",
        "tensorflow.math.log",
        "tensorflow.GradientTape",
        "GradientTape.watch",
        "GradientTape.gradient",
        "GradientTape.jacobian",
        "tensorflow.image.flip_left_right",
        "tensorflow.random.uniform",
        "tensorflow.Variable",
        "Variable.assign_add",
    } <= supported


def test_methods_on_datasets_are_checked() -> None:
    usages = check_source(
        "import tensorflow as tf\n"
        "ds = tf.data.Dataset.from_tensor_slices([1, 2])\n"
        "ds = ds.shuffle(2).batch(1)\n"
        "ds.ragged_batch(2)\n"
    )
    found = {(u.line, u.name): u.supported for u in usages}
    assert found[(3, "Dataset.shuffle")] is True
    assert found[(4, "Dataset.ragged_batch")] is False


def test_issue16_part5_names_are_supported() -> None:
    usages = _check(
        """
        import keras
        from tensorflow.keras import layers, metrics
        from tensorflow.keras.utils import plot_model, model_to_dot
        a = layers.Lambda(lambda t: t * 2)
        b = layers.RandomWidth(0.1)
        c = layers.RandomHeight(0.1)
        d = layers.StringLookup()
        e = layers.IntegerLookup()
        f = metrics.MeanIoU(num_classes=3)
        g = keras.metrics.IoU(num_classes=3, target_class_ids=[0])
        h = keras.metrics.BinaryIoU()
        i = keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0])
        j = keras.metrics.OneHotMeanIoU(num_classes=3)
        keras.utils.plot_model(model, to_file="m.png")
        """
    )
    names = {name: supported for _, name, supported in usages}
    for name in (
        "tensorflow.keras.layers.Lambda",
        "tensorflow.keras.layers.RandomWidth",
        "tensorflow.keras.layers.RandomHeight",
        "tensorflow.keras.layers.StringLookup",
        "tensorflow.keras.layers.IntegerLookup",
        "tensorflow.keras.metrics.MeanIoU",
        "tensorflow.keras.utils.plot_model",
        "tensorflow.keras.utils.model_to_dot",
        "keras.metrics.IoU",
        "keras.metrics.BinaryIoU",
        "keras.metrics.OneHotIoU",
        "keras.metrics.OneHotMeanIoU",
        "keras.utils.plot_model",
    ):
        assert names.get(name) is True, (name, names.get(name))


# ------------------------------------------- check-truth: what stops or differs


def test_imports_that_would_stop_the_script_are_reported(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """\
            import numpy as np
            import tensorflow_datasets as tfds
            from keras_cv import layers as cv_layers
            import definitely_not_installed_pkg.sub
            import helpers
            try:
                import another_missing_pkg
            except ImportError:
                another_missing_pkg = None
            import tf_keras.wrappers.scikit_learn
            """
        ),
        encoding="utf-8",
    )
    usages = check_source(script.read_text(encoding="utf-8"), str(script))
    unsupported = {u.line: (u.name, u.note) for u in usages if not u.supported}
    assert unsupported[2] == (
        "tensorflow_datasets",
        "tensorflow_datasets needs TensorFlow: load the data with keras.datasets or "
        "keras.utils.image_dataset_from_directory instead",
    )
    assert unsupported[3][0] == "keras_cv"
    assert "Keras internals cnnkit does not have" in unsupported[3][1]
    assert unsupported[4] == (
        "definitely_not_installed_pkg.sub",
        "definitely_not_installed_pkg is not installed here: "
        "`pip install definitely_not_installed_pkg`",
    )
    assert unsupported[10][0] == "tf_keras.wrappers.scikit_learn"
    # numpy is installed, helpers.py sits next to the script, the guarded import
    # cannot stop it.
    assert sorted(unsupported) == [2, 3, 4, 10]


def test_pip_name_is_given_for_renamed_packages() -> None:
    from cnnkit.compat import check

    assert check.import_problem("os.path") is None
    assert check.import_problem("cv2") in (
        None,
        "cv2 is not installed here: `pip install opencv-python`",
    )


def test_names_that_run_but_differ_are_flagged_with_what_happens() -> None:
    usages = check_source(
        textwrap.dedent(
            """\
            import tensorflow as tf
            from tensorflow import keras
            gpus = tf.config.experimental.list_physical_devices("GPU")
            tf.config.experimental.set_memory_growth(gpus[0], True)
            keras.mixed_precision.set_global_policy("mixed_float16")
            model = keras.Sequential([keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.SGD(decay=1e-6), loss="mse",
                          jit_compile=True, steps_per_execution=8)
            @tf.function(jit_compile=True)
            def step(x):
                return model(x)
            model.fit(x, y, workers=4, use_multiprocessing=True)
            strategy = tf.distribute.MirroredStrategy()
            """
        )
    )
    differing = {(u.line, u.name): u.note for u in usages if u.differs}
    assert all(u.supported for u in usages if u.differs)
    assert set(differing) == {
        (4, "tensorflow.config.experimental.set_memory_growth"),
        (5, "tensorflow.keras.mixed_precision.set_global_policy"),
        (7, "tensorflow.keras.optimizers.SGD(decay=...)"),
        (7, "compile(jit_compile=...)"),
        (7, "compile(steps_per_execution=...)"),
        (9, "tensorflow.function"),
        (12, "Model.fit(workers=...)"),
        (12, "Model.fit(use_multiprocessing=...)"),
    }
    assert "torch.compile" in differing[(7, "compile(jit_compile=...)")]
    assert differing[(9, "tensorflow.function")].startswith("runs eagerly")
    assert (
        "prefer 'mixed_bfloat16'"
        in differing[(5, "tensorflow.keras.mixed_precision.set_global_policy")]
    )
    (strategy,) = [u for u in usages if not u.supported]
    assert strategy.name == "tensorflow.distribute.MirroredStrategy"
    assert strategy.note.startswith(
        "tf.distribute: not in cnnkit's TensorFlow stand-in; cnnkit trains on one "
        "device per process"
    )


def test_format_report_lists_the_differences_before_the_verdict() -> None:
    usages = [
        Usage(1, "tensorflow.function", True, "runs eagerly", differs=True),
        Usage(2, "keras", True),
    ]
    assert format_report(usages, "a.py").splitlines() == [
        "a.py: 2 Keras/TensorFlow name(s) used",
        "  line 1: tensorflow.function — runs, but differs from Keras (runs eagerly)",
        "  line 2: keras — ok",
        "1 name(s) run but differ from Keras: tensorflow.function (line 1).",
        "All supported.",
    ]


def test_vision_transformer_names_are_supported() -> None:
    # issue 16: the layers and ops of keras.io's ViT and attention tutorials.
    source = textwrap.dedent(
        """\
        import keras
        from keras import layers, ops
        patches = keras.ops.image.extract_patches(images, size=7)
        pos = layers.Embedding(input_dim=16, output_dim=32, mask_zero=False)
        att = layers.MultiHeadAttention(num_heads=4, key_dim=32, dropout=0.1)
        proj = layers.EinsumDense("abc,cd->abd", output_shape=(None, 8))
        scores = ops.einsum("bij,bjk->bik", a, b)
        """
    )
    found = _check(source)
    names = {name: ok for _, name, ok in found}
    for name in (
        "keras.ops.image.extract_patches",
        "keras.layers.Embedding",
        "keras.layers.MultiHeadAttention",
        "keras.layers.EinsumDense",
        "keras.ops.einsum",
    ):
        assert names[name] is True, (name, found)


# --- tf-gaps: jacobian, tf.data regrouping, tf.image / tf.random additions --------


def test_jacobian_and_dataset_regrouping_are_supported_in_chained_pipelines() -> None:
    usages = check_source(
        textwrap.dedent(
            """\
            import tensorflow as tf
            files = tf.data.Dataset.from_tensor_slices([0, 1, 2])
            ds = files.interleave(tf.data.Dataset.range, cycle_length=2)
            ds = ds.padded_batch(2, padded_shapes=[])
            ds = ds.rebatch(1)
            total = ds.reduce(0, lambda a, b: a)
            options = tf.data.Options()
            options.experimental_distribute.auto_shard_policy = (
                tf.data.experimental.AutoShardPolicy.DATA)
            ds = ds.with_options(options)
            ds = ds.bucket_by_sequence_length(len, [3], [1, 1])
            ds = ds.shard(2, 0).take_while(lambda x: True)
            ds = ds.scan(0, lambda s, x: (s, x))
            one = ds.get_single_element()
            mixed = tf.data.Dataset.sample_from_datasets([ds, ds], weights=[0.5, 0.5])
            picked = tf.data.Dataset.choose_from_datasets([ds], tf.data.Dataset.counter())
            x = tf.Variable([1.0])
            with tf.GradientTape(persistent=True) as tape:
                y = x * x
            tape.jacobian(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            tape.batch_jacobian(y, x)
            """
        )
    )
    names = {u.name: u for u in usages}
    for name in (
        "Dataset.interleave",
        "Dataset.padded_batch",
        "Dataset.rebatch",
        "Dataset.reduce",
        "Dataset.with_options",
        "Dataset.bucket_by_sequence_length",
        "Dataset.shard",
        "Dataset.scan",
        "Dataset.get_single_element",
        "tensorflow.data.Dataset.sample_from_datasets",
        "tensorflow.data.Dataset.choose_from_datasets",
        "tensorflow.data.Dataset.counter",
        "tensorflow.data.Options",
        "tensorflow.data.experimental.AutoShardPolicy.DATA",
        "GradientTape.jacobian",
        "GradientTape.batch_jacobian",
        "tensorflow.UnconnectedGradients.ZERO",
    ):
        assert names[name].supported, name
    assert all(u.supported for u in usages)
    assert names["Dataset.interleave"].differs
    assert "num_parallel_calls" in names["Dataset.interleave"].note
    assert names["Dataset.with_options"].differs


def test_image_measures_stateless_augmentation_and_generators_are_supported() -> None:
    usages = check_source(
        textwrap.dedent(
            """\
            import tensorflow as tf
            rng = tf.random.Generator.from_seed(123, alg="philox")
            seed = rng.make_seeds(2)[0]
            other = tf.random.Generator.from_non_deterministic_state().split(2)
            new_seed = tf.random.split(seed, num=1)[0, :]
            tf.random.experimental.stateless_split(seed)
            tf.random.fold_in(seed, 3)
            noise = tf.random.stateless_normal([2], seed=seed) + rng.normal([2])
            image = tf.random.stateless_uniform([16, 16, 3], seed=seed)
            image = tf.image.stateless_random_crop(image, [12, 12, 3], seed=seed)
            image = tf.image.stateless_random_brightness(image, 0.2, seed=new_seed)
            image = tf.image.stateless_random_contrast(image, 0.8, 1.2, seed=seed)
            image = tf.image.stateless_random_flip_left_right(image, seed)
            image = tf.image.stateless_random_flip_up_down(image, seed)
            image = tf.image.stateless_random_hue(image, 0.1, seed)
            image = tf.image.stateless_random_saturation(image, 0.5, 1.5, seed)
            score = tf.image.ssim(image, image, max_val=1.0) + tf.image.psnr(image, image, 1.0)
            edges = tf.image.sobel_edges(image[None])
            tv = tf.image.total_variation(image)
            dy, dx = tf.image.image_gradients(image[None])
            gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(image))
            hsv = tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(image))
            """
        )
    )
    unsupported = [u.name for u in usages if not u.supported]
    assert unsupported == []
    names = {u.name for u in usages}
    assert {
        "tensorflow.random.Generator.from_seed",
        "Generator.make_seeds",
        "Generator.normal",
        "tensorflow.random.split",
        "tensorflow.random.stateless_normal",
        "tensorflow.image.stateless_random_crop",
        "tensorflow.image.ssim",
        "tensorflow.image.sobel_edges",
        "tensorflow.image.total_variation",
    } <= names
