"""``Embedding``: turn integer ids into dense vectors (rows of ``embeddings``).

Example:
    >>> import torch
    >>> layer = Embedding(input_dim=10, output_dim=4)
    >>> layer(torch.tensor([[1, 2, 3]])).shape
    torch.Size([1, 3, 4])
    >>> layer.embeddings.shape                   # (input_dim, output_dim)
    torch.Size([10, 4])
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit import constraints, initializers, regularizers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import check_positive_int


class Embedding(Layer):
    """Look up a learned vector for each integer id (``0 <= id < input_dim``).

    Args:
        input_dim: Size of the vocabulary (largest id + 1).
        output_dim: Size of each vector.
        embeddings_initializer: Initializer of the ``(input_dim, output_dim)``
            table (Keras' default: uniform in [-0.05, 0.05]).
        embeddings_regularizer, activity_regularizer: Penalties.
        embeddings_constraint: Constraint applied after each update.
        mask_zero: Whether id 0 means "padding": then :meth:`compute_mask` returns
            ``inputs != 0``, and a Sequential or functional model hands that mask
            on to the layers after it, as Keras does (recurrent layers skip the
            padded steps). Inside a custom layer's ``call``, pass it yourself:
            ``self.lstm(vectors, mask=self.embedding.compute_mask(ids))``. The
            mask does not weight the loss (Keras' masked losses are not done).
        weights: Optional initial table (an array, or a list holding one).
        lora_rank, lora_alpha, quantization_config: Only ``None`` (cnnkit has no
            LoRA or quantized Embedding).

    Input shape:
        ``(batch, ...)`` integer ids (floats are truncated to integers).

    Output shape:
        ``(batch, ..., output_dim)``.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("input_length", None) is not None:
            warnings.warn(
                "Embedding: `input_length` is deprecated (Keras 3 reads the length "
                "from the input). Just remove it.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        unsupported = {
            "lora_rank": lora_rank, "lora_alpha": lora_alpha,
            "quantization_config": quantization_config,
        }  # fmt: skip
        for name, value in unsupported.items():
            if value is not None:
                raise InvalidArgumentError(
                    f"Embedding got {name}={value!r}: cnnkit has no LoRA or quantized "
                    "Embedding. Drop the argument (or set it to None)."
                )
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        if weights is not None:
            # As Keras: build now (the table's shape needs no input) and assign.
            self.build(None)
            table = (
                weights
                if isinstance(weights, list) and len(weights) == 1
                else [weights]
            )
            self.set_weights(table)

    def build(self, input_shape: Any = None) -> None:
        if self.built:  # `weights=` already built it
            return
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim), self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint, name="embeddings",
        )  # fmt: skip

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        ids = inputs if inputs.dtype in (torch.int32, torch.int64) else inputs.long()
        return F.embedding(ids, self.embeddings)  # (batch, ..., output_dim)

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        """``inputs != 0`` when ``mask_zero``, else ``None`` (as Keras)."""
        if not self.mask_zero:
            return None
        return torch.as_tensor(inputs) != 0

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(
                self.embeddings_initializer
            ),
            "embeddings_regularizer": regularizers.serialize(
                self.embeddings_regularizer
            ),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
