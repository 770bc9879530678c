"""``tf.image``: resizing, flips, crops and colour adjustments on NHWC tensors.

Every function takes one image ``(height, width, channels)`` or a batch
``(batch, height, width, channels)``, as TensorFlow does. TensorFlow's rules kept
here:

- ``resize`` returns ``float32`` (its values are *not* rescaled: a uint8 image
  resized holds 0..255 floats), except ``method="nearest"``, which keeps the dtype.
- ``convert_image_dtype`` does rescale: integers ↔ floats in ``[0, 1]``
  (uint8 → float divides by 255; float → uint8 multiplies by 255.5 and truncates).
- ``adjust_brightness``/``adjust_contrast`` on integer images work in float and
  convert back (with saturation), as TF.
- ``random_flip_*`` flip each image of a batch independently.
- ``decode_png``/``decode_jpeg``/``decode_image`` give ``uint8`` tensors
  ``(height, width, channels)``; images past cnnkit's pixel limit
  (``cnnkit.utils.image_utils.MAX_PIXELS``) are refused before they are decoded.

Example:
    >>> import torch
    >>> pixels = torch.full((4, 6, 3), 255, dtype=torch.uint8)
    >>> image = convert_image_dtype(pixels, torch.float32)
    >>> float(image.max()), tuple(resize(image, (2, 3)).shape)
    (1.0, (2, 3, 3))
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from cnnkit.compat.tf import random as tf_random
from cnnkit.compat.tf._common import as_torch_dtype, module_getattr, shape_of, to_tensor
from cnnkit.compat.tf.image_patches import extract_patches, psnr
from cnnkit.compat.tf.image_quality import (
    image_gradients,
    sobel_edges,
    ssim,
    total_variation,
)
from cnnkit.compat.tf.image_stateless import (
    stateless_random_crop,
    stateless_random_flip_left_right,
    stateless_random_flip_up_down,
    stateless_value,
)
from cnnkit.errors import (
    FileFormatError,
    IncompatibleShapeError,
    InvalidArgumentError,
    InvalidTypeError,
)
from cnnkit.utils.image_utils import check_pixels

__all__ = [
    "ResizeMethod",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "central_crop",
    "convert_image_dtype",
    "crop_to_bounding_box",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "extract_patches",
    "flip_left_right",
    "flip_up_down",
    "grayscale_to_rgb",
    "hsv_to_rgb",
    "image_gradients",
    "pad_to_bounding_box",
    "per_image_standardization",
    "psnr",
    "random_brightness",
    "random_contrast",
    "random_crop",
    "random_flip_left_right",
    "random_flip_up_down",
    "random_hue",
    "random_saturation",
    "resize",
    "resize_with_crop_or_pad",
    "resize_with_pad",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "rot90",
    "sobel_edges",
    "ssim",
    "stateless_random_brightness",
    "stateless_random_contrast",
    "stateless_random_crop",
    "stateless_random_flip_left_right",
    "stateless_random_flip_up_down",
    "stateless_random_hue",
    "stateless_random_saturation",
    "total_variation",
]  # fmt: skip


class ResizeMethod:
    """``tf.image.ResizeMethod``: the names ``resize`` takes as ``method``."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"


_MODES = {
    "bilinear": "bilinear",
    "nearest": "nearest-exact",
    "bicubic": "bicubic",
    "area": "area",
}


def _images(images: Any, who: str) -> tuple[torch.Tensor, bool]:
    """``images`` as a 4-D batch, and whether it was one 3-D image."""
    t = to_tensor(images, name="images")
    if t.dim() not in (3, 4):
        raise IncompatibleShapeError(
            f"tf.image.{who}: `images` must be 3-D (height, width, channels) or 4-D "
            f"(batch, height, width, channels); received shape {tuple(t.shape)}."
        )
    return (t.unsqueeze(0), True) if t.dim() == 3 else (t, False)


def _done(batch: torch.Tensor, single: bool) -> torch.Tensor:
    return batch[0] if single else batch


def resize(
    images: Any, size: Any, method: str = "bilinear", preserve_aspect_ratio: bool = False,
    antialias: bool = False, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Resize to ``size=(height, width)`` (half-pixel centres, as TF 2).

    Raises:
        InvalidArgumentError: An unknown ``method`` or a ``size`` that is not 2 ints.
    """
    if method not in _MODES:
        raise InvalidArgumentError(
            f"tf.image.resize: `method` must be one of {sorted(_MODES)}; received "
            f"method={method!r}."
        )
    target = shape_of(size, "size")
    if len(target) != 2:
        raise InvalidArgumentError(
            f"tf.image.resize: `size` must be [height, width]; received size={size!r}."
        )
    batch, single = _images(images, "resize")
    height, width = target
    if preserve_aspect_ratio:
        scale = min(height / batch.shape[1], width / batch.shape[2])
        height, width = int(batch.shape[1] * scale), int(batch.shape[2] * scale)
    dtype = batch.dtype
    x = batch.permute(0, 3, 1, 2).float()  # (B, C, H, W) for torch
    kwargs: dict[str, Any] = {}
    if method in ("bilinear", "bicubic"):
        kwargs = {"align_corners": False, "antialias": antialias}
    y = F.interpolate(x, size=(height, width), mode=_MODES[method], **kwargs)
    y = y.permute(0, 2, 3, 1)  # back to (B, H, W, C)
    if method == "nearest":
        y = y.to(dtype)
    return _done(y, single)


def flip_left_right(image: Any) -> torch.Tensor:
    return to_tensor(image, name="image").flip(-2)


def flip_up_down(image: Any) -> torch.Tensor:
    return to_tensor(image, name="image").flip(-3)


def rot90(image: Any, k: int = 1, name: str | None = None) -> torch.Tensor:
    """Rotate counter-clockwise by ``k`` quarter turns."""
    t = to_tensor(image, name="image")
    return torch.rot90(t, k, dims=(-3, -2))


def _random_flip(image: Any, axis: int, seed: int | None, who: str) -> torch.Tensor:
    batch, single = _images(image, who)
    draw = torch.rand(batch.shape[0], generator=tf_random.generator(seed))
    flip = (draw < 0.5).to(batch.device).reshape(-1, 1, 1, 1)
    return _done(torch.where(flip, batch.flip(axis), batch), single)


def random_flip_left_right(image: Any, seed: int | None = None) -> torch.Tensor:
    return _random_flip(image, 2, seed, "random_flip_left_right")


def random_flip_up_down(image: Any, seed: int | None = None) -> torch.Tensor:
    return _random_flip(image, 1, seed, "random_flip_up_down")


def random_crop(
    value: Any, size: Any, seed: int | None = None, name: str | None = None
) -> torch.Tensor:
    """A random window of shape ``size`` (one entry per axis of ``value``).

    Raises:
        IncompatibleShapeError: ``size`` has the wrong length or exceeds ``value``.
    """
    t = to_tensor(value, name="value")
    target = shape_of(size, "size")
    if len(target) != t.dim() or any(s > d for s, d in zip(target, t.shape)):
        raise IncompatibleShapeError(
            f"tf.image.random_crop: `size` must give one size per axis of `value`, each "
            f"at most that axis; received size={list(target)} for shape "
            f"{tuple(t.shape)}."
        )
    stream = tf_random.generator(seed)
    index = []
    for s, d in zip(target, t.shape):
        start = int(torch.randint(0, d - s + 1, (1,), generator=stream))
        index.append(slice(start, start + s))
    return t[tuple(index)]


def central_crop(image: Any, central_fraction: float) -> torch.Tensor:
    """The centre ``central_fraction`` (0, 1] of height and width.

    Raises:
        InvalidArgumentError: ``central_fraction`` outside (0, 1].
    """
    if not 0.0 < central_fraction <= 1.0:
        raise InvalidArgumentError(
            "tf.image.central_crop: `central_fraction` must be in (0, 1]; received "
            f"central_fraction={central_fraction!r}."
        )
    batch, single = _images(image, "central_crop")
    height, width = batch.shape[1], batch.shape[2]
    # TF's arithmetic: the margin is (size - size * fraction) / 2, truncated.
    top = int((height - height * central_fraction) / 2)
    left = int((width - width * central_fraction) / 2)
    return _done(batch[:, top : height - top, left : width - left], single)


def crop_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int,
    target_width: int,
) -> torch.Tensor:  # fmt: skip
    """The window at ``(offset_height, offset_width)`` of the target size.

    Raises:
        IncompatibleShapeError: The window reaches past the image.
    """
    batch, single = _images(image, "crop_to_bounding_box")
    bottom, right = offset_height + target_height, offset_width + target_width
    if (
        offset_height < 0
        or offset_width < 0
        or bottom > batch.shape[1]
        or right > batch.shape[2]
    ):
        raise IncompatibleShapeError(
            f"tf.image.crop_to_bounding_box: the box rows {offset_height}..{bottom} and "
            f"columns {offset_width}..{right} leave the image of shape "
            f"{tuple(batch.shape[1:])}."
        )
    return _done(batch[:, offset_height:bottom, offset_width:right], single)


def resize_with_crop_or_pad(
    image: Any, target_height: int, target_width: int
) -> torch.Tensor:
    """Centre-crop or zero-pad (evenly on both sides) to the target size."""
    batch, single = _images(image, "resize_with_crop_or_pad")
    for axis, target in ((1, target_height), (2, target_width)):
        size = batch.shape[axis]
        if size > target:
            start = (size - target) // 2
            batch = batch.narrow(axis, start, target)
        elif size < target:
            before = (target - size) // 2
            pad = [0, 0] * (3 - axis) + [before, target - size - before]
            batch = F.pad(batch, pad)
    return _done(batch, single)


def pad_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int,
    target_width: int,
) -> torch.Tensor:  # fmt: skip
    """Zero-pad to the target size, the image's top-left corner at the offsets.

    Raises:
        IncompatibleShapeError: The offsets are negative or the image does not fit.
    """
    batch, single = _images(image, "pad_to_bounding_box")
    below = target_height - offset_height - batch.shape[1]
    after = target_width - offset_width - batch.shape[2]
    if min(offset_height, offset_width, below, after) < 0:
        raise IncompatibleShapeError(
            f"tf.image.pad_to_bounding_box: an image of shape {tuple(batch.shape[1:])} "
            f"at offset ({offset_height}, {offset_width}) does not fit in "
            f"{target_height}x{target_width}; offsets must be >= 0 and offset + size "
            "<= target."
        )
    return _done(
        F.pad(batch, [0, 0, offset_width, after, offset_height, below]), single
    )


def resize_with_pad(
    image: Any, target_height: int, target_width: int, method: str = "bilinear",
    antialias: bool = False,
) -> torch.Tensor:  # fmt: skip
    """Resize keeping the aspect ratio, then zero-pad (centred) to the target, as
    TF (float32 out, like ``resize``)."""
    batch, single = _images(image, "resize_with_pad")
    height, width = batch.shape[1], batch.shape[2]
    ratio = max(width / target_width, height / target_height)
    new_height, new_width = height / ratio, width / ratio
    resized = resize(
        batch, (int(new_height), int(new_width)), method=method, antialias=antialias
    )
    top = max(0, int((target_height - new_height) // 2))
    left = max(0, int((target_width - new_width) // 2))
    return _done(
        pad_to_bounding_box(resized, top, left, target_height, target_width), single
    )


# ------------------------------------------------------------------- colours

_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _max_of(dtype: torch.dtype) -> int:
    return int(torch.iinfo(dtype).max)


def convert_image_dtype(
    image: Any, dtype: Any, saturate: bool = False, name: str | None = None
) -> torch.Tensor:
    """Convert, rescaling: integer images ↔ floats in ``[0, 1]``."""
    t = to_tensor(image, name="image")
    target = as_torch_dtype(dtype)
    if t.dtype == target:
        return t
    if t.is_floating_point() and target.is_floating_point:
        return t.to(target)
    if not t.is_floating_point() and target.is_floating_point:
        return t.to(target) / _max_of(t.dtype)
    if t.is_floating_point():
        # TF scales by max + 0.5, then truncates: 1.0 → 255, 0.999 → 254.
        scaled = t * (_max_of(target) + 0.5)
        if saturate:
            scaled = scaled.clamp(
                0 if target == torch.uint8 else -_max_of(target), _max_of(target)
            )
        return scaled.to(target)
    # int → int: rescale by the ratio of their ranges.
    ratio = (_max_of(target) + 1) / (_max_of(t.dtype) + 1)
    return (t.to(torch.float64) * ratio).to(target)


def _in_float(image: Any) -> tuple[torch.Tensor, torch.dtype]:
    t = to_tensor(image, name="image")
    if t.is_floating_point():
        return t, t.dtype
    return convert_image_dtype(t, torch.float32), t.dtype


def _back(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return t if t.dtype == dtype else convert_image_dtype(t, dtype, saturate=True)


def adjust_brightness(image: Any, delta: Any) -> torch.Tensor:
    """Add ``delta`` (on the ``[0, 1]`` scale for integer images)."""
    t, dtype = _in_float(image)
    return _back(t + to_tensor(delta).to(t.dtype), dtype)


def adjust_contrast(images: Any, contrast_factor: Any) -> torch.Tensor:
    """``(x - mean) * contrast_factor + mean``, the mean per image and channel."""
    t, dtype = _in_float(images)
    mean = t.mean(dim=(-3, -2), keepdim=True)
    return _back((t - mean) * to_tensor(contrast_factor).to(t.dtype) + mean, dtype)


def random_brightness(
    image: Any, max_delta: float, seed: int | None = None
) -> torch.Tensor:
    """``adjust_brightness`` by a delta drawn from ``[-max_delta, max_delta)``.

    Raises:
        InvalidArgumentError: ``max_delta`` is negative.
    """
    if max_delta < 0:
        raise InvalidArgumentError(
            f"tf.image.random_brightness: `max_delta` must be >= 0; received "
            f"max_delta={max_delta!r}."
        )
    delta = tf_random.uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(
    image: Any, lower: float, upper: float, seed: int | None = None
) -> torch.Tensor:
    """``adjust_contrast`` by a factor drawn from ``[lower, upper)``.

    Raises:
        InvalidArgumentError: Unless ``0 <= lower < upper``.
    """
    if not 0 <= lower < upper:
        raise InvalidArgumentError(
            f"tf.image.random_contrast: need 0 <= lower < upper; received "
            f"lower={lower!r}, upper={upper!r}."
        )
    factor = tf_random.uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def _check_rgb(t: torch.Tensor, who: str) -> None:
    if t.dim() == 0 or t.shape[-1] != 3:
        raise IncompatibleShapeError(
            f"tf.image.{who}: the last axis must be 3 (RGB); received shape "
            f"{tuple(t.shape)}."
        )


def rgb_to_hsv(images: Any, name: str | None = None) -> torch.Tensor:
    """RGB floats in [0, 1] → hue, saturation, value, each in [0, 1] (as TF).

    Raises:
        IncompatibleShapeError: The last axis is not 3.
    """
    t = to_tensor(images, name="images")
    t = t if t.is_floating_point() else t.to(torch.float32)
    _check_rgb(t, "rgb_to_hsv")
    r, g, b = t.unbind(-1)
    value = t.amax(-1)
    delta = value - t.amin(-1)
    saturation = torch.where(value > 0, delta / torch.where(value > 0, value, 1), 0)
    safe = torch.where(delta > 0, delta, 1)
    hue = torch.where(
        value == r,
        (g - b) / safe,
        torch.where(value == g, 2 + (b - r) / safe, 4 + (r - g) / safe),
    )
    hue = torch.where(delta > 0, torch.remainder(hue / 6, 1.0), 0)
    return torch.stack([hue, saturation, value], dim=-1)


def hsv_to_rgb(images: Any, name: str | None = None) -> torch.Tensor:
    """Hue, saturation, value in [0, 1] → RGB floats in [0, 1].

    Raises:
        IncompatibleShapeError: The last axis is not 3.
    """
    t = to_tensor(images, name="images")
    t = t if t.is_floating_point() else t.to(torch.float32)
    _check_rgb(t, "hsv_to_rgb")
    hue, saturation, value = t.unbind(-1)
    sixths = torch.remainder(hue, 1.0) * 6
    # Each channel's share as a piecewise-linear function of the hue.
    red = torch.clamp(torch.abs(sixths - 3) - 1, 0, 1)
    green = torch.clamp(2 - torch.abs(sixths - 2), 0, 1)
    blue = torch.clamp(2 - torch.abs(sixths - 4), 0, 1)
    shares = torch.stack([red, green, blue], dim=-1)
    s, v = saturation.unsqueeze(-1), value.unsqueeze(-1)
    return ((1 - s) + s * shares) * v


def adjust_hue(image: Any, delta: float, name: str | None = None) -> torch.Tensor:
    """Rotate the hue by ``delta`` (a fraction of the colour circle, in [-1, 1]).

    Raises:
        InvalidArgumentError: ``delta`` is outside [-1, 1].
    """
    if not -1.0 <= float(delta) <= 1.0:
        raise InvalidArgumentError(
            f"tf.image.adjust_hue: `delta` must be in [-1, 1]; received delta={delta!r}."
        )
    t, dtype = _in_float(image)
    hsv = rgb_to_hsv(t)
    hue = torch.remainder(hsv[..., 0] + float(delta), 1.0)
    return _back(hsv_to_rgb(torch.stack([hue, hsv[..., 1], hsv[..., 2]], -1)), dtype)


def adjust_saturation(
    image: Any, saturation_factor: float, name: str | None = None
) -> torch.Tensor:
    """Scale the saturation by ``saturation_factor`` (clipped to [0, 1])."""
    t, dtype = _in_float(image)
    hsv = rgb_to_hsv(t)
    sat = torch.clamp(hsv[..., 1] * float(saturation_factor), 0, 1)
    return _back(hsv_to_rgb(torch.stack([hsv[..., 0], sat, hsv[..., 2]], -1)), dtype)


def adjust_gamma(image: Any, gamma: float = 1, gain: float = 1) -> torch.Tensor:
    """``gain * image ** gamma`` (on the [0, 1] scale for integer images).

    Raises:
        InvalidArgumentError: ``gamma`` is negative.
    """
    if gamma < 0:
        raise InvalidArgumentError(
            f"tf.image.adjust_gamma: `gamma` must be >= 0; received gamma={gamma!r}."
        )
    t, dtype = _in_float(image)
    return _back(gain * t**gamma, dtype)


def random_hue(image: Any, max_delta: float, seed: int | None = None) -> torch.Tensor:
    """``adjust_hue`` by a delta drawn from ``[-max_delta, max_delta)``.

    Raises:
        InvalidArgumentError: ``max_delta`` outside [0, 0.5].
    """
    if not 0 <= max_delta <= 0.5:
        raise InvalidArgumentError(
            f"tf.image.random_hue: `max_delta` must be in [0, 0.5]; received "
            f"max_delta={max_delta!r}."
        )
    delta = float(tf_random.uniform([], -max_delta, max_delta, seed=seed))
    return adjust_hue(image, delta)


def random_saturation(
    image: Any, lower: float, upper: float, seed: int | None = None
) -> torch.Tensor:
    """``adjust_saturation`` by a factor drawn from ``[lower, upper)``.

    Raises:
        InvalidArgumentError: Unless ``0 <= lower < upper``.
    """
    if not 0 <= lower < upper:
        raise InvalidArgumentError(
            f"tf.image.random_saturation: need 0 <= lower < upper; received "
            f"lower={lower!r}, upper={upper!r}."
        )
    factor = float(tf_random.uniform([], lower, upper, seed=seed))
    return adjust_saturation(image, factor)


def rgb_to_grayscale(images: Any, name: str | None = None) -> torch.Tensor:
    """ITU-R 601 luma, keeping a channel axis of size 1 (``(..., 1)``).

    Raises:
        IncompatibleShapeError: The last axis is not 3 (RGB).
    """
    t, dtype = _in_float(images)
    if t.shape[-1] != 3:
        raise IncompatibleShapeError(
            f"tf.image.rgb_to_grayscale: the last axis must be 3 (RGB); received shape "
            f"{tuple(t.shape)}."
        )
    weights = torch.tensor([0.2989, 0.5870, 0.1140], dtype=t.dtype, device=t.device)
    return _back((t * weights).sum(dim=-1, keepdim=True), dtype)


def grayscale_to_rgb(images: Any, name: str | None = None) -> torch.Tensor:
    """Repeat the single channel three times.

    Raises:
        IncompatibleShapeError: The last axis is not 1.
    """
    t = to_tensor(images, name="images")
    if t.shape[-1] != 1:
        raise IncompatibleShapeError(
            f"tf.image.grayscale_to_rgb: the last axis must be 1; received shape "
            f"{tuple(t.shape)}."
        )
    return t.repeat(*([1] * (t.dim() - 1)), 3)


def per_image_standardization(image: Any) -> torch.Tensor:
    """Each image scaled to mean 0 and variance 1 (std floored at 1/sqrt(N))."""
    batch, single = _images(image, "per_image_standardization")
    x = batch.float() if not batch.is_floating_point() else batch
    count = x[0].numel()
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True, correction=0)
    std = torch.clamp(std, min=1.0 / float(np.sqrt(count)))
    return _done((x - mean) / std, single)


# ------------------------------------------------------------------ decoding

_CHANNEL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def decode_image(
    contents: Any, channels: int = 0, dtype: Any = torch.uint8, name: str | None = None,
    expand_animations: bool = True,
) -> torch.Tensor:  # fmt: skip
    """PNG, JPEG, GIF or BMP bytes (``tf.io.read_file``'s result) → an image tensor.

    Raises:
        InvalidTypeError: ``contents`` is not bytes.
        InvalidArgumentError: ``channels`` is not 0, 1, 3 or 4.
        FileFormatError: The bytes are not an image, or it is too large.
    """
    if not isinstance(contents, bytes | bytearray):
        raise InvalidTypeError(
            f"tf.image.decode_image: `contents` must be the file's bytes, e.g. "
            f"tf.io.read_file(path); received {type(contents).__name__}."
        )
    if channels not in (0, 1, 3, 4):
        raise InvalidArgumentError(
            f"tf.image.decode_image: `channels` must be 0 (as stored), 1, 3 or 4; "
            f"received channels={channels!r}."
        )
    try:
        img: Image.Image = Image.open(io.BytesIO(bytes(contents)))
    except (OSError, ValueError) as error:
        raise FileFormatError(
            f"tf.image.decode_image: the bytes are not an image Pillow can read "
            f"({error})."
        ) from None
    check_pixels(img, "<image bytes>")
    if channels:
        img = img.convert(_CHANNEL_MODES[channels])
    elif img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    array = np.asarray(img, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return convert_image_dtype(torch.from_numpy(array.copy()), dtype)


def decode_png(
    contents: Any, channels: int = 0, dtype: Any = torch.uint8, name: str | None = None
) -> torch.Tensor:
    return decode_image(contents, channels, dtype)


def decode_jpeg(contents: Any, channels: int = 0, **kwargs: Any) -> torch.Tensor:
    """JPEG bytes → ``uint8`` image (``ratio``, ``dct_method``... are hints only)."""
    return decode_image(contents, channels)


# The stateless colour augmentations (flips and crops: image_stateless).


def stateless_random_brightness(
    image: Any, max_delta: float, seed: Any
) -> torch.Tensor:
    """``adjust_brightness`` by a delta in ``[-max_delta, max_delta)`` from ``seed``.

    Raises:
        InvalidArgumentError: ``max_delta`` is negative.
    """
    if max_delta < 0:
        raise InvalidArgumentError(
            "tf.image.stateless_random_brightness: `max_delta` must be >= 0; "
            f"received max_delta={max_delta!r}."
        )
    delta = stateless_value(seed, "stateless_random_brightness", -max_delta, max_delta)
    return adjust_brightness(image, delta)


def _check_range(lower: float, upper: float, who: str) -> None:
    if not 0 <= lower < upper:
        raise InvalidArgumentError(
            f"tf.image.{who}: need 0 <= lower < upper; received lower={lower!r}, "
            f"upper={upper!r}."
        )


def stateless_random_contrast(
    image: Any, lower: float, upper: float, seed: Any
) -> torch.Tensor:
    """``adjust_contrast`` by a factor in ``[lower, upper)`` from ``seed``.

    Raises:
        InvalidArgumentError: Unless ``0 <= lower < upper``.
    """
    _check_range(lower, upper, "stateless_random_contrast")
    factor = stateless_value(seed, "stateless_random_contrast", lower, upper)
    return adjust_contrast(image, factor)


def stateless_random_saturation(
    image: Any, lower: float, upper: float, seed: Any
) -> torch.Tensor:
    """``adjust_saturation`` by a factor in ``[lower, upper)`` from ``seed``.

    Raises:
        InvalidArgumentError: Unless ``0 <= lower < upper``.
    """
    _check_range(lower, upper, "stateless_random_saturation")
    factor = stateless_value(seed, "stateless_random_saturation", lower, upper)
    return adjust_saturation(image, factor)


def stateless_random_hue(image: Any, max_delta: float, seed: Any) -> torch.Tensor:
    """``adjust_hue`` by a delta in ``[-max_delta, max_delta)`` from ``seed``.

    Raises:
        InvalidArgumentError: ``max_delta`` outside [0, 0.5].
    """
    if not 0 <= max_delta <= 0.5:
        raise InvalidArgumentError(
            "tf.image.stateless_random_hue: `max_delta` must be in [0, 0.5]; "
            f"received max_delta={max_delta!r}."
        )
    delta = stateless_value(seed, "stateless_random_hue", -max_delta, max_delta)
    return adjust_hue(image, delta)


__getattr__ = module_getattr("tensorflow.image")
