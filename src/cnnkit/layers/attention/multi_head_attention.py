"""``MultiHeadAttention``: scaled dot-product attention over several heads.

The projections are :class:`EinsumDense` sublayers named and shaped as in Keras
(``query_dense/kernel`` is ``(dim, heads, key_dim)``, ``output_dense/kernel`` is
``(heads, value_dim, dim)``), so weights move both ways with Keras files.

Example:
    >>> import torch
    >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = torch.ones(3, 5, 8)                       # (batch, steps, features)
    >>> out, scores = layer(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape                       # scores: (batch, heads, T, S)
    (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 5]))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit import constraints, initializers, regularizers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.activations.softmax import Softmax
from cnnkit.layers.attention._equations import attention_equations, projection_equation
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.core.einsum_dense import EinsumDense
from cnnkit.layers.regularization.dropout import Dropout
from cnnkit.utils.validation import check_positive_int, check_rate

Shape = tuple[int | None, ...]


def _shape(value: Any) -> Shape:
    """The shape of a symbolic tensor, a tensor, an array or nested lists."""
    if isinstance(value, KerasTensor | torch.Tensor | np.ndarray):
        return tuple(value.shape)
    return tuple(np.shape(value))


def _combined_mask(
    device: torch.device,
    attention_mask: Any,
    query_mask: Any,
    value_mask: Any,
    key_mask: Any,
) -> torch.Tensor | None:
    """``attention_mask`` and the sequence masks as one ``(B, T, S)``-broadcastable
    mask, as Keras combines them: a padded query step attends to nothing, no query
    attends to a padded value (or key) step."""
    parts = []
    if attention_mask is not None:
        parts.append(torch.as_tensor(attention_mask, device=device).bool())
    if query_mask is not None:
        parts.append(torch.as_tensor(query_mask, device=device).bool()[..., :, None])
    for mask in (value_mask, key_mask):
        if mask is not None:
            parts.append(torch.as_tensor(mask, device=device).bool()[..., None, :])
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part
    return combined


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017) as ``keras.layers.MultiHeadAttention``.

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value (default: ``key_dim``).
        dropout: Dropout rate on the attention probabilities (training only).
        use_bias: Whether the projections have biases.
        output_shape: The output's shape after the batch and query axes (default:
            the query's last axis).
        attention_axes: Axes attention runs over (default: all but batch, heads
            and features, i.e. the steps of a ``(batch, steps, features)`` input).
        sliding_window: Optional band width: a query attends to keys less than
            ``sliding_window`` positions away.
        flash_attention: ``None`` or a bool; cnnkit always uses torch's fused
            attention where the call allows it (no dropout, no scores returned).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: Passed to the
            projections.
        use_gate: Whether to gate the output with ``sigmoid(query projection)``.
        seed: Seed of the attention dropout.

    Call arguments:
        query: ``(batch, T, dim)``. value: ``(batch, S, dim)``. key: optional
        ``(batch, S, dim)`` (default ``value``). query_mask, value_mask,
        key_mask: ``(batch, T)`` / ``(batch, S)`` sequence masks; a model fills
        them in from an ``Embedding(mask_zero=True)``. attention_mask: boolean
        ``(batch, T, S)``, ``True`` where a query may attend.
        return_attention_scores: Also return ``(batch, heads, T, S)`` scores.
        training: Whether dropout is active. use_causal_mask: Forbid attending to
        later steps.

    Output shape:
        ``(batch, T, dim)`` (or ``output_shape``).
    """

    supports_masking = True  # the output keeps the query's mask, as in Keras

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | tuple[int, ...] | list[int] | None = None,
        attention_axes: int | tuple[int, ...] | list[int] | None = None,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_heads = check_positive_int(num_heads, "num_heads")
        self.key_dim = check_positive_int(key_dim, "key_dim")
        self.value_dim = (
            check_positive_int(value_dim, "value_dim") if value_dim else key_dim
        )
        self.dropout = check_rate(dropout, "dropout")
        if flash_attention and self.dropout > 0.0:
            raise InvalidArgumentError(
                f"MultiHeadAttention: flash_attention=True cannot drop attention "
                f"weights (dropout={dropout!r}). Set dropout=0.0, or leave "
                "flash_attention=None."
            )
        self.use_bias = use_bias
        self.use_gate = use_gate
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self.partial_output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(
            attention_axes, list | tuple
        ):
            raise InvalidArgumentError(
                "MultiHeadAttention: `attention_axes` must be an int, a list or a "
                f"tuple of axes; received attention_axes={attention_axes!r}."
            )
        self.attention_axes = tuple(attention_axes) if attention_axes else None
        if sliding_window is not None:
            check_positive_int(sliding_window, "sliding_window")
        self.sliding_window = sliding_window
        self.seed = seed
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    # ------------------------------------------------------------------ build

    def _projection(
        self, name: str, rank: int, bound: int, out: list[int | None], **kw: Any
    ) -> EinsumDense:
        equation, bias_axes, out_rank = projection_equation(rank - 1, bound, len(out))
        unknown: list[int | None] = [None] * (out_rank - 1 - len(out))
        return EinsumDense(
            equation, output_shape=[*unknown, *out],
            bias_axes=bias_axes if self.use_bias else None, name=name,
            # A fresh initializer per projection, as Keras makes.
            kernel_initializer=initializers.get(
                initializers.serialize(self.kernel_initializer)
            ),
            bias_initializer=initializers.get(initializers.serialize(self.bias_initializer)),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.projection_activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint, dtype=self._dtype, **kw,
        )  # fmt: skip

    def build(  # type: ignore[override]  # Keras' signature: one shape per input
        self, query_shape: Shape, value_shape: Shape, key_shape: Shape | None = None
    ) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise InvalidArgumentError(
                f"MultiHeadAttention '{self.name}': `value` and `key` must agree on "
                f"every axis but the last; received value shape {value_shape} and "
                f"key shape {key_shape}. Pass a key with the value's steps."
            )
        self._shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._shapes["key_shape"] = key_shape
        heads = self.num_heads
        self.query_dense = self._projection(
            "query", len(query_shape), 1, [heads, self.key_dim]
        )
        self.query_dense.build(query_shape)
        self.key_dense = self._projection(
            "key", len(key_shape), 1, [heads, self.key_dim]
        )
        self.key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                "gate",
                len(query_shape),
                1,
                [heads, self.value_dim],
                activation="sigmoid",
            )
            self._gate_dense.build(query_shape)
        self.value_dense = self._projection(
            "value", len(value_shape), 1, [heads, self.value_dim]
        )
        self.value_dense.build(value_shape)
        rank = len(query_shape) + 1  # projected: (batch, ..., heads, channels)
        axes = self.attention_axes or tuple(range(1, rank - 2))
        self._axes = tuple(a if a >= 0 else (rank - 1) + a for a in axes)
        self._scores_eq, self._combine_eq, scores_rank = attention_equations(
            rank, self._axes
        )
        norm_axes = tuple(range(scores_rank - len(self._axes), scores_rank))
        self._softmax = Softmax(axis=list(norm_axes), dtype=self._dtype)
        self._dropout_layer = Dropout(
            rate=self.dropout, seed=self.seed, dtype=self._dtype
        )
        out = list(self.partial_output_shape or (query_shape[-1],))
        self.output_dense = self._projection(
            "attention_output", len(query_shape), 2, out
        )
        self.output_dense.build((*query_shape[:-1], heads, self.value_dim))

    def get_build_config(self) -> dict[str, Any] | None:
        shapes = getattr(self, "_shapes", None)
        if shapes is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in shapes.items()}}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        shapes = (build_config or {}).get("shapes_dict")
        if shapes and not self.built:
            key = shapes.get("key_shape")
            self.build(
                tuple(shapes["query_shape"]), tuple(shapes["value_shape"]),
                None if key is None else tuple(key),
            )  # fmt: skip

    # ------------------------------------------------------------------ call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Keras builds from all three inputs; the base class sees only the first.
        if len(args) < 2 and "value" not in kwargs:
            raise InvalidArgumentError(
                f"MultiHeadAttention '{self.name}' needs `query` and `value`: call "
                "it as layer(query, value) (self-attention: layer(x, x))."
            )
        if not self.built:
            query = args[0]
            value = args[1] if len(args) > 1 else kwargs["value"]
            key = args[2] if len(args) > 2 else kwargs.get("key")
            self.build(
                _shape(query), _shape(value), None if key is None else _shape(key)
            )
        return super().__call__(*args, **kwargs)

    def call(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: torch.Tensor | None = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        key = value if key is None else key
        attention_mask = _combined_mask(
            query.device, attention_mask, query_mask, value_mask, key_mask
        )
        band = self._band_mask(query, value, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self.query_dense(query)  # (B, T, heads, key_dim)
        k = self.key_dense(key)  # (B, S, heads, key_dim)
        v = self.value_dense(value)  # (B, S, heads, value_dim)
        dropping = self.dropout > 0.0 and bool(training)
        if not return_attention_scores and not dropping and q.dim() == 4:
            output = self._fused_attention(
                q, k, v, attention_mask, band, use_causal_mask
            )
            scores = None
        else:
            mask = (
                band
                if attention_mask is None
                else (attention_mask if band is None else attention_mask & band)
            )
            output, scores = self._attention(q, k, v, mask, training)
        if gate is not None:
            output = output * gate
        output = self.output_dense(output)  # (B, T, *output_shape)
        return (output, scores) if return_attention_scores else output

    def _band_mask(
        self, query: torch.Tensor, value: torch.Tensor, causal: bool
    ) -> torch.Tensor | None:
        """``(1, T, S)``: the causal triangle and/or the sliding-window band."""
        if not causal and self.sliding_window is None:
            return None
        rows = torch.arange(query.shape[1], device=query.device)[:, None]
        cols = torch.arange(value.shape[1], device=query.device)[None, :]
        mask = torch.ones(
            rows.shape[0], cols.shape[1], dtype=torch.bool, device=query.device
        )
        if causal:
            mask = mask & (rows >= cols)
        if self.sliding_window is not None:
            mask = mask & ((rows - cols).abs() < self.sliding_window)
        return mask[None]

    def _fused_attention(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        attention_mask: torch.Tensor | None,
        band: torch.Tensor | None,
        causal: bool,
    ) -> torch.Tensor:
        """torch's fused kernel on ``(B, heads, T, channels)``; the same numbers as
        :meth:`_attention` (masked scores get Keras' large negative, not -inf)."""
        mask = attention_mask
        only_causal = causal and mask is None and self.sliding_window is None
        if not only_causal and band is not None:
            mask = band if mask is None else mask & band
        bias = None
        if mask is not None:
            while mask.dim() < 4:
                mask = mask.unsqueeze(-3)  # add the heads axis: (B, 1, T, S)
            bias = torch.zeros(mask.shape, dtype=q.dtype, device=q.device)
            bias = bias.masked_fill(~mask, -0.7 * torch.finfo(q.dtype).max)
        out = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
            attn_mask=bias, is_causal=only_causal, scale=1.0 / math.sqrt(self.key_dim),
        )  # fmt: skip
        return out.transpose(1, 2)  # (B, T, heads, value_dim)

    def _attention(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        mask: torch.Tensor | None,
        training: bool | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Explicit scores over any attention axes (and dropout on them)."""
        q = q * (1.0 / math.sqrt(self.key_dim))
        scores = torch.einsum(self._scores_eq, k, q)  # (B, heads, T..., S...)
        if mask is not None:
            # The mask is (B, T..., S...): add the heads (and other) axes.
            for _ in range(scores.dim() - mask.dim()):
                mask = mask.unsqueeze(-len(self._axes) * 2 - 1)
        scores = self._softmax(scores, mask=mask)
        dropped = (
            self._dropout_layer(scores, training=training) if self.dropout else scores
        )
        return torch.einsum(self._combine_eq, dropped, v), scores

    # ------------------------------------------------------------------ shapes

    def compute_output_shape(
        self,
        query_shape: Shape,
        value_shape: Shape | None = None,
        key_shape: Shape | None = None,
    ) -> Shape:
        query_shape = tuple(query_shape)
        if self.partial_output_shape:
            return (*query_shape[:-1], *self.partial_output_shape)
        return query_shape

    def _symbolic_output_shape(
        self, shapes: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        query_shape = tuple(shapes)
        out = self.compute_output_shape(query_shape)
        if not kwargs.get("return_attention_scores"):
            return out
        value = args[0] if args else kwargs["value"]
        steps = _shape(value)[1]
        return (out, (query_shape[0], self.num_heads, query_shape[1], steps))

    def get_config(self) -> dict[str, Any]:
        axes = getattr(self, "_axes", None) or self.attention_axes
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": (
                list(self.partial_output_shape) if self.partial_output_shape else None
            ),
            "attention_axes": list(axes) if axes else None,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(
                self.projection_activity_regularizer
            ),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }
