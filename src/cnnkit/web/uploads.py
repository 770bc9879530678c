"""Reading what a browser sends: a bounded multipart body, then an image or a signal.

Everything here answers bad input with a :class:`WebError` whose status says whose
fault it is: 413 for a body over the limit (refused from its ``Content-Length``
before a byte of it is read, or the moment a streamed body passes the limit), 415
for something that is not a form or not an image, 400 for an image that is broken
or too large to decode, 422 for a missing field.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import AsyncGenerator
from typing import Any

import numpy as np
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from cnnkit.web.errors import WebError

__all__ = [
    "IMAGE_FORMATS",
    "MAX_IMAGE_PIXELS",
    "decode_image",
    "read_form",
    "required_bytes",
    "signal_values",
]

# What a photo, a scan or a canvas export comes as.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
# A 48-megapixel phone photo fits; a header claiming more is refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
# Long side JPEG decoding is asked to reach (draft mode decodes at 1/2, 1/4, 1/8
# scale for free): ample for any model input, and a 48 MP photo costs 1/64th.
_JPEG_DRAFT_SIDE = 2048
# A decoded 50 MP image is ~200 MB: at most this many are decoded at once.
_DECODES = threading.BoundedSemaphore(2)
# A drawn curve or a pasted signal: far more points than any 1D model takes.
_MAX_SIGNAL_VALUES = 1_000_000


async def read_form(request: Request, max_bytes: int) -> FormData:
    """The request's multipart form, read without ever holding more than ``max_bytes``.

    Raises:
        WebError: 415 when the body is not ``multipart/form-data``; 413 when it is
            larger than ``max_bytes``; 400 when the multipart data is malformed.
    """
    content_type = request.headers.get("content-type", "")
    multipart = content_type.startswith("multipart/form-data")
    # Text fields alone (a signal, a class) may also come as a plain HTML form.
    if not multipart and not content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        raise WebError(
            415,
            "Send the file as multipart/form-data (an HTML form, FormData in "
            f"JavaScript, `curl -F image=@digit.png`); received Content-Type "
            f"{content_type or 'none'!r}.",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(int(declared), max_bytes)
    body = _bounded(request, max_bytes)
    parser = (
        MultiPartParser(request.headers, body, max_files=4, max_fields=16)
        if multipart
        else FormParser(request.headers, body)
    )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise WebError(400, f"The multipart form could not be read: {exc}.") from exc


async def _bounded(request: Request, max_bytes: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, stopping with 413 as soon as they pass ``max_bytes``."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(received, max_bytes, streamed=True)
        yield chunk


def _too_large(size: int, max_bytes: int, *, streamed: bool = False) -> WebError:
    what = f"more than {size:,} bytes arrived" if streamed else f"it is {size:,} bytes"
    return WebError(
        413,
        f"The upload is too large: {what}, the limit is {max_bytes:,} bytes "
        f"({max_bytes / 2**20:g} MB). Send a smaller image, or start the server "
        "with a larger `--max-upload-mb`.",
    )


async def required_bytes(form: FormData, field: str) -> bytes:
    """The content of the file (or text) field ``field``.

    Raises:
        WebError: 422 when the form has no such field, or it is empty.
    """
    value = form.get(field)
    if value is None:
        present = sorted(form.keys())
        raise WebError(
            422,
            f"The form has no field {field!r} (it has {present}). Send the file as "
            f"`{field}`, e.g. `curl -F {field}=@file.png URL`.",
        )
    data = await value.read() if isinstance(value, UploadFile) else value.encode()
    if not data:
        raise WebError(422, f"The field {field!r} is empty: send a file in it.")
    return data


def decode_image(data: bytes, field: str = "image") -> Any:
    """The decoded PIL image in ``data``, its header checked before its pixels.

    Raises:
        WebError: 415 when ``data`` is not an image in one of ``IMAGE_FORMATS``;
            400 when it declares more than ``MAX_IMAGE_PIXELS`` pixels or is
            truncated or corrupt.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except UnidentifiedImageError as exc:
        raise WebError(
            415,
            f"The field {field!r} is not an image cnnkit reads ({', '.join(IMAGE_FORMATS)}"
            f"); its first bytes are {data[:8]!r}. Upload a PNG or JPEG.",
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _huge(field, str(exc)) from exc
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise _huge(field, f"its header declares {width}x{height} pixels")
    if image.format == "JPEG":
        image.draft(image.mode, (_JPEG_DRAFT_SIDE, _JPEG_DRAFT_SIDE))
    try:
        with _DECODES:
            image.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise WebError(
            400,
            f"The image in {field!r} is damaged and cannot be decoded ({exc}). "
            "Save it again, or upload another file.",
        ) from exc
    return image


def _huge(field: str, detail: str) -> WebError:
    return WebError(
        400,
        f"The image in {field!r} is too large to decode: {detail}; the limit is "
        f"{MAX_IMAGE_PIXELS:,} pixels. Resize it first.",
    )


def signal_values(data: bytes, field: str = "signal") -> np.ndarray:
    """A 1-D signal sent as a JSON list of numbers, as float32.

    Raises:
        WebError: 400 when ``data`` is not a JSON list of finite numbers.
    """
    try:
        values = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebError(
            400, f"The field {field!r} must be a JSON list of numbers: {exc}."
        ) from exc
    if not isinstance(values, list) or not values or len(values) > _MAX_SIGNAL_VALUES:
        raise WebError(
            400,
            f"The field {field!r} must be a JSON list of 1 to {_MAX_SIGNAL_VALUES:,} "
            f"numbers; received {type(values).__name__}.",
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise WebError(400, f"The field {field!r} must hold numbers only.")
    signal = np.asarray(values, dtype="float32")
    if not np.isfinite(signal).all():
        raise WebError(400, f"The field {field!r} holds NaN or infinite values.")
    return signal
