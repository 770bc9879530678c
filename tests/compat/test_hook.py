"""The import hook: every import form of Keras / tf.keras lands on cnnkit."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

import pytest

import cnnkit
from cnnkit.compat import hook, tf_api
from cnnkit.compat.hook import AliasModule, keras_target, resolve_api


def _run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    return namespace


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import keras\nobj = keras.layers.Conv2D", cnnkit.layers.Conv2D),
        ("from keras.layers import Conv2D as obj", cnnkit.layers.Conv2D),
        ("import keras.layers\nobj = keras.layers.Dense", cnnkit.layers.Dense),
        ("import tensorflow as tf\nobj = tf.keras.layers.Conv2D", cnnkit.layers.Conv2D),
        ("from tensorflow import keras\nobj = keras.Sequential", cnnkit.Sequential),
        (
            "from tensorflow.keras.layers import MaxPooling2D as obj",
            cnnkit.layers.MaxPooling2D,
        ),
        ("import tensorflow.keras.layers as L\nobj = L.Flatten", cnnkit.layers.Flatten),
        ("from tensorflow.keras import Model as obj", cnnkit.Model),
        (
            "from tensorflow.python.keras.layers import Dense as obj",
            cnnkit.layers.Dense,
        ),
        ("from tf_keras.layers import Dense as obj", cnnkit.layers.Dense),
        ("from keras.models import Sequential as obj", cnnkit.Sequential),
        ("from keras.optimizers.legacy import Adam as obj", cnnkit.optimizers.Adam),
        (
            "from keras.callbacks import EarlyStopping as obj",
            cnnkit.callbacks.EarlyStopping,
        ),
        ("from keras import backend as obj\nobj = obj.floatx", cnnkit.backend.floatx),
        # Keras 2 module paths of the layers.
        ("from keras.layers.convolutional import Conv1D as obj", cnnkit.layers.Conv1D),
        ("from keras.layers.core import Dropout as obj", cnnkit.layers.Dropout),
        ("from keras.layers.merge import add as obj", cnnkit.layers.add),
        (
            "from keras.layers.experimental.preprocessing import RandomFlip as obj",
            cnnkit.layers.RandomFlip,
        ),
        (
            "import tensorflow as tf\n"
            "obj = tf.keras.layers.experimental.preprocessing.RandomFlip",
            cnnkit.layers.RandomFlip,
        ),
        (
            "from keras.datasets import mnist\nobj = mnist.load_data",
            cnnkit.datasets.mnist.load_data,
        ),
        (
            "import keras.datasets.fashion_mnist as fm\nobj = fm.load_data",
            cnnkit.datasets.fashion_mnist.load_data,
        ),
        (
            "from keras.utils import np_utils\nobj = np_utils.to_categorical",
            cnnkit.utils.to_categorical,
        ),
        (
            "from keras.preprocessing.image import img_to_array as obj",
            importlib.import_module("cnnkit.utils.image_utils").img_to_array,
        ),
    ],
)
@pytest.mark.usefixtures("keras_hook")
def test_import_forms_resolve_to_cnnkit(source: str, expected: object) -> None:
    assert _run(source)["obj"] is expected


@pytest.mark.usefixtures("keras_hook")
def test_attribute_access_and_import_give_the_same_module() -> None:
    ns = _run("import tensorflow as tf\nimport keras\nimport tensorflow.keras.layers")
    assert ns["keras"].layers is sys.modules["keras.layers"]
    assert ns["tf"].keras.layers is sys.modules["tensorflow.keras.layers"]
    assert isinstance(sys.modules["keras.layers"], AliasModule)


@pytest.mark.usefixtures("keras_hook")
def test_cnnkit_modules_are_left_untouched() -> None:
    _run("import keras.layers.experimental.preprocessing\nimport tensorflow.keras")
    # The import system writes __spec__ and submodule attributes on what it loads:
    # they must land on the alias, never on cnnkit's own modules.
    assert cnnkit.layers.__spec__ is not None
    assert cnnkit.layers.__spec__.name == "cnnkit.layers"
    assert not hasattr(cnnkit.layers, "experimental")
    assert sys.modules["keras.layers"].__spec__.name == "keras.layers"


@pytest.mark.usefixtures("keras_hook")
def test_star_import_gives_the_layers_and_no_submodules() -> None:
    ns = _run("from keras.layers import *")
    assert ns["Conv2D"] is cnnkit.layers.Conv2D
    assert ns["MaxPool2D"] is cnnkit.layers.MaxPooling2D
    assert "convolutional" not in ns  # a cnnkit subpackage, not a Keras name


@pytest.mark.usefixtures("keras_hook")
def test_alias_module_dir_and_repr() -> None:
    keras = importlib.import_module("keras")
    assert "Sequential" in dir(keras)
    assert "layers" in dir(keras)
    assert repr(keras.layers) == "<module 'keras.layers' (cnnkit: 'cnnkit.layers')>"
    assert keras.version() == keras.__version__
    assert keras.__version__.startswith("3.")


@pytest.mark.usefixtures("keras_hook")
def test_backend_basics() -> None:
    backend = importlib.import_module("keras.backend")
    assert backend.image_data_format() == "channels_last"
    assert backend.epsilon() == pytest.approx(1e-7)
    assert backend.floatx() == "float32"
    backend.set_image_data_format("channels_first")
    try:
        assert cnnkit.config.image_data_format() == "channels_first"
    finally:
        backend.set_image_data_format("channels_last")
    first = cnnkit.layers.Dense(1).name
    backend.clear_session()
    assert cnnkit.layers.Dense(1).name == first.split("_")[0]


@pytest.mark.usefixtures("keras_hook")
def test_unsupported_keras_module_names_the_module() -> None:
    with pytest.raises(
        ModuleNotFoundError,
        match=r"^keras\.applications\.densenet is not provided by cnnkit: cnnkit "
        r"implements the "
        r"Keras CNN API .*cnnkit run --check SCRIPT",
    ):
        importlib.import_module("keras.applications.densenet")


@pytest.mark.usefixtures("keras_hook")
def test_unsupported_keras_dataset_is_module_not_found() -> None:
    with pytest.raises(
        ModuleNotFoundError, match=r"keras\.datasets\.imdb is not provided by cnnkit"
    ):
        _run("from keras.datasets import imdb")


@pytest.mark.usefixtures("keras_hook")
def test_star_import_of_keras_and_tensorflow() -> None:
    ns = _run("from keras import *")
    assert ns["Sequential"] is cnnkit.Sequential
    assert ns["layers"].Conv2D is cnnkit.layers.Conv2D
    ns = _run("from tensorflow import *")
    names = sorted(k for k in ns if not k.startswith("__"))
    assert names == sorted(n for n in tf_api.__all__ if not n.startswith("__"))
    assert {"GradientTape", "constant", "data", "keras", "random"} <= set(names)


@pytest.mark.usefixtures("keras_hook")
def test_unsupported_tensorflow_module_names_tf_x() -> None:
    with pytest.raises(
        ModuleNotFoundError,
        match=r"tf\.compat is not available: cnnkit's TensorFlow stand-in covers tf\.keras",
    ):
        importlib.import_module("tensorflow.compat.v1")


@pytest.mark.usefixtures("keras_hook")
def test_from_import_of_an_unsupported_name_keeps_the_message() -> None:
    with pytest.raises(
        ModuleNotFoundError,
        match=r"^keras\.layers\.NoSuchLayer is not provided by cnnkit",
    ):
        _run("from keras.layers import Conv2D, NoSuchLayer")
    with pytest.raises(
        ModuleNotFoundError,
        match=r"^tensorflow\.keras\.preprocessing\.image\.ImageDataGenerator is not "
        "provided by cnnkit",
    ):
        _run("from tensorflow.keras.preprocessing.image import ImageDataGenerator")


@pytest.mark.usefixtures("keras_hook")
def test_unsupported_keras_attribute_is_one_line() -> None:
    layers = importlib.import_module("keras.layers")
    with pytest.raises(
        AttributeError, match=r"^keras\.layers\.NoSuchLayer is not provided by cnnkit: "
    ) as caught:
        _ = layers.NoSuchLayer
    assert "\n" not in str(caught.value)
    assert caught.value.name == "NoSuchLayer"


@pytest.mark.usefixtures("keras_hook")
def test_unsupported_tf_attribute_names_tf_x() -> None:
    tf = importlib.import_module("tensorflow")
    with pytest.raises(
        AttributeError,
        match=r"^tf\.strings is not available: cnnkit's TensorFlow stand-in covers tf\.keras",
    ) as caught:
        _ = tf.strings
    assert "\n" not in str(caught.value)


@pytest.mark.usefixtures("keras_hook")
def test_dunder_lookups_go_to_the_cnnkit_module() -> None:
    keras = importlib.import_module("keras")
    assert keras.__file__ == importlib.import_module("cnnkit.compat.keras_api").__file__
    with pytest.raises(AttributeError, match="__no_such_dunder__"):
        _ = keras.__no_such_dunder__


def test_hook_wins_over_an_already_imported_keras() -> None:
    """A real keras/tensorflow imported earlier is set aside, then restored."""
    real_keras = ModuleType("keras")  # stands for the installed Keras
    real_tf = ModuleType("tensorflow")
    saved = {name: sys.modules.get(name) for name in ("keras", "tensorflow")}
    sys.modules.update(keras=real_keras, tensorflow=real_tf)
    try:
        hook.install()
        try:
            assert sys.meta_path[0] is hook._finder
            assert importlib.import_module("keras") is not real_keras
            assert importlib.import_module("tensorflow").keras.layers.Dense is (
                cnnkit.layers.Dense
            )
        finally:
            hook.uninstall()
        assert sys.modules["keras"] is real_keras
        assert sys.modules["tensorflow"] is real_tf
        assert not any(isinstance(m, AliasModule) for m in sys.modules.values())
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def test_install_is_idempotent_and_uninstall_removes_the_finder() -> None:
    hook.install()
    hook.install()
    try:
        assert sys.meta_path.count(hook._finder) == 1
        assert hook.is_installed()
    finally:
        hook.uninstall()
    assert not hook.is_installed()


def test_names_outside_keras_and_tensorflow_are_not_handled() -> None:
    for name in ("kerasx", "tensorflow_datasets", "tensorflowjs", "numpy", "tf"):
        assert not hook.handles(name)
    for name in ("keras", "keras.layers", "tensorflow", "tensorflow.data", "tf_keras"):
        assert hook.handles(name)


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("keras", "cnnkit.compat.keras_api"),
        ("tensorflow", "cnnkit.compat.tf_api"),
        ("tensorflow.keras", "cnnkit.compat.keras_api"),
        ("tensorflow.keras.optimizers.schedules", "cnnkit.optimizers.schedules"),
        ("keras.datasets.cifar10", "cnnkit.datasets.cifar10"),
        ("keras.datasets.cifar10.extra", None),
        ("keras.datasets.imdb", None),  # a Keras dataset cnnkit does not have
        ("keras.datasets._sources", None),  # cnnkit's internals stay hidden
        ("keras.ops", "cnnkit.ops"),
        ("tensorflow.keras.ops.numpy", "cnnkit.ops.numpy"),
        ("keras.random", "cnnkit.random"),
        ("keras.ops.linalg", None),  # Keras has it, cnnkit's ops do not
        ("tensorflow.random", "cnnkit.compat.tf.random"),
        ("tensorflow.data.experimental", "cnnkit.compat.tf.data_experimental"),
        ("tensorflow.strings", None),
        ("tensorflow.config", None),  # an attribute of tf, not a module
        ("numpy", None),
    ],
)
def test_keras_target(name: str, target: str | None) -> None:
    assert keras_target(name) == target


def test_resolve_api_without_the_hook() -> None:
    assert not hook.is_installed()
    assert resolve_api("tensorflow.keras.layers.Conv2D") is cnnkit.layers.Conv2D
    assert resolve_api("keras.layers.experimental.preprocessing.RandomFlip") is (
        cnnkit.layers.RandomFlip
    )
    assert callable(resolve_api("tensorflow.random.set_seed"))
    assert "keras" not in sys.modules or not isinstance(
        sys.modules["keras"], AliasModule
    )


def test_resolve_api_unknown_attribute_names_the_first_missing_piece() -> None:
    with pytest.raises(
        AttributeError,
        match=r"^keras\.applications\.DenseNet121 is not provided by cnnkit",
    ) as caught:
        resolve_api("keras.applications.DenseNet121")
    assert caught.value.name == "keras.applications.DenseNet121"
    with pytest.raises(AttributeError, match=r"^tf\.random\.poisson is not available"):
        resolve_api("tensorflow.random.poisson")


def test_resolve_api_outside_keras_is_module_not_found() -> None:
    with pytest.raises(
        ModuleNotFoundError, match=r"^torch\.nn is not provided by cnnkit"
    ):
        resolve_api("torch.nn")


@pytest.mark.usefixtures("keras_hook")
def test_tensorflow_submodules_import_as_modules() -> None:
    ns = _run(
        "from tensorflow.data import Dataset\n"
        "from tensorflow.data.experimental import AUTOTUNE\n"
        "from tensorflow.image import resize\n"
        "import tensorflow.math as tm\n"
        "import tensorflow as tf\n"
    )
    from cnnkit.compat.tf import data, image

    assert ns["Dataset"] is data.Dataset
    assert ns["AUTOTUNE"] == -1
    assert ns["resize"] is image.resize
    # Attribute access and import give the one module object.
    assert ns["tm"] is ns["tf"].math
    assert ns["tf"].data.experimental.AUTOTUNE == -1
    assert ns["tf"].keras.layers.Conv2D is cnnkit.layers.Conv2D


@pytest.mark.usefixtures("keras_hook")
def test_missing_names_in_tensorflow_submodules_teach() -> None:
    with pytest.raises(
        ModuleNotFoundError,
        match=r"^tf\.image\.adjust_jpeg_quality is not available: cnnkit's TensorFlow stand-in",
    ):
        _run("from tensorflow.image import adjust_jpeg_quality")
    tf = importlib.import_module("tensorflow")
    with pytest.raises(AttributeError, match=r"^tf\.nn\.ctc_loss is not available"):
        _ = tf.nn.ctc_loss
    with pytest.raises(ModuleNotFoundError, match=r"^tf\.strings is not available"):
        importlib.import_module("tensorflow.strings")


@pytest.mark.usefixtures("keras_hook")
def test_keras_applications_modules_import() -> None:
    import cnnkit.applications

    for family in ("resnet50", "mobilenet_v2", "efficientnet", "vgg16", "xception"):
        keras_module = importlib.import_module(f"keras.applications.{family}")
        tf_module = importlib.import_module(f"tensorflow.keras.applications.{family}")
        assert keras_module.preprocess_input is tf_module.preprocess_input
        assert callable(keras_module.decode_predictions)
    keras_applications = importlib.import_module("keras.applications")
    assert keras_applications.ResNet50 is cnnkit.applications.ResNet50
    tf = importlib.import_module("tensorflow")
    assert tf.keras.applications.MobileNetV2 is cnnkit.applications.MobileNetV2
    assert tf.keras.applications.efficientnet.EfficientNetB0 is (
        cnnkit.applications.EfficientNetB0
    )
