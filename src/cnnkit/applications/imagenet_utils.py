"""ImageNet helpers shared by the applications (``keras.applications.imagenet_utils``).

``preprocess_input`` has Keras' three modes: ``"caffe"`` (RGB → BGR, then subtract
the ImageNet channel means, no scaling), ``"tf"`` (scale to ``[-1, 1]``) and
``"torch"`` (scale to ``[0, 1]``, then the ImageNet mean/std per channel).
``decode_predictions`` reads Keras' ``imagenet_class_index.json``, fetched once with
:func:`cnnkit.utils.get_file` into ``$KERAS_HOME/models/`` (offline: put it there).

Example:
    >>> import numpy as np
    >>> x = np.full((1, 2, 2, 3), 255.0, dtype="float32")
    >>> preprocess_input(x.copy(), mode="tf")[0, 0, 0]
    array([1., 1., 1.], dtype=float32)
    >>> preprocess_input(x.copy(), mode="caffe")[0, 0, 0].round(2)
    array([151.06, 138.22, 131.32], dtype=float32)
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import torch

from cnnkit import activations
from cnnkit import config as _config
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.preprocessing.rescaling import Rescaling
from cnnkit.utils.file_utils import get_file

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/"
    "data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"  # md5, as Keras checks it

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_class_index: dict[str, list[str]] | None = None


def _data_format(data_format: str | None) -> str:
    if data_format is None:
        return _config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise InvalidArgumentError(
            "preprocess_input: `data_format` must be 'channels_last', "
            f"'channels_first' or None; received data_format={data_format!r}."
        )
    return data_format


def preprocess_input(
    x: Any, data_format: str | None = None, mode: str = "caffe"
) -> Any:
    """Preprocess a batch of RGB images with values in ``[0, 255]``.

    Args:
        x: A numpy array (float arrays are changed in place, as in Keras; pass
            ``np.copy(x)`` to keep yours), a tensor, or a symbolic ``Input`` tensor
            (``"tf"``/``"torch"`` modes: adds a ``Rescaling`` layer), 3-D or 4-D
            with 3 colour channels.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the
            global ``image_data_format()``).
        mode: ``"caffe"``, ``"tf"`` or ``"torch"``.

    Returns:
        The preprocessed float32 images.
    """
    if mode not in ("caffe", "tf", "torch"):
        raise InvalidArgumentError(
            "preprocess_input: `mode` must be 'caffe', 'tf' or 'torch'; received "
            f"mode={mode!r}."
        )
    data_format = _data_format(data_format)
    if isinstance(x, KerasTensor):
        return _preprocess_symbolic(x, data_format, mode)
    if isinstance(x, torch.Tensor):
        return _preprocess_tensor(x, data_format, mode)
    return _preprocess_numpy(np.asarray(x), data_format, mode)


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _per_channel(values: tuple[float, ...], ndim: int, data_format: str) -> np.ndarray:
    shape = [1] * ndim
    shape[_channel_axis(ndim, data_format)] = 3
    return np.asarray(values, dtype="float64").reshape(shape)


def _preprocess_numpy(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(_config.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        x -= _per_channel(_TORCH_MEAN, x.ndim, data_format).astype(x.dtype)
        x /= _per_channel(_TORCH_STD, x.ndim, data_format).astype(x.dtype)
        return x
    # caffe: a reversed view, so a float input is changed in place as Keras does.
    x = np.flip(x, axis=_channel_axis(x.ndim, data_format))
    x -= _per_channel(_CAFFE_MEAN_BGR, x.ndim, data_format).astype(x.dtype)
    return x


def _preprocess_tensor(x: torch.Tensor, data_format: str, mode: str) -> torch.Tensor:
    if not x.is_floating_point():
        x = x.to(getattr(torch, _config.floatx()))
    ndim = x.dim()

    def channel(values: tuple[float, ...]) -> torch.Tensor:
        return torch.as_tensor(
            _per_channel(values, ndim, data_format), dtype=x.dtype, device=x.device
        )

    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - channel(_TORCH_MEAN)) / channel(_TORCH_STD)
    flipped = torch.flip(x, dims=(_channel_axis(ndim, data_format),))
    return flipped - channel(_CAFFE_MEAN_BGR)


def _preprocess_symbolic(x: KerasTensor, data_format: str, mode: str) -> KerasTensor:
    if mode == "tf":
        return Rescaling(1.0 / 127.5, offset=-1.0)(x)
    if mode == "torch":
        # (x / 255 - mean) / std as one per-channel scale and offset.
        std = np.asarray(_TORCH_STD)
        scale = (1.0 / (255.0 * std)).tolist()
        offset = (-np.asarray(_TORCH_MEAN) / std).tolist()
        return Rescaling(scale, offset=offset)(x)
    raise InvalidArgumentError(
        "preprocess_input(mode='caffe') reorders the colour channels (RGB → BGR), "
        "which no built-in layer does on a symbolic Input tensor. Preprocess the "
        "data instead: `x_train = preprocess_input(x_train)`, or "
        "`dataset.map(lambda x, y: (preprocess_input(x), y))`."
    )


def _load_class_index() -> dict[str, list[str]]:
    global _class_index
    if _class_index is None:
        path = get_file(
            "imagenet_class_index.json",
            CLASS_INDEX_PATH,
            cache_subdir="models",
            file_hash=CLASS_INDEX_HASH,
        )
        with open(path, encoding="utf-8") as handle:
            _class_index = json.load(handle)
    return _class_index


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction.

    Args:
        preds: Predictions of shape ``(samples, 1000)`` (numpy or tensor).
        top: How many classes to return per sample.

    Returns:
        One list per sample of ``(class_name, class_description, score)`` tuples,
        best first.
    """
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise IncompatibleShapeError(
            "decode_predictions expects ImageNet predictions of shape (samples, "
            f"1000); received shape {preds.shape}. It decodes the 1000 ImageNet "
            "classes only (a model built with include_top=True, classes=1000)."
        )
    index = _load_class_index()
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        row = [(*index[str(i)], pred[i]) for i in best]
        row.sort(key=lambda item: item[2], reverse=True)
        results.append([tuple(item) for item in row])
    return results


# ------------------------------------------------------------------ builders' rules


def obtain_input_shape(
    input_shape: Any,
    default_size: int,
    min_size: int,
    data_format: str,
    require_flatten: bool,
    weights: Any = None,
) -> tuple[int | None, ...]:
    """The model's input shape under Keras' rules (default size, minimum size,
    3 channels with ImageNet weights, a fixed size with the top classifier)."""
    if input_shape is not None:
        input_shape = tuple(input_shape)
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                f"This model usually expects 1 or 3 input channels; input_shape="
                f"{input_shape} has {channels}.",
                UserWarning,
                stacklevel=3,
            )
        default: tuple[int | None, ...] = (
            (channels, default_size, default_size)
            if first
            else (default_size, default_size, channels)
        )
    else:
        default = (
            (3, default_size, default_size)
            if first
            else (default_size, default_size, 3)
        )
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default:
            raise InvalidArgumentError(
                "With include_top=True and weights='imagenet' the input shape must "
                f"be {default} (the size the classifier was trained on); received "
                f"input_shape={input_shape}. Pass include_top=False for another size."
            )
        return default
    if input_shape:
        if len(input_shape) != 3:
            raise InvalidArgumentError(
                "`input_shape` must be a tuple of three ints (height, width, "
                f"channels); received input_shape={input_shape}."
            )
        channels = input_shape[0] if first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise InvalidArgumentError(
                "ImageNet weights need 3 input channels (RGB); received "
                f"input_shape={input_shape}."
            )
        spatial = input_shape[1:] if first else input_shape[:2]
        if any(s is not None and s < min_size for s in spatial):
            raise InvalidArgumentError(
                f"This model needs inputs of at least {min_size}x{min_size} pixels; "
                f"received input_shape={input_shape}. Resize the images (e.g. "
                f"layers.Resizing({min_size}, {min_size}))."
            )
    elif require_flatten:
        input_shape = default
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise InvalidArgumentError(
            "With include_top=True the input size must be fixed; received "
            f"input_shape={input_shape}. Give all three sizes."
        )
    return input_shape


def correct_pad(
    shape: tuple[int | None, ...], kernel_size: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The ``ZeroPadding2D`` padding before a stride-2 'valid' convolution that
    reproduces TensorFlow's 'same' padding (``shape`` is the tensor's shape)."""
    first = _config.image_data_format() == "channels_first"
    size = shape[2:4] if first else shape[1:3]
    unknown = size[0] is None  # an unknown size counts as odd, as in Keras
    adjust = (1, 1) if unknown else (1 - size[0] % 2, 1 - size[1] % 2)  # type: ignore[operator]
    half = kernel_size // 2
    return ((half - adjust[0], half), (half - adjust[1], half))


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """Pretrained classifiers accept only ``softmax`` or ``None``."""
    if weights is None:
        return
    allowed = {activations.get("softmax"), activations.get(None)}
    if activations.get(classifier_activation) not in allowed:
        raise InvalidArgumentError(
            "With pretrained weights and include_top=True, `classifier_activation` "
            "must be 'softmax' or None (the logits); received "
            f"classifier_activation={classifier_activation!r}."
        )
