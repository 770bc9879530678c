"""``tf.io``: reading whole files, the first step of an image pipeline.

``tf.io.read_file`` returns the file's bytes (TensorFlow's string tensor), for
``tf.image.decode_png``/``decode_jpeg``. Files are capped at ``MAX_FILE_BYTES``
(far above any image a tutorial reads) so that a wrong path to a huge file cannot
fill memory.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from cnnkit.compat.tf._common import module_getattr
from cnnkit.compat.tf.image import decode_image, decode_jpeg, decode_png
from cnnkit.errors import FileFormatError, InvalidTypeError

__all__ = ["decode_image", "decode_jpeg", "decode_png", "read_file"]

MAX_FILE_BYTES = 512 * 2**20


def read_file(filename: Any, name: str | None = None) -> bytes:
    """The bytes of ``filename`` (a path, or a path held in a 0-d tensor of bytes).

    Raises:
        InvalidTypeError: ``filename`` is not a path.
        FileFormatError: The file is larger than ``MAX_FILE_BYTES``.
    """
    if isinstance(filename, torch.Tensor):
        raise InvalidTypeError(
            "tf.io.read_file: `filename` is a numeric tensor; cnnkit has no string "
            "tensors, so pass the path as a Python str."
        )
    if not isinstance(filename, str | bytes | os.PathLike):
        raise InvalidTypeError(
            f"tf.io.read_file: `filename` must be a path (str); received "
            f"{type(filename).__name__}."
        )
    size = os.path.getsize(filename)
    if size > MAX_FILE_BYTES:
        raise FileFormatError(
            f"tf.io.read_file: {os.fsdecode(filename)!r} is {size} bytes, more than "
            f"the {MAX_FILE_BYTES} cnnkit reads at once."
        )
    with open(filename, "rb") as f:
        return f.read(MAX_FILE_BYTES + 1)


__getattr__ = module_getattr("tensorflow.io")
