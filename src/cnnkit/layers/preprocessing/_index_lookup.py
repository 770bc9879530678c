"""The shared part of ``StringLookup`` and ``IntegerLookup``: a vocabulary table.

Index layout (Keras'): with ``output_mode="int"`` and a ``mask_token``, index 0 is
the mask; then ``num_oov_indices`` out-of-vocabulary indices; then the tokens, most
frequent first after ``adapt()`` (ties: the larger token first, as Keras sorts).

torch has no string tensors, so lookups run on the host: strings enter as numpy
arrays (``str``/``bytes``/object dtype) or Python lists; indices leave as torch
``int64`` tensors (float32 for the count-like modes). Only dense outputs exist
(``sparse=False``).
"""

from __future__ import annotations

import abc
import collections
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cnnkit.errors import FileFormatError, InvalidArgumentError, NotBuiltError
from cnnkit.layers.base.keras_tensor import contains_keras_tensor
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import check_choice

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
Shape = tuple[int | None, ...]


class IndexLookup(Layer, abc.ABC):
    """Maps tokens to indices (or back, with ``invert=True``); see the subclasses."""

    _built_at_init = True

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        name: str | None = None,
        vocabulary_size: int | None = None,
        has_input_vocabulary: bool | None = None,
        **kwargs: Any,
    ) -> None:
        # Keras accepts and ignores these base options for lookups.
        kwargs.pop("dtype", None)
        kwargs.pop("trainable", None)
        super().__init__(name=name, **kwargs)
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise InvalidArgumentError(
                f"{cls}: `max_tokens` must be greater than 1 when set (it counts "
                f"the mask and OOV indices too); received max_tokens={max_tokens!r}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise InvalidArgumentError(
                f"{cls}: pad_to_max_tokens=True needs `max_tokens`; received "
                "max_tokens=None."
            )
        if not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise InvalidArgumentError(
                f"{cls}: `num_oov_indices` must be an int >= 0; received "
                f"num_oov_indices={num_oov_indices!r}."
            )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(
            output_mode, output_mode
        )
        self.output_mode = check_choice(output_mode, OUTPUT_MODES, "output_mode")
        if invert and output_mode != "int":
            raise InvalidArgumentError(
                f"{cls}: invert=True maps indices back to tokens, so `output_mode` "
                f"must be 'int'; received output_mode={output_mode!r}."
            )
        if sparse:
            raise InvalidArgumentError(
                f"{cls}: sparse=True is not supported: cnnkit returns dense tensors "
                "(Keras allows it only with the TensorFlow backend). Use sparse=False."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise InvalidArgumentError(
                f"{cls}: `idf_weights` is only used with output_mode='tf_idf'; "
                f"received output_mode={output_mode!r}."
            )
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self._tokens: list[Any] = []
        self._index: dict[Any, int] = {}
        self._idf: np.ndarray | None = None  # over the tokens only (no specials)
        self._counts: collections.Counter[Any] = collections.Counter()
        self._doc_counts: collections.Counter[Any] = collections.Counter()
        self._num_documents = 0
        self._frozen_vocab_size = vocabulary_size
        self._has_input_vocabulary = (
            vocabulary is not None
            if has_input_vocabulary is None
            else has_input_vocabulary
        )
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise InvalidArgumentError(
                f"{cls}: with output_mode='tf_idf' and a `vocabulary`, pass the "
                "`idf_weights` too (one per token), or call `adapt()` instead."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------ token handling

    # Abstract: each lookup defines its key type and its OOV buckets.
    @abc.abstractmethod
    def _token(self, value: Any) -> Any:
        """One input element as a vocabulary key (str or int)."""

    @abc.abstractmethod
    def _bucket(self, token: Any) -> int:
        """The OOV bucket (``0 <= b < num_oov_indices``) of an unknown token."""

    @abc.abstractmethod
    def _tokens_out(self, tokens: list[Any], shape: tuple[int, ...], like: Any) -> Any:
        """The result of an inverted lookup."""

    def _read_file(self, path: str) -> list[Any]:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return [self._token(line) for line in lines]

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self) -> list[Any]:
        return [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the tokens: a list/array, or the path of a file with one per line.

        The mask and OOV tokens may lead the list (as ``get_vocabulary()``
        returns it) or be left out.

        Raises:
            InvalidArgumentError: On an empty or repeated vocabulary, a reserved
                token in the wrong place, more than ``max_tokens`` entries, or
                ``idf_weights`` that do not match.
        """
        cls = type(self).__name__
        if isinstance(vocabulary, str | Path):
            if not Path(vocabulary).is_file():
                raise InvalidArgumentError(
                    f"{cls}: the vocabulary file {str(vocabulary)!r} does not exist."
                )
            vocabulary = self._read_file(str(vocabulary))
        tokens = [self._token(v) for v in np.asarray(vocabulary, dtype=object).ravel()]
        if not tokens:
            raise InvalidArgumentError(
                f"{cls}: cannot set an empty vocabulary; received "
                f"vocabulary={vocabulary!r}."
            )
        special = self._special_tokens()
        has_specials = tokens[: len(special)] == special
        if has_specials:
            tokens = tokens[len(special) :]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise InvalidArgumentError(
                f"{cls}: the vocabulary repeats {repeated}; each token may appear "
                "once. Deduplicate it (e.g. `list(dict.fromkeys(tokens))`)."
            )
        reserved = [self.mask_token] + ([self.oov_token] if self.invert else [])
        misplaced = [t for t in reserved if t is not None and t in tokens]
        if misplaced:
            raise InvalidArgumentError(
                f"{cls}: the reserved token {misplaced[0]!r} is inside the "
                "vocabulary. Leave the mask and OOV tokens out, or put them only at "
                f"the start in this order: {special}."
            )
        size = self._token_start_index() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise InvalidArgumentError(
                f"{cls}: the vocabulary has {size} entries (with the mask/OOV "
                f"indices), more than max_tokens={self.max_tokens}."
            )
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise InvalidArgumentError(
                    f"{cls}: output_mode='tf_idf' needs `idf_weights` with the "
                    "vocabulary."
                )
            weights = np.asarray(idf_weights, dtype="float32").ravel()
            expected = len(tokens) + (len(special) if has_specials else 0)
            if weights.size != expected:
                raise InvalidArgumentError(
                    f"{cls}: `idf_weights` must have one value per vocabulary "
                    f"entry ({expected}); received {weights.size}."
                )
            self._idf = weights[len(special) :] if has_specials else weights
        self._tokens = tokens
        self._index = {t: i + self._token_start_index() for i, t in enumerate(tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The tokens in index order (with the mask and OOV tokens first)."""
        if include_special_tokens:
            return [*self._special_tokens(), *self._tokens]
        return list(self._tokens)

    def vocabulary_size(self) -> int:
        """The number of indices, mask and OOV included."""
        return self._token_start_index() + len(self._tokens)

    # ------------------------------------------------------------------ adapt

    def _to_array(self, data: Any) -> np.ndarray:
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        return np.asarray(data, dtype=object)

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary from data: an array or list (one batch), or an
        iterable of batches (a generator, a ``tf.data``-style dataset).

        Raises:
            InvalidArgumentError: If the layer was given a fixed ``vocabulary``.
        """
        if self._has_input_vocabulary:
            raise InvalidArgumentError(
                f"{type(self).__name__} '{self.name}' was given a `vocabulary`, so "
                "it cannot adapt. Create the layer without `vocabulary=` to learn "
                "one from data."
            )
        self._counts.clear()
        self._doc_counts.clear()
        self._num_documents = 0
        if isinstance(data, list | tuple | np.ndarray | torch.Tensor | str):
            array = self._to_array(data)
            self._update(array[:, None] if array.ndim == 1 else array)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self._update(self._to_array(batch))
        self._finalize()

    def _update(self, batch: np.ndarray) -> None:
        if batch.ndim < 2:
            batch = batch.reshape(1, -1)  # one document
        rows = [[self._token(v) for v in row.ravel()] for row in batch]
        for row in rows:
            self._counts.update(row)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(row))
        self._num_documents += len(rows)

    def _finalize(self) -> None:
        for special in (self.mask_token, self.oov_token):
            self._counts.pop(special, None)
        # Keras' order: most frequent first; ties broken by the larger token.
        tokens = sorted(self._counts, key=lambda t: (self._counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start_index()]
        if self.output_mode == "tf_idf":
            docs = self._num_documents
            self._idf = np.array(
                [math.log(1 + docs / (1 + self._doc_counts[t])) for t in tokens],
                dtype="float32",
            )
        self._tokens = tokens
        self._index = {t: i + self._token_start_index() for i, t in enumerate(tokens)}
        self._frozen_vocab_size = self.vocabulary_size()
        self._counts.clear()
        self._doc_counts.clear()

    # ------------------------------------------------------------------ calling

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and contains_keras_tensor(args[0]):
            return super().__call__(*args, **kwargs)  # a symbolic model input
        if not args:
            return super().__call__(*args, **kwargs)  # the base explains
        # Tokens are not numbers: the base's numeric conversion does not apply.
        return self.call(args[0])

    def _oov_index(self, token: Any) -> int:
        """Where an unknown token goes (a hash bucket when there are several)."""
        if self.num_oov_indices == 1:
            return self._oov_start_index()
        return self._oov_start_index() + self._bucket(token)

    def _lookup(self, array: np.ndarray) -> np.ndarray:
        flat = [self._token(v) for v in array.ravel()]
        out = np.empty(len(flat), dtype=np.int64)
        unknown = []
        for i, token in enumerate(flat):
            found = self._index.get(token)
            if found is not None:
                out[i] = found
            elif self.mask_token is not None and token == self.mask_token:
                # int mode: 0; count modes: an index past the end, so it is dropped
                out[i] = 0 if self.output_mode == "int" else -1
            elif self.num_oov_indices == 0:
                unknown.append(token)
            else:
                out[i] = self._oov_index(token)
        if unknown:
            raise InvalidArgumentError(
                f"{type(self).__name__} '{self.name}': with num_oov_indices=0 every "
                f"input must be in the vocabulary; found {sorted(set(unknown))[:10]}. "
                "Set num_oov_indices=1 to map unknown tokens to an OOV index."
            )
        return out.reshape(array.shape)

    def _depth(self) -> int:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return self.max_tokens
        if self._frozen_vocab_size is None or not self._tokens:
            raise NotBuiltError(
                f"{type(self).__name__} '{self.name}' has no vocabulary yet, so "
                f"output_mode={self.output_mode!r} has no depth. Pass `vocabulary=` "
                "or call `adapt(data)` before using it."
            )
        return self.vocabulary_size()

    def _encode(self, indices: np.ndarray) -> torch.Tensor:
        depth = self._depth()
        if indices.ndim == 0:
            indices = indices.reshape(1)
        if self.output_mode == "one_hot":
            if indices.ndim > 1 and indices.shape[-1] == 1:
                indices = indices[..., 0]
            out = np.zeros((*indices.shape, depth), dtype="float32")
            valid = (indices >= 0) & (indices < depth)
            np.put_along_axis(
                out, np.where(valid, indices, 0)[..., None], valid[..., None], axis=-1
            )
            return torch.from_numpy(out)
        rows = indices.reshape(-1, indices.shape[-1])  # (samples, tokens)
        counts = np.zeros((rows.shape[0], depth), dtype="float32")
        for r, row in enumerate(rows):
            row = row[(row >= 0) & (row < depth)]
            np.add.at(counts[r], row, 1.0)
        if self.output_mode == "multi_hot":
            counts = np.minimum(counts, 1.0)
        elif self.output_mode == "tf_idf":
            counts = counts * self._idf_vector(depth)
        return torch.from_numpy(counts.reshape((*indices.shape[:-1], depth)))

    def _idf_vector(self, depth: int) -> np.ndarray:
        token_idf = self._idf if self._idf is not None else np.zeros(0, "float32")
        front = float(token_idf.mean()) if token_idf.size else 0.0
        full = np.concatenate([np.full(self._token_start_index(), front), token_idf])
        return np.pad(full, (0, max(0, depth - full.size)))[:depth].astype("float32")

    def call(self, inputs: Any) -> Any:
        array = as_token_array(inputs)
        if self.invert:
            return self._tokens_out(self._invert(array), array.shape, inputs)
        indices = self._lookup(array)
        out = (
            torch.from_numpy(indices)
            if self.output_mode == "int"
            else self._encode(indices)
        )
        if isinstance(inputs, torch.Tensor) and inputs.device != out.device:
            out = out.to(inputs.device)
        return out

    def _invert(self, array: np.ndarray) -> list[Any]:
        """Indices back to tokens: unknown indices give the OOV token."""
        vocabulary = self.get_vocabulary()
        start = self._token_start_index()
        tokens = []
        for i in array.ravel().astype(np.int64).tolist():
            if self.mask_token is not None and i == 0:
                tokens.append(self.mask_token)
            elif start <= i < len(vocabulary):
                tokens.append(vocabulary[i])
            else:
                tokens.append(self.oov_token)
        return tokens

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = (
            self.max_tokens
            if self.pad_to_max_tokens
            else (self._frozen_vocab_size if self._tokens else None)
        )
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], depth)
            return (*shape, depth)
        return (*shape[:-1], depth)

    def _output_dtype(self, inputs: Any) -> str:
        return "int64" if self.output_mode == "int" else "float32"

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict[str, Any]:
        # The vocabulary goes into the config (learned or given), so a file holds
        # it without assets, and Keras reads it back through `vocabulary=`.
        vocabulary = self.get_vocabulary(include_special_tokens=False) or None
        idf = None
        if self.output_mode == "tf_idf" and self._idf is not None:
            idf = [float(w) for w in self._idf]
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": idf,
            "vocabulary": vocabulary,
            "vocabulary_size": self._frozen_vocab_size,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuild from a config; a vocabulary *path* is refused (cnnkit reads
        no file that a model file names).

        Raises:
            FileFormatError: If ``config["vocabulary"]`` is a file path.
        """
        if isinstance(config.get("vocabulary"), str):
            raise FileFormatError(
                f"{cls.__name__} {config.get('name', '?')!r}: the config names the "
                f"vocabulary file {config['vocabulary']!r}. cnnkit never reads files "
                "that a model file points to; create the layer with "
                "`vocabulary=<list>` and load the weights instead."
            )
        return cls(**config)

    def load_asset_files(self, files: dict[str, bytes]) -> None:
        """Take the vocabulary Keras writes to ``assets/.../vocabulary.txt`` for an
        adapted lookup (its config then has ``vocabulary=None``)."""
        if self._tokens or "vocabulary.txt" not in files:
            return  # the config carried the vocabulary, as cnnkit writes it
        lines = files["vocabulary.txt"].decode("utf-8").splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if lines:
            idf = None
            if self.output_mode == "tf_idf":
                raise InvalidArgumentError(
                    f"{type(self).__name__} '{self.name}': a tf_idf lookup saved by "
                    "Keras keeps its idf weights beside the vocabulary; cnnkit "
                    "reads only the vocabulary. Pass `vocabulary=` and "
                    "`idf_weights=` when creating the layer instead."
                )
            self.set_vocabulary([self._token(line) for line in lines], idf)

    def get_build_config(self) -> dict[str, Any] | None:
        return {}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        return None


def as_token_array(data: Any) -> np.ndarray:
    """Inputs of a lookup as a numpy array (tensors come to the host)."""
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    if isinstance(data, Iterable) and not isinstance(data, str | bytes | np.ndarray):
        return np.asarray(list(data), dtype=object)
    return np.asarray(data, dtype=object) if not isinstance(data, np.ndarray) else data
