"""``StringLookup``: map strings to integer indices (or back), e.g. label names.

torch has no string tensors: pass strings as a numpy array (``str``, ``bytes`` or
object dtype) or a Python list. Indices come back as a torch ``int64`` tensor; an
inverted lookup returns a numpy array of ``str``.

Example:
    >>> lookup = StringLookup(vocabulary=["cat", "dog"])
    >>> lookup(["dog", "cat", "fox"])
    tensor([2, 1, 0])
    >>> lookup.get_vocabulary()
    ['[UNK]', 'cat', 'dog']
    >>> StringLookup(vocabulary=["cat", "dog"], invert=True)([2, 1, 0]).tolist()
    ['dog', 'cat', '[UNK]']
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from cnnkit.layers.preprocessing._index_lookup import IndexLookup

__all__ = ["StringLookup"]


class StringLookup(IndexLookup):
    """Maps strings to indices from a fixed or adapted vocabulary (Keras 3 API).

    Args:
        max_tokens: The largest vocabulary size, mask and OOV indices included.
        num_oov_indices: How many indices unknown strings share. With more than
            one, a string's bucket is its CRC-32 modulo the count (stable across
            runs, but not TensorFlow's FarmHash buckets).
        mask_token: A string that maps to index 0 (``output_mode="int"``), e.g.
            ``""`` for padding; None for no mask.
        oov_token: What an inverted lookup returns for unknown indices.
        vocabulary: A list or array of strings, or the path of a text file with
            one per line; else call :meth:`adapt`.
        idf_weights: With ``output_mode="tf_idf"`` and a vocabulary: one inverse
            document frequency per token.
        invert: Map indices back to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"`` (float32 outputs over the vocabulary).
        pad_to_max_tokens: Make the encoded axis ``max_tokens`` long.
        sparse: Must be False: cnnkit returns dense tensors.
        encoding: How ``bytes`` inputs are decoded.
        name: The layer name.

    Raises:
        InvalidArgumentError: On invalid sizes, modes or vocabularies (each
            message says which argument and why).
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding  # needed while the vocabulary is read
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
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        return str(value)

    def _bucket(self, token: Any) -> int:
        return zlib.crc32(token.encode(self.encoding)) % self.num_oov_indices

    def _tokens_out(self, tokens: list[Any], shape: tuple[int, ...], like: Any) -> Any:
        return np.array(tokens, dtype=str).reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "oov_method": "farmhash",  # what Keras writes for strings
            "salt": None,
            "encoding": self.encoding,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        config = dict(config)
        config.pop("oov_method", None)
        if config.pop("salt", None) is not None:
            from cnnkit.errors import FileFormatError

            raise FileFormatError(
                f"StringLookup {config.get('name', '?')!r} uses a `salt` for "
                "TensorFlow's FarmHash OOV buckets, which cnnkit does not compute."
            )
        return super().from_config(config)
