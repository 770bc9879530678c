"""Image files to arrays and back, with Pillow (as ``keras.utils.load_img`` & co.).

Example:
    >>> x = np.zeros((4, 6, 3), dtype="float32")
    >>> img = array_to_img(x, scale=False)
    >>> img.size, img.mode
    ((6, 4), 'RGB')
    >>> img_to_array(img).shape
    (4, 6, 3)
"""

from __future__ import annotations

import io
import os
import pathlib
import struct
import warnings
from typing import IO, Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from cnnkit._layout import layout_of
from cnnkit.config import floatx, normalize_data_format
from cnnkit.errors import (
    CnnkitError,
    FileFormatError,
    InvalidArgumentError,
    InvalidTypeError,
)

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]

PIL_INTERPOLATION_METHODS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "hamming": Image.Resampling.HAMMING,
    "box": Image.Resampling.BOX,
    "lanczos": Image.Resampling.LANCZOS,
}
# torch modes that reproduce Keras' torch-backend resize (nearest = half-pixel).
TORCH_INTERPOLATION_METHODS = {
    "bilinear": "bilinear",
    "nearest": "nearest-exact",
    "bicubic": "bicubic",
    "area": "area",
}
COLOR_MODES = ("grayscale", "rgb", "rgba")
_GRAY_MODES = ("L", "I;16", "I")  # kept as they are: converting would lose depth

PathLike = str | bytes | os.PathLike[str] | IO[bytes]


def _open(path: PathLike) -> Image.Image:
    if isinstance(path, (str, bytes, os.PathLike)):
        # Read the bytes and close the file at once, so no handle stays open.
        with open(path, "rb") as f:
            return Image.open(io.BytesIO(f.read()))
    if hasattr(path, "read"):
        return Image.open(path)
    raise InvalidTypeError(
        f"`path` must be a file path (str or pathlib.Path) or a binary file object "
        f"such as io.BytesIO; received {type(path).__name__}."
    )


def _to_color_mode(img: Image.Image, color_mode: str) -> Image.Image:
    if color_mode == "grayscale":
        return img if img.mode in _GRAY_MODES else img.convert("L")
    if color_mode == "rgba":
        return img if img.mode == "RGBA" else img.convert("RGBA")
    return img if img.mode == "RGB" else img.convert("RGB")


def _check_color_mode(color_mode: Any) -> Literal["grayscale", "rgb", "rgba"]:
    if color_mode not in COLOR_MODES:
        raise InvalidArgumentError(
            f"`color_mode` must be one of {list(COLOR_MODES)}; received "
            f"color_mode={color_mode!r}."
        )
    return color_mode


def _check_size(size: Any, name: str) -> tuple[int, int]:
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size
        )
        or min(size) <= 0
    ):
        raise InvalidArgumentError(
            f"`{name}` must be a tuple of two positive ints (height, width); "
            f"received {name}={size!r}."
        )
    return int(size[0]), int(size[1])


# An image header costs a few bytes to write and may declare 30000x30000 pixels
# (2.7 GB as RGB); past this count an image is refused before it is decoded.
# Pillow's own guard (Image.MAX_IMAGE_PIXELS, ~89 Mpx) only warns below twice that.
MAX_PIXELS = 50_000_000


def check_pixels(img: Image.Image, path: Any) -> None:
    """Refuse an opened (not yet decoded) image larger than ``MAX_PIXELS``.

    Raises:
        FileFormatError: If the header declares more pixels than that.
    """
    width, height = img.size
    if width * height > MAX_PIXELS:
        name = os.fspath(path) if isinstance(path, str | os.PathLike) else path
        raise FileFormatError(
            f"{name!r} declares a {width}x{height} image ({width * height} pixels), "
            f"more than the {MAX_PIXELS} cnnkit decodes; it was not read. Resize it "
            "first (or raise cnnkit.utils.image_utils.MAX_PIXELS if you trust it)."
        )


def load_img(
    path: PathLike,
    color_mode: Literal["grayscale", "rgb", "rgba"] = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Image.Image:
    """Load an image file into a PIL image.

    Args:
        path: Path of the image file, or a binary file object (``io.BytesIO``).
        color_mode: ``"grayscale"`` (16- and 32-bit grey images keep their depth),
            ``"rgb"`` or ``"rgba"``.
        target_size: ``None`` keeps the file's size, else ``(height, width)``.
        interpolation: Resampling used when resizing: one of
            ``PIL_INTERPOLATION_METHODS`` (``"nearest"``, ``"bilinear"``, ...).
        keep_aspect_ratio: Crop the centre to the target's aspect ratio before
            resizing, instead of stretching.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        InvalidTypeError: ``path`` is neither a path nor a file object.
        InvalidArgumentError: Bad ``color_mode``, ``target_size`` or
            ``interpolation``.
        FileFormatError: The file is not an image Pillow can read.

    Example:
        >>> buf = io.BytesIO()
        >>> Image.new("RGB", (8, 4)).save(buf, format="PNG")
        >>> load_img(buf, color_mode="grayscale", target_size=(2, 2)).size
        (2, 2)
    """
    _check_color_mode(color_mode)
    size = None if target_size is None else _check_size(target_size, "target_size")
    if interpolation not in PIL_INTERPOLATION_METHODS:
        raise InvalidArgumentError(
            f"`interpolation` must be one of {list(PIL_INTERPOLATION_METHODS)}; "
            f"received interpolation={interpolation!r}."
        )
    try:
        img = _open(path)
        check_pixels(img, path)
        img.load()  # decode now, so a truncated file fails here and not later
        img = _to_color_mode(img, color_mode)
    except CnnkitError:
        raise
    except (
        Image.UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        # What Pillow's decoders raise on damaged headers and data, besides
        # OSError: "unknown raw mode", "broken PNG file", a short struct.
        ValueError,
        SyntaxError,
        EOFError,
        struct.error,
    ) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise FileFormatError(
            f"Cannot read {path!r} as an image: {exc}. Supported files are those "
            "Pillow reads (PNG, JPEG, BMP, GIF, ...)."
        ) from exc
    if size is None or img.size == (size[1], size[0]):
        return img
    resample = PIL_INTERPOLATION_METHODS[interpolation]
    target_h, target_w = size
    if not keep_aspect_ratio:
        return img.resize((target_w, target_h), resample)
    width, height = img.size
    # Largest centred box with the target's aspect ratio.
    crop_h = min(height, (width * target_h) // target_w)
    crop_w = min(width, (height * target_w) // target_h)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    box = (left, top, left + crop_w, top + crop_h)
    return img.resize((target_w, target_h), resample, box=box)


def img_to_array(
    img: Image.Image, data_format: str | None = None, dtype: str | None = None
) -> np.ndarray:
    """Convert a PIL image to a 3-D numpy array.

    Args:
        img: A PIL image.
        data_format: ``"channels_last"`` gives ``(H, W, C)``, ``"channels_first"``
            ``(C, H, W)``; ``None`` uses ``cnnkit.config.image_data_format()``.
        dtype: Output dtype; ``None`` uses ``cnnkit.config.floatx()`` (float32).

    Returns:
        The pixel values, unscaled (0-255 for 8-bit images).

    Raises:
        InvalidArgumentError: The image does not convert to a 2-D or 3-D array.

    Example:
        >>> img_to_array(Image.new("L", (3, 2)), data_format="channels_first").shape
        (1, 2, 3)
    """
    data_format = normalize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 2:
        x = x[:, :, np.newaxis]  # (H, W) -> (H, W, 1)
    elif x.ndim != 3:
        raise InvalidArgumentError(
            f"img_to_array expects an image that converts to (height, width) or "
            f"(height, width, channels); received an array of shape {x.shape}."
        )
    # PIL gives (H, W, C); move the channels to where `data_format` keeps them.
    return np.moveaxis(x, -1, layout_of(data_format, 2, batched=False).channel_axis)


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None
) -> Image.Image:
    """Convert a 3-D array to a PIL image.

    Args:
        x: Array-like of shape ``(H, W, C)`` (or ``(C, H, W)``) with 1, 3 or 4
            channels.
        data_format: Layout of ``x``; ``None`` uses ``image_data_format()``.
        scale: Rescale values so that the minimum becomes 0 and the maximum 255.
        dtype: Working dtype; ``None`` uses ``floatx()``.

    Returns:
        A PIL image of mode ``"L"`` (or ``"I"`` for 1-channel values above 255),
        ``"RGB"`` or ``"RGBA"``.

    Raises:
        InvalidArgumentError: ``x`` is not 3-D or has another number of channels.

    Example:
        >>> array_to_img(np.ones((2, 2, 1))).mode
        'L'
    """
    data_format = normalize_data_format(data_format)
    x = np.array(x, dtype=dtype or floatx())  # a copy: scaling happens in place
    if x.ndim != 3:
        raise InvalidArgumentError(
            "array_to_img expects one image of rank 3, (height, width, channels); "
            f"received an array of shape {x.shape}. For a batch, convert x[i]."
        )
    # PIL takes (H, W, C): move the channels last.
    x = np.moveaxis(x, layout_of(data_format, 2, batched=False).channel_axis, -1)
    if scale:
        x -= np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype(np.uint8), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype(np.uint8), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype(np.int32), "I")
        return Image.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise InvalidArgumentError(
        f"array_to_img supports 1, 3 or 4 channels; received shape {x.shape} with "
        f"{channels} channels (data_format={data_format!r}). If the channels are "
        "first, pass data_format='channels_first'."
    )


def save_img(
    path: PathLike,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Save a 3-D array as an image file.

    Args:
        path: Destination path or binary file object.
        x: Array of shape ``(H, W, C)`` (or ``(C, H, W)``).
        data_format: Layout of ``x``; ``None`` uses ``image_data_format()``.
        file_format: ``"png"``, ``"jpeg"``, ...; ``None`` takes the path's suffix
            (required for file objects).
        scale: Rescale values to span 0-255 first.
        **kwargs: Passed to ``PIL.Image.Image.save`` (e.g. ``quality=95``).

    Example:
        >>> buf = io.BytesIO()
        >>> save_img(buf, np.zeros((2, 2, 3)), file_format="png")
        >>> buf.getvalue()[:4]
        b'\\x89PNG'
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.",
            stacklevel=2,
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def _crop_or_pad(
    chw: torch.Tensor, size: tuple[int, int], crop: bool, pad: bool
) -> torch.Tensor:
    """Centre-crop or zero-pad ``(C, H, W)`` to the aspect ratio of ``size``."""
    height, width = chw.shape[-2:]
    target_h, target_w = size
    if crop:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        return chw[:, top : top + crop_h, left : left + crop_w]
    if pad:
        pad_h = max(height, int(width * target_h / target_w))
        pad_w = max(width, int(height * target_w / target_h))
        top, left = int((pad_h - height) / 2), int((pad_w - width) / 2)
        # Same border on both sides, as Keras does (F.pad order: W then H).
        return F.pad(chw, (left, left, top, top))
    return chw


def load_image_tensor(
    path: PathLike,
    image_size: tuple[int, int],
    color_mode: str = "rgb",
    interpolation: str = "bilinear",
    data_format: str = "channels_last",
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
) -> torch.Tensor:
    """Decode one image file and resize it like Keras' torch backend does.

    Used by ``image_dataset_from_directory`` (in its worker processes).

    Returns:
        float32 tensor ``(H, W, C)`` (or ``(C, H, W)``) with values 0-255.

    Example:
        >>> buf = io.BytesIO()
        >>> Image.new("RGB", (8, 4), (255, 0, 0)).save(buf, format="PNG")
        >>> load_image_tensor(buf, (2, 2)).shape
        torch.Size([2, 2, 3])
    """
    img = load_img(path, color_mode=_check_color_mode(color_mode))
    pixels = torch.from_numpy(np.array(img, dtype=np.float32))
    if pixels.ndim == 2:
        pixels = pixels.unsqueeze(-1)  # (H, W) -> (H, W, 1)
    chw = pixels.permute(2, 0, 1)  # (H, W, C) -> (C, H, W)
    chw = _crop_or_pad(chw, image_size, crop_to_aspect_ratio, pad_to_aspect_ratio)
    mode = TORCH_INTERPOLATION_METHODS[interpolation]
    align = False if mode in ("bilinear", "bicubic") else None
    resized = F.interpolate(chw[None], size=image_size, mode=mode, align_corners=align)[
        0
    ]
    image = layout_of(data_format, 2, batched=False)
    return image.from_channels_first(resized).contiguous()  # (C, H, W) -> data_format
