"""Datasets from folders of images, and train/validation splits (as ``keras.utils``).

``image_dataset_from_directory`` takes Keras' arguments but returns a torch-native
iterable (no TensorFlow): images are decoded by a ``torch.utils.data.DataLoader``,
in worker processes once there are enough files.

Example:
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> left.tolist(), right.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.utils.image_utils import TORCH_INTERPOLATION_METHODS, load_image_tensor
from cnnkit.utils.validation import check_choice

__all__ = ["ImageDirectoryDataset", "image_dataset_from_directory", "split_dataset"]

LABEL_MODES = ("int", "categorical", "binary", None)
FORMATS = ("tf", "grain", "torch")
AUTO_WORKERS_MIN_FILES = 256  # below this, starting worker processes costs more


class _ImageFiles(Dataset):
    """Map-style dataset of (image, label); small and picklable for worker processes."""

    def __init__(
        self,
        paths: list[str],
        labels: np.ndarray | None,
        label_mode: str | None,
        num_classes: int,
        load_kwargs: dict[str, Any],
    ) -> None:
        self.paths, self.labels = paths, labels
        self.label_mode, self.num_classes = label_mode, num_classes
        self.load_kwargs = load_kwargs

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Any:
        image = load_image_tensor(self.paths[i], **self.load_kwargs)
        if self.labels is None or self.label_mode is None:
            return image
        label = int(self.labels[i])
        if self.label_mode == "categorical":
            target = torch.zeros(self.num_classes, dtype=torch.float32)
            target[label] = 1.0
        elif self.label_mode == "binary":
            target = torch.tensor([label], dtype=torch.float32)
        else:
            target = torch.tensor(label, dtype=torch.int32)
        return image, target


class ImageDirectoryDataset:
    """Batches of ``(images, labels)`` torch tensors read from image files.

    Iterating yields float32 images ``(B, H, W, C)`` (``(B, C, H, W)`` for
    channels_first) with values 0-255, and labels as ``label_mode`` says: int32
    ``(B,)``, float32 one-hot ``(B, K)`` or float32 ``(B, 1)``; only images when
    ``label_mode`` is None; single samples when ``batch_size`` is None. Each new
    iteration (epoch) reshuffles when ``shuffle`` is on, reproducibly from ``seed``.

    Attributes:
        class_names: Class names in label order (``None`` without labels).
        file_paths: The image files, in the (shuffled) order they were indexed.
    """

    def __init__(
        self,
        files: _ImageFiles,
        *,
        batch_size: int | None,
        shuffle: bool,
        seed: int,
        num_workers: int,
        class_names: list[str] | None,
    ) -> None:
        self._files = files
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_workers = num_workers
        self.class_names = class_names
        self.file_paths = list(files.paths)
        self._generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self._files)
        return math.ceil(len(self._files) / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self._files)
        order = torch.randperm(n, generator=self._generator) if self.shuffle else None
        loader = DataLoader(
            self._files,
            batch_size=self.batch_size,
            sampler=order.tolist() if order is not None else None,
            num_workers=self.num_workers,
        )
        yield from loader

    def __repr__(self) -> str:
        return (
            f"ImageDirectoryDataset(files={len(self._files)}, batches={len(self)}, "
            f"batch_size={self.batch_size}, class_names={self.class_names})"
        )


def _image_size(image_size: Any) -> tuple[int, int]:
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_size
        )
    ):
        raise InvalidArgumentError(
            "`image_size` must be a positive int or a tuple of two positive ints "
            f"(height, width); received image_size={image_size!r}."
        )
    return int(image_size[0]), int(image_size[1])


def _check_options(
    label_mode: Any,
    color_mode: Any,
    batch_size: Any,
    interpolation: Any,
    crop_to_aspect_ratio: bool,
    pad_to_aspect_ratio: bool,
    format: Any,
) -> None:
    check_choice(label_mode, LABEL_MODES, "label_mode")
    check_choice(color_mode, ("grayscale", "rgb", "rgba"), "color_mode")
    if batch_size is not None and (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size <= 0
    ):
        raise InvalidArgumentError(
            "`batch_size` must be a positive int, or None for unbatched samples; "
            f"received batch_size={batch_size!r}."
        )
    if interpolation not in TORCH_INTERPOLATION_METHODS:
        raise InvalidArgumentError(
            f"`interpolation` must be one of {list(TORCH_INTERPOLATION_METHODS)} "
            f"(cnnkit resizes with torch, like Keras' torch backend); received "
            f"interpolation={interpolation!r}."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise InvalidArgumentError(
            "Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be "
            "True; received both. Crop to keep all pixels in frame, or pad to keep "
            "the whole image."
        )
    check_choice(format, FORMATS, "format")


IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _check_split(validation_split: Any, subset: Any, shuffle: bool, seed: Any) -> None:
    """Check ``validation_split`` / ``subset`` / ``seed`` together, as Keras does."""
    if validation_split is not None and (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not 0 < float(validation_split) < 1
    ):
        raise InvalidArgumentError(
            "`validation_split` must be a float strictly between 0 and 1 (the "
            "fraction kept for validation); received "
            f"validation_split={validation_split!r}."
        )
    check_choice(subset, ("training", "validation", "both", None), "subset")
    if bool(validation_split) != bool(subset):
        raise InvalidArgumentError(
            "`validation_split` and `subset` go together; received "
            f"validation_split={validation_split!r} and subset={subset!r}. E.g. "
            "validation_split=0.2, subset='both', seed=123."
        )
    if validation_split and shuffle and seed is None:
        raise InvalidArgumentError(
            "With `validation_split` and shuffle=True, pass a `seed` (e.g. seed=123) "
            "so that the training and validation subsets do not overlap when the "
            "two are made by separate calls."
        )


def _walk_images(folder: str, follow_links: bool) -> list[str]:
    """Image files under ``folder``, relative to it, in sorted walk order."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links)):
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def _index_directory(
    directory: Any,
    labels: Any,
    class_names: Sequence[str] | None,
    follow_links: bool,
    shuffle: bool,
    seed: int,
    verbose: bool,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """List image files with their labels and class names; shuffle with ``seed``."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise InvalidArgumentError(
            f"`directory` must be an existing folder; received directory={directory!r}."
        )
    inferred = isinstance(labels, str) and labels == "inferred"
    if not (
        inferred or labels is None or isinstance(labels, (list, tuple, np.ndarray))
    ):
        raise InvalidArgumentError(
            '`labels` must be "inferred", None, or a list of integer labels (one '
            f"per image file, in sorted order); received labels={labels!r}."
        )
    if class_names is not None and not inferred:
        raise InvalidArgumentError(
            '`class_names` can only be given with labels="inferred"; received '
            f"class_names={list(class_names)!r} with labels={labels!r}."
        )
    if inferred:
        subdirs = sorted(
            d for d in os.listdir(directory)
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        )  # fmt: skip
        if class_names is not None:
            unknown = sorted(set(class_names) - set(subdirs))
            if unknown:
                raise InvalidArgumentError(
                    f"`class_names` {unknown} are not sub-folders of {directory!r}; "
                    f"its sub-folders are {subdirs}."
                )
            subdirs = list(class_names)
        paths, label_list = [], []
        for label, sub in enumerate(subdirs):
            found = _walk_images(os.path.join(directory, sub), follow_links)
            paths += [os.path.join(directory, sub, f) for f in found]
            label_list += [label] * len(found)
        names: list[str] | None = list(subdirs)
        label_array: np.ndarray | None = np.asarray(label_list, dtype=np.int32)
    else:
        paths = [
            os.path.join(directory, f) for f in _walk_images(directory, follow_links)
        ]
        names, label_array = None, None
        if labels is not None:
            if len(labels) != len(paths):
                raise InvalidArgumentError(
                    f"`labels` has {len(labels)} entries but {directory!r} holds "
                    f"{len(paths)} image files; give one label per file."
                )
            label_array = np.asarray(labels, dtype=np.int32)
            names = [str(v) for v in sorted(set(label_array.tolist()))]
    if verbose:
        if names is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:
        # One permutation for paths and labels, so they stay paired.
        perm = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in perm]
        label_array = None if label_array is None else label_array[perm]
    return paths, label_array, names


def _check_labels_below(labels: np.ndarray, num_classes: int) -> None:
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise InvalidArgumentError(
            f"label_mode='categorical' needs labels in [0, {num_classes - 1}] "
            f"({num_classes} classes); found label {int(bad[0])}. Renumber the "
            "labels from 0, or use label_mode='int'."
        )


def _take_subset(
    directory: Any,
    paths: list[str],
    labels: np.ndarray | None,
    validation_split: float | None,
    subset: str | None,
    verbose: bool,
) -> tuple[list[str], np.ndarray | None]:
    """The training part (first files) or validation part (last files)."""
    n_val = int(validation_split * len(paths)) if validation_split else 0
    if subset == "validation":
        start, stop = len(paths) - n_val, len(paths)
    else:
        start, stop = 0, len(paths) - n_val
    part = paths[start:stop]
    if verbose and subset is not None:
        print(f"Using {len(part)} files for {subset}.")
    if not part:
        what = f"the {subset} subset" if subset else "it"
        raise InvalidArgumentError(
            f"No images for {what} in {os.fspath(directory)!r} ({len(paths)} image "
            f"files found, validation_split={validation_split!r}). Allowed "
            f"extensions: {list(IMAGE_EXTENSIONS)}; with inferred labels the images "
            "must sit in one sub-folder per class."
        )
    return part, None if labels is None else labels[start:stop]


def _dataset_length(dataset: Any) -> int:
    """Number of samples; also checks that parallel arrays have the same length."""
    if isinstance(dataset, (np.ndarray, torch.Tensor)):
        return len(dataset)
    if isinstance(dataset, (tuple, list, dict)):
        parts = list(dataset.values()) if isinstance(dataset, dict) else list(dataset)
        if not parts or not all(
            isinstance(p, (np.ndarray, torch.Tensor)) for p in parts
        ):
            raise InvalidTypeError(
                "A tuple, list or dict `dataset` must hold numpy arrays or torch "
                f"tensors; received {[type(p).__name__ for p in parts]}."
            )
        lengths = {len(p) for p in parts}
        if len(lengths) != 1:
            raise InvalidArgumentError(
                "The arrays of `dataset` must have the same number of samples; "
                f"received lengths {[len(p) for p in parts]}."
            )
        return lengths.pop()
    if isinstance(dataset, Dataset) and hasattr(dataset, "__len__"):
        return len(dataset)
    raise InvalidTypeError(
        "`dataset` must be a numpy array, a tuple / list / dict of arrays, or a "
        f"torch.utils.data.Dataset with a length; received {type(dataset).__name__}."
    )


def _take(dataset: Any, idx: np.ndarray) -> Any:
    """The samples at ``idx``, in the same container type as ``dataset``."""
    if isinstance(dataset, np.ndarray):
        return dataset[idx]
    if isinstance(dataset, torch.Tensor):
        return dataset[torch.from_numpy(idx)]
    if isinstance(dataset, dict):
        return {k: _take(v, idx) for k, v in dataset.items()}
    if isinstance(dataset, (tuple, list)):
        return type(dataset)(_take(v, idx) for v in dataset)
    return Subset(dataset, idx.tolist())


def _auto_workers(num_files: int) -> int:
    cpus = os.cpu_count() or 1
    if num_files < AUTO_WORKERS_MIN_FILES or cpus < 2:
        return 0
    return min(4, cpus)


def image_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Literal["inferred"] | Sequence[int] | None = "inferred",
    label_mode: Literal["int", "categorical", "binary"] | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: Literal["grayscale", "rgb", "rgba"] = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: Literal["training", "validation", "both"] | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",
    verbose: bool = True,
    *,
    num_workers: int | None = None,
) -> ImageDirectoryDataset | list[ImageDirectoryDataset]:
    """Make a dataset of image batches from a folder with one sub-folder per class.

    ``directory/cats/a.jpg``, ``directory/dogs/b.png`` give ``class_names`` ``['cats',
    'dogs']`` (sorted) and labels 0 and 1. Files ending in .bmp, .gif, .jpeg, .jpg or
    .png are used, in sub-folders too.

    Args:
        directory: The folder of class sub-folders.
        labels: ``"inferred"`` (from sub-folder names), ``None`` (images only), or
            integer labels for the files in sorted walk order.
        label_mode: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (exactly
            2 classes) or ``None``.
        class_names: With inferred labels, the sub-folders to use, in label order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: Images per batch; ``None`` yields single samples.
        image_size: ``(height, width)`` every image is resized to.
        shuffle: Shuffle the file list (once, with ``seed``) and every epoch.
        seed: Seed of the shuffles; required with ``validation_split`` and shuffle.
        validation_split: Fraction of files kept for validation (the last ones).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns a list of
            two datasets); required with ``validation_split``.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"`` or ``"area"``.
        follow_links: Descend into symlinked folders.
        crop_to_aspect_ratio: Centre-crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Zero-pad to the target aspect ratio before resizing.
        data_format: Image layout; ``None`` uses ``image_data_format()``.
        format: Accepted for compatibility (``"tf"``, ``"grain"``, ``"torch"``);
            the result is always the torch-native ``ImageDirectoryDataset``.
        verbose: Print ``Found N files belonging to K classes.`` and the split sizes.
        num_workers: Decoding processes; ``None`` picks up to 4 when there are at
            least ``AUTO_WORKERS_MIN_FILES`` files, else 0 (decode in this process).

    Returns:
        An ``ImageDirectoryDataset``, or ``[training, validation]`` for
        ``subset="both"``.

    Raises:
        InvalidArgumentError: An argument is invalid or inconsistent, the folder is
            missing, or the (sub)set holds no image.

    Example:
        >>> import pathlib, tempfile; from PIL import Image
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("cat", "dog"):
        ...     (root / name).mkdir()
        ...     Image.new("RGB", (5, 5)).save(root / name / "0.png")
        >>> ds = image_dataset_from_directory(root, image_size=(4, 4), seed=1)
        Found 2 files belonging to 2 classes.
        >>> images, labels = next(iter(ds))
        >>> tuple(images.shape), ds.class_names
        ((2, 4, 4, 3), ['cat', 'dog'])
        >>> import shutil; shutil.rmtree(root)
    """
    _check_options(
        label_mode, color_mode, batch_size, interpolation,
        crop_to_aspect_ratio, pad_to_aspect_ratio, format,
    )  # fmt: skip
    if num_workers is not None and (
        isinstance(num_workers, bool)
        or not isinstance(num_workers, int)
        or num_workers < 0
    ):
        raise InvalidArgumentError(
            "`num_workers` must be None (automatic), 0 (decode in this process) or a "
            f"positive int; received num_workers={num_workers!r}."
        )
    size = _image_size(image_size)
    data_format = normalize_data_format(data_format)
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    paths, label_array, names = _index_directory(
        directory, labels, class_names, follow_links, shuffle, seed, verbose
    )
    if label_mode == "binary" and names is not None and len(names) != 2:
        raise InvalidArgumentError(
            f'label_mode="binary" needs exactly 2 classes; found {len(names)}: '
            f"class_names={names}. Use label_mode='categorical' or 'int'."
        )
    num_classes = len(names) if names else 0
    if label_array is not None and label_mode == "categorical":
        _check_labels_below(label_array, num_classes)
    load_kwargs = {
        "image_size": size,
        "color_mode": color_mode,
        "interpolation": interpolation,
        "data_format": data_format,
        "crop_to_aspect_ratio": crop_to_aspect_ratio,
        "pad_to_aspect_ratio": pad_to_aspect_ratio,
    }

    def make(which: str | None, shuffled: bool) -> ImageDirectoryDataset:
        part_paths, part_labels = _take_subset(
            directory, paths, label_array, validation_split, which, verbose
        )
        files = _ImageFiles(
            part_paths, part_labels, label_mode, num_classes, load_kwargs
        )
        workers = _auto_workers(len(files)) if num_workers is None else num_workers
        return ImageDirectoryDataset(
            files, batch_size=batch_size, shuffle=shuffled, seed=seed,
            num_workers=workers, class_names=names,
        )  # fmt: skip

    if subset == "both":
        # Validation order stays fixed, as in Keras.
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


def _size_count(value: Any, name: str, total: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(
        value, (numbers.Integral, numbers.Real)
    ):
        raise InvalidTypeError(
            f"`{name}` must be an int (a count), a float in (0, 1) (a fraction) or "
            f"None; received {name}={value!r} of type {type(value).__name__}."
        )
    if isinstance(value, numbers.Integral):
        if not 0 < int(value) < total:
            raise InvalidArgumentError(
                f"`{name}` as an int is a number of samples and must be in "
                f"[1, {total - 1}] for a dataset of {total} samples; received "
                f"{name}={value!r}."
            )
        return int(value)
    if not 0 < float(value) < 1:
        raise InvalidArgumentError(
            f"`{name}` as a float is a fraction and must be in (0, 1); received "
            f"{name}={value!r}. For a number of samples pass an int."
        )
    return round(float(value) * total)


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> tuple[Any, Any]:
    """Split a dataset into a left part and a right part (e.g. train / test).

    Args:
        dataset: A numpy array or torch tensor, a tuple / list / dict of arrays with
            the same first dimension, or a ``torch.utils.data.Dataset`` with a
            length.
        left_size: Int: number of samples on the left; float in (0, 1): fraction.
            ``None``: whatever ``right_size`` leaves.
        right_size: Same for the right part (taken from the end).
        shuffle: Shuffle before splitting.
        seed: Seed of that shuffle.

    Returns:
        ``(left, right)`` of the input's kind: arrays, tuples / lists / dicts of
        arrays, or two ``torch.utils.data.Subset``.

    Raises:
        InvalidTypeError: Unsupported dataset or size types.
        InvalidArgumentError: Both sizes None, sizes out of range or too large
            together, an empty side, or arrays of different lengths.

    Example:
        >>> x, y = np.arange(8).reshape(4, 2), np.arange(4)
        >>> (x_a, y_a), (x_b, y_b) = split_dataset((x, y), right_size=1)
        >>> y_a.tolist(), y_b.tolist()
        ([0, 1, 2], [3])
    """
    total = _dataset_length(dataset)
    if left_size is None and right_size is None:
        raise InvalidArgumentError(
            "split_dataset needs `left_size` or `right_size` (or both); received "
            "left_size=None and right_size=None. E.g. left_size=0.8."
        )
    left = _size_count(left_size, "left_size", total)
    right = _size_count(right_size, "right_size", total)
    left = total - right if left is None else left  # type: ignore[operator]
    right = total - left if right is None else right
    if left + right > total or left <= 0 or right <= 0:
        raise InvalidArgumentError(
            f"With a dataset of {total} samples, left_size={left_size!r} and "
            f"right_size={right_size!r} give {left} + {right} samples: each side "
            f"needs at least 1 and together at most {total}. Adjust the sizes."
        )
    order = np.arange(total)
    if shuffle:
        order = np.random.default_rng(seed).permutation(total)
    left_idx, right_idx = order[:left], order[total - right :]
    return (
        _take(dataset, left_idx),
        _take(dataset, right_idx),
    )
