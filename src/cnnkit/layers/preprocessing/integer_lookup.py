"""``IntegerLookup``: map integer ids (class labels, categories) to dense indices.

Example:
    >>> import torch
    >>> lookup = IntegerLookup(vocabulary=[12, 36, 1138])
    >>> lookup(torch.tensor([12, 1138, 7]))
    tensor([1, 3, 0])
    >>> IntegerLookup(vocabulary=[12, 36], invert=True)(torch.tensor([2, 0]))
    tensor([36, -1])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.preprocessing._index_lookup import IndexLookup

__all__ = ["IntegerLookup"]


class IntegerLookup(IndexLookup):
    """Maps integers to indices from a fixed or adapted vocabulary (Keras 3 API).

    Args:
        max_tokens: The largest vocabulary size, mask and OOV indices included.
        num_oov_indices: How many indices unknown values share (bucket: the value
            modulo the count, Keras' ``oov_method="floormod"``).
        mask_token: A value that maps to index 0 (``output_mode="int"``).
        oov_token: What an inverted lookup returns for unknown indices (-1).
        vocabulary: A list or array of ints, or a text file with one per line.
        vocabulary_dtype: Must be ``"int64"`` (as in Keras).
        idf_weights: With ``output_mode="tf_idf"`` and a vocabulary.
        invert: Map indices back to the values (an ``int64`` tensor).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        sparse: Must be False: cnnkit returns dense tensors.
        pad_to_max_tokens: Make the encoded axis ``max_tokens`` long.
        oov_method: ``"floormod"``; TensorFlow's ``"farmhash"`` is not computed.
        salt: Only for ``"farmhash"``; must be None.
        name: The layer name.

    Raises:
        InvalidArgumentError: On invalid sizes, modes, methods or vocabularies.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise InvalidArgumentError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported (as in "
                f"Keras); received vocabulary_dtype={vocabulary_dtype!r}."
            )
        if oov_method != "floormod" or salt is not None:
            raise InvalidArgumentError(
                "IntegerLookup: only oov_method='floormod' (value modulo "
                "num_oov_indices) is supported, without `salt`; received "
                f"oov_method={oov_method!r}, salt={salt!r}. TensorFlow's FarmHash "
                "buckets are not computed by cnnkit."
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            name=name,
            **kwargs,
        )

    def _token(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.lstrip("-").isdigit():
                return int(value)  # a line of a vocabulary file
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if isinstance(value, numbers.Real) and float(value).is_integer():
                return int(float(value))
            raise InvalidTypeError(
                f"IntegerLookup '{self.name}' maps integers; received {value!r} "
                f"of type {type(value).__name__}. Use StringLookup for strings."
            )
        return int(value)

    def _bucket(self, token: Any) -> int:
        return int(token) % self.num_oov_indices  # floor modulo, as tf.math.floormod

    def _tokens_out(self, tokens: list[Any], shape: tuple[int, ...], like: Any) -> Any:
        out = torch.from_numpy(np.array(tokens, dtype=np.int64).reshape(shape))
        return out.to(like.device) if isinstance(like, torch.Tensor) else out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "vocabulary_dtype": "int64",
            "oov_method": "floormod",
            "salt": None,
        }
