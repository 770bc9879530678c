"""image_dataset_from_directory (torch-native) and split_dataset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Subset, TensorDataset

from cnnkit.errors import FileFormatError, InvalidArgumentError, InvalidTypeError
from cnnkit.utils.dataset_utils import (
    ImageDirectoryDataset,
    image_dataset_from_directory,
    split_dataset,
)

# Each class has its own solid colour, so a pixel tells which class an image is.
COLOURS = {"ants": (255, 0, 0), "bees": (0, 255, 0), "cats": (0, 0, 255)}


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    counts = {"ants": 4, "bees": 3, "cats": 3}
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            size = (10 + i, 8)  # different sizes: everything is resized
            Image.new("RGB", size, COLOURS[name]).save(root / name / f"{i}.png")
    (root / "cats" / "nested").mkdir()
    # PNG bytes (lossless) under an upper-case .JPG name: extensions are case-blind.
    nested = root / "cats" / "nested" / "n.JPG"
    Image.new("RGB", (9, 9), COLOURS["cats"]).save(nested, format="PNG")
    (root / "ants" / "readme.txt").write_text("not an image")
    # Skipped as a class; walked (as in Keras) when labels are not inferred.
    (root / ".hidden").mkdir()
    Image.new("RGB", (4, 4)).save(root / ".hidden" / "x.png")
    return root


def _all(ds: ImageDirectoryDataset) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = zip(*ds)
    return torch.cat(images), torch.cat(labels)


def test_finds_classes_and_files(
    image_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    ds = image_dataset_from_directory(
        image_dir, image_size=(4, 5), batch_size=4, seed=1
    )
    assert capsys.readouterr().out == "Found 11 files belonging to 3 classes.\n"
    assert ds.class_names == ["ants", "bees", "cats"]
    assert len(ds.file_paths) == 11
    assert len(ds) == 3  # ceil(11 / 4) batches
    images, labels = next(iter(ds))
    assert images.shape == (4, 4, 5, 3)
    assert images.dtype == torch.float32
    assert labels.dtype == torch.int32
    assert labels.shape == (4,)


def test_labels_match_the_pixels(image_dir: Path) -> None:
    ds = image_dataset_from_directory(
        image_dir, image_size=(3, 3), seed=3, verbose=False
    )
    images, labels = _all(ds)
    colours = torch.tensor(list(COLOURS.values()), dtype=torch.float32)
    torch.testing.assert_close(images[:, 1, 1, :], colours[labels.long()])


def test_unshuffled_order_is_sorted_and_label_paths_agree(image_dir: Path) -> None:
    ds = image_dataset_from_directory(
        image_dir, image_size=(2, 2), shuffle=False, verbose=False
    )
    names = [os.path.relpath(p, image_dir) for p in ds.file_paths]
    assert names[:4] == [f"ants/{i}.png" for i in range(4)]
    assert names[-1] == os.path.join("cats", "nested", "n.JPG")
    _, labels = _all(ds)
    assert labels.tolist() == [0] * 4 + [1] * 3 + [2] * 4


def test_label_modes(image_dir: Path) -> None:
    kwargs = {"image_size": (2, 2), "shuffle": False, "verbose": False}
    _, onehot = _all(
        image_dataset_from_directory(image_dir, label_mode="categorical", **kwargs)
    )
    assert onehot.shape == (11, 3)
    assert onehot.dtype == torch.float32
    assert onehot.sum(dim=1).tolist() == [1.0] * 11
    # As in Keras, label_mode=None means labels=None: every image under the root.
    only = image_dataset_from_directory(image_dir, label_mode=None, **kwargs)
    assert only.class_names is None
    batch = next(iter(only))
    assert isinstance(batch, torch.Tensor)
    assert batch.shape == (12, 2, 2, 3)


def test_binary_labels_are_float_columns(image_dir: Path) -> None:
    ds = image_dataset_from_directory(
        image_dir, label_mode="binary", class_names=["bees", "ants"], image_size=(2, 2),
        shuffle=False, verbose=False,
    )  # fmt: skip
    _, labels = _all(ds)
    assert labels.shape == (7, 1)
    assert labels.dtype == torch.float32
    assert labels[:, 0].tolist() == [0.0] * 3 + [1.0] * 4  # class_names order kept


def test_unbatched_color_modes_and_channels_first(image_dir: Path) -> None:
    ds = image_dataset_from_directory(
        image_dir, batch_size=None, color_mode="rgba", image_size=(3, 2),
        data_format="channels_first", verbose=False, seed=0,
    )  # fmt: skip
    assert len(ds) == 11
    image, label = next(iter(ds))
    assert image.shape == (4, 3, 2)
    assert label.shape == ()
    gray = image_dataset_from_directory(
        image_dir, color_mode="grayscale", image_size=5, verbose=False, seed=0
    )
    assert next(iter(gray))[0].shape == (11, 5, 5, 1)


def test_validation_split_both_is_disjoint_and_complete(
    image_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    train, val = image_dataset_from_directory(
        image_dir, validation_split=0.3, subset="both", seed=7, image_size=(2, 2)
    )
    assert capsys.readouterr().out == (
        "Found 11 files belonging to 3 classes.\n"
        "Using 8 files for training.\n"
        "Using 3 files for validation.\n"
    )
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 11
    # Two separate calls with the same seed give the same split.
    alone = image_dataset_from_directory(
        image_dir, validation_split=0.3, subset="validation", seed=7, verbose=False
    )
    assert alone.file_paths == val.file_paths


def test_seeded_epochs_reshuffle_reproducibly(image_dir: Path) -> None:
    def epochs(seed: int) -> list[list[int]]:
        ds = image_dataset_from_directory(
            image_dir, image_size=(2, 2), seed=seed, verbose=False, batch_size=None
        )
        return [[int(lbl) for _, lbl in ds] for _ in range(3)]

    first = epochs(5)
    assert first == epochs(5)
    assert len({tuple(e) for e in first}) > 1


def test_worker_processes_give_the_same_batches(image_dir: Path) -> None:
    kwargs = {"image_size": (3, 3), "shuffle": False, "verbose": False, "batch_size": 5}
    single = _all(image_dataset_from_directory(image_dir, num_workers=0, **kwargs))
    multi_ds = image_dataset_from_directory(image_dir, num_workers=2, **kwargs)
    assert multi_ds.num_workers == 2
    multi = _all(multi_ds)
    torch.testing.assert_close(single[0], multi[0])
    torch.testing.assert_close(single[1], multi[1])


def test_explicit_labels_follow_sorted_file_order(image_dir: Path) -> None:
    labels = [0, 1] * 6  # 12 files: the hidden folder counts without inference
    ds = image_dataset_from_directory(
        image_dir, labels=labels, shuffle=False, image_size=(2, 2), verbose=False
    )
    assert ds.class_names == ["0", "1"]
    assert _all(ds)[1].tolist() == labels
    as_array = image_dataset_from_directory(
        image_dir, labels=np.array(labels), image_size=(2, 2), seed=2, verbose=False
    )
    assert len(as_array.file_paths) == 12


def test_labels_none_gives_images_only(
    image_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    ds = image_dataset_from_directory(image_dir, labels=None, image_size=(2, 2), seed=0)
    assert capsys.readouterr().out == "Found 12 files.\n"
    assert ds.class_names is None
    assert next(iter(ds)).shape == (12, 2, 2, 3)


def test_verbose_false_prints_nothing(
    image_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    image_dataset_from_directory(
        image_dir, verbose=False, validation_split=0.2, subset="training", seed=1
    )
    assert capsys.readouterr().out == ""


def test_auto_workers_and_repr(image_dir: Path) -> None:
    ds = image_dataset_from_directory(image_dir, verbose=False, seed=0)
    assert ds.num_workers == 0  # few files: decoding in this process is faster
    assert repr(ds).startswith("ImageDirectoryDataset(files=11, batches=1,")


def test_corrupt_image_names_the_file(image_dir: Path) -> None:
    (image_dir / "ants" / "broken.png").write_bytes(b"\x89PNG broken")
    ds = image_dataset_from_directory(image_dir, shuffle=False, verbose=False)
    with pytest.raises(FileFormatError, match=r"Cannot read .*broken\.png"):
        list(ds)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_mode": "sparse"}, r"`label_mode` must be one of \['int', "),
        ({"color_mode": "bgr"}, r"`color_mode` must be one of"),
        ({"batch_size": 0}, r"`batch_size` must be a positive int, or None"),
        ({"image_size": (0, 3)}, r"`image_size` must be a positive int or a tuple"),
        ({"interpolation": "lanczos3"}, r"`interpolation` must be one of \['bilinear'"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one of"),
        ({"format": "tfds"}, r"`format` must be one of \['tf', 'grain', 'torch'\]"),
        ({"validation_split": 1.5, "subset": "training"}, "strictly between 0 and 1"),
        ({"validation_split": 0.2}, "`validation_split` and `subset` go together"),
        ({"subset": "test", "validation_split": 0.2}, r"`subset` must be one of"),
        ({"validation_split": 0.2, "subset": "both", "seed": None}, "pass a `seed`"),
        ({"labels": "folders"}, '`labels` must be "inferred", None, or a list'),
        ({"labels": [0] * 3}, r"`labels` has 3 entries but .* holds 12 image"),
        ({"labels": None, "class_names": ["a"]}, "`class_names` can only be given"),
        ({"class_names": ["ants", "wasps"]}, r"`class_names` \['wasps'\] are not"),
        ({"label_mode": "binary"}, 'label_mode="binary" needs exactly 2 classes'),
        ({"labels": [0] * 11 + [5], "label_mode": "categorical"}, "found label 5"),
        ({"validation_split": 0.01, "subset": "validation"}, "No images for the valid"),
        ({"num_workers": -1}, r"`num_workers` must be None \(automatic\)"),
    ],
)  # fmt: skip
def test_invalid_arguments_teach(image_dir: Path, kwargs: dict, message: str) -> None:
    kwargs = {"seed": 1, "verbose": False, **kwargs}
    with pytest.raises(InvalidArgumentError, match=message):
        image_dataset_from_directory(image_dir, **kwargs)


def test_missing_and_empty_directories(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="must be an existing folder"):
        image_dataset_from_directory(tmp_path / "absent")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(InvalidArgumentError, match=r"No images for it in .*Allowed"):
        image_dataset_from_directory(tmp_path / "empty", verbose=False)


# split_dataset ------------------------------------------------------------------


def test_split_numpy_by_fraction_and_count() -> None:
    x = np.arange(10)
    left, right = split_dataset(x, left_size=0.7)
    assert left.tolist() == list(range(7))
    assert right.tolist() == [7, 8, 9]
    left, right = split_dataset(x, right_size=2)
    assert len(left) == 8
    left, right = split_dataset(x, left_size=3, right_size=0.5)
    assert left.tolist() == [0, 1, 2]
    assert right.tolist() == [5, 6, 7, 8, 9]


def test_split_tuples_lists_dicts_and_tensors() -> None:
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (xl, _), (_, yr) = split_dataset((x, y), left_size=0.8)
    assert xl.shape == (8, 2)
    assert yr.tolist() == [8, 9]
    as_list = split_dataset([x, y], left_size=5)
    assert isinstance(as_list[0], list)
    as_dict = split_dataset({"x": x, "y": y}, right_size=0.2)
    assert as_dict[1]["y"].tolist() == [8, 9]
    tensors = split_dataset(torch.arange(6), left_size=4)
    assert tensors[1].tolist() == [4, 5]


def test_split_torch_dataset_gives_subsets() -> None:
    ds = TensorDataset(torch.arange(10))
    left, right = split_dataset(ds, left_size=0.6, shuffle=True, seed=3)
    assert isinstance(left, Subset)
    assert (len(left), len(right)) == (6, 4)
    assert sorted(left.indices + right.indices) == list(range(10))


def test_split_shuffle_is_a_seeded_permutation() -> None:
    x = np.arange(50)
    a = split_dataset(x, left_size=0.5, shuffle=True, seed=1)
    b = split_dataset(x, left_size=0.5, shuffle=True, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert sorted(np.concatenate(a).tolist()) == list(range(50))
    assert a[0].tolist() != list(range(25))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, InvalidArgumentError, "needs `left_size` or `right_size`"),
        ({"left_size": "half"}, InvalidTypeError, r"received left_size='half' of type"),
        ({"right_size": True}, InvalidTypeError, "`right_size` must be an int"),
        ({"left_size": 10}, InvalidArgumentError, r"must be in \[1, 9\]"),
        ({"right_size": 1.0}, InvalidArgumentError, r"must be in \(0, 1\)"),
        ({"left_size": 6, "right_size": 5}, InvalidArgumentError, "give 6 \\+ 5"),
        ({"left_size": 0.01}, InvalidArgumentError, "give 0 \\+ 10 samples"),
    ],
)  # fmt: skip
def test_split_sizes_are_checked(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        split_dataset(np.arange(10), **kwargs)


def test_split_rejects_unsupported_or_ragged_datasets() -> None:
    with pytest.raises(InvalidTypeError, match="received generator"):
        split_dataset((i for i in range(3)), left_size=1)
    with pytest.raises(InvalidTypeError, match=r"received \['list'\]"):
        split_dataset(([1, 2, 3],), left_size=1)
    with pytest.raises(InvalidArgumentError, match=r"received lengths \[3, 2\]"):
        split_dataset((np.arange(3), np.arange(2)), left_size=1)


@pytest.mark.oracle
def test_split_sizes_match_keras() -> None:
    import keras

    x = np.arange(37, dtype=np.float32)
    # (Keras' torch path fails when left + right < total, so that case is absent.)
    for kwargs in (
        {"left_size": 0.8},
        {"right_size": 5},
        {"left_size": 0.25},
    ):
        theirs = keras.utils.split_dataset(x, **kwargs)
        ours = split_dataset(x, **kwargs)
        assert (len(ours[0]), len(ours[1])) == (len(theirs[0]), len(theirs[1]))
