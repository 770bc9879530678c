"""From what the page sends to one sample of the model's input, and back to pictures.

The page sends a drawing or an upload as an image (field ``image``), a drawn curve
as a JSON list (field ``signal``) or a volume as a ``.npy`` file (field
``volume``). Image models get the picture as ``cnnkit predict`` does (MNIST's
recipe for grayscale models); an MLP on flattened images gets the same square
picture, flattened; a 1D model gets the curve resampled to its length (every
channel the same curve); a 3D model gets the ``.npy`` volume, or the drawing
repeated along the depth axis. Channels-last layouts only (Keras' default).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from cnnkit.web.errors import WebError
from cnnkit.web.shelf import ServedModel
from cnnkit.web.uploads import decode_image, required_bytes, signal_values

__all__ = ["gray_page", "sample_from_form", "seen_by_network", "slice_index"]

# A model whose input size is free (fully convolutional) gets drawings this size.
_FREE_SIZE = {1: 28, 3: 64}
_MAX_VOLUME_VALUES = 1 << 26


async def sample_from_form(form: FormData, served: ServedModel) -> np.ndarray:
    """One sample for ``served`` from the request's form, its input shape exactly.

    Raises:
        WebError: 422 for a missing field; 400/415 for a bad file; 400 for a model
            whose input the page cannot build.
    """
    kind = served.kind
    if kind == "signal":
        values = await required_bytes(form, "signal")
        return await run_in_threadpool(_signal_sample, signal_values(values), served)
    if kind == "volume" and form.get("volume") is not None:
        volume = await required_bytes(form, "volume")
        return await run_in_threadpool(_volume_sample, volume, served)
    if kind == "other":
        raise WebError(
            400,
            f"The page cannot build inputs of shape {list(served.input_shape)} for "
            f"{served.name!r}: it draws images (H, W, 1 or 3), flat square images, "
            "1D signals (steps, channels) and 3D volumes (D, H, W, C).",
        )
    data = await required_bytes(form, "image")
    # Decoding and resizing in a worker thread: the event loop keeps serving.
    return await run_in_threadpool(lambda: _image_sample(decode_image(data), served))


def _image_shape(shape: tuple[int | None, ...]) -> tuple[int, int, int]:
    height, width, channels = shape
    channels = int(channels or 1)
    free = _FREE_SIZE.get(channels, 28)
    return (height or free, width or free, channels)


def _image_sample(image: Any, served: ServedModel) -> np.ndarray:
    from cnnkit.utils.digit_image import image_as_input

    shape = served.input_shape
    if served.kind == "flat-image":
        side = math.isqrt(int(shape[0] or 0))
        return image_as_input(image, (side, side, 1)).reshape(shape[0] or 0)
    if served.kind == "volume":
        depth = int(shape[0] or 16)
        channels = int(shape[-1] or 1)
        if channels not in (1, 3):
            raise WebError(
                400,
                f"{served.name!r} takes volumes with {channels} channels: upload a "
                "`.npy` file as the field 'volume' instead of a drawing.",
            )
        plane = image_as_input(image, _image_shape(shape[1:]))
        return np.repeat(plane[None], depth, axis=0)
    return image_as_input(image, _image_shape(shape))


def _signal_sample(values: np.ndarray, served: ServedModel) -> np.ndarray:
    steps, channels = served.input_shape
    steps = int(steps or len(values))
    positions = np.linspace(0.0, len(values) - 1.0, steps)
    curve = np.interp(positions, np.arange(len(values)), values).astype("float32")
    return np.repeat(curve[:, None], int(channels or 1), axis=1)


def _volume_sample(data: bytes, served: ServedModel) -> np.ndarray:
    buffer = io.BytesIO(data)
    headers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    try:
        version = np.lib.format.read_magic(buffer)
        if version not in headers:
            raise ValueError(f"unsupported .npy format version {version}")
        # The header alone first: a shape claiming gigabytes is refused unread.
        shape, _, dtype = headers[version](buffer)
    except ValueError as exc:
        raise WebError(
            415, f"The field 'volume' must be a .npy file (numpy.save): {exc}."
        ) from exc
    if dtype.hasobject or dtype.kind not in "biuf":
        raise WebError(400, f"The volume must hold numbers; its dtype is {dtype}.")
    if math.prod(shape) > _MAX_VOLUME_VALUES:
        raise WebError(400, f"The volume of shape {list(shape)} is too large to read.")
    buffer.seek(0)
    try:
        volume = np.load(buffer, allow_pickle=False).astype("float32")
    except ValueError as exc:
        raise WebError(400, f"The .npy volume is damaged: {exc}.") from exc
    expected = tuple(served.input_shape)
    if volume.ndim == len(expected) - 1:
        volume = volume[..., None]
    if volume.ndim != len(expected) or any(
        want is not None and want != got for want, got in zip(expected, volume.shape)
    ):
        raise WebError(
            400,
            f"The volume has shape {list(volume.shape)}; {served.name!r} takes "
            f"{list(expected)} (None: any size). Save one of that shape.",
        )
    return volume


def slice_index(depth: int, at: float) -> int:
    """The slice at relative depth ``at`` in ``[0, 1]`` of ``depth`` slices.

    Example:
        >>> slice_index(32, 0.5), slice_index(32, 1.0), slice_index(1, 0.3)
        (16, 31, 0)
    """
    return min(depth - 1, max(0, int(at * depth)))


def seen_by_network(served: ServedModel, x: np.ndarray, at: float) -> Any:
    """The sample as a picture for the page: 2-D gray (or H x W x 3) lists, the
    curve for signals, one slice for volumes, rounded to 3 decimals."""
    if served.kind == "flat-image":
        side = math.isqrt(x.size)
        picture = x.reshape(side, side)
    elif served.kind == "signal":
        picture = x[:, 0]
    elif served.kind == "volume":
        picture = x[slice_index(x.shape[0], at)]
    else:
        picture = x
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    return np.round(picture.astype("float64"), 3).tolist()


def gray_page(image: Any) -> np.ndarray:
    """A decoded image as a 2-D uint8 array, transparency made white paper."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    return np.asarray(image.convert("L"), dtype=np.uint8)
