"""``Attention`` (Luong, dot-product) and ``AdditiveAttention`` (Bahdanau): one
head, no projections, called on ``[query, value]`` or ``[query, value, key]``.

Example:
    >>> import torch
    >>> query, value = torch.ones(2, 3, 4), torch.ones(2, 5, 4)
    >>> out, scores = Attention()([query, value], return_attention_scores=True)
    >>> out.shape, scores.shape                 # (B, Tq, dim), (B, Tq, Tv)
    (torch.Size([2, 3, 4]), torch.Size([2, 3, 5]))
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.regularization._random import SeedStream, dropout
from cnnkit.utils.validation import check_choice, check_rate

Shape = tuple[int | None, ...]


class Attention(Layer):
    """Dot-product attention: ``softmax(query @ key^T) @ value``.

    Args:
        use_scale: Learn a scalar ``scale`` that multiplies the scores.
        score_mode: ``"dot"`` (``query . key``) or ``"concat"``
            (``sum(tanh(query + key))``, times a learned ``concat_score_weight``).
        dropout: Dropout rate on the attention weights (training only).
        seed: Seed of that dropout.

    Call arguments:
        inputs: ``[query (B, Tq, dim), value (B, Tv, dim)]``, optionally ``key``
            ``(B, Tv, dim)`` third (default: ``value``).
        mask: ``[query_mask (B, Tq), value_mask (B, Tv)]``; a model fills it in
            from an ``Embedding(mask_zero=True)``.
        return_attention_scores: Also return the ``(B, Tq, Tv)`` weights.
        use_causal_mask: Forbid query step ``i`` from seeing value steps ``j > i``.

    Output shape:
        ``(B, Tq, value_dim)``.
    """

    supports_masking = True  # the output keeps the query's mask, as in Keras

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = check_choice(score_mode, ["dot", "concat"], "score_mode")
        self.dropout = check_rate(dropout, "dropout")
        self.seed = seed
        self._random = SeedStream(seed)

    def build(self, input_shape: Any) -> None:
        _check_inputs(self, input_shape)
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                (), "ones", name="concat_score_weight"
            )

    def _scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """``(B, Tq, Tv)`` scores."""
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            return scores * self.scale if self.use_scale else scores
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)  # (B, Tq, Tv, dim)
        if self.use_scale:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def call(
        self,
        inputs: list[torch.Tensor],
        mask: Any = None,
        training: bool = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        _check_inputs(self, inputs)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = _split_mask(self, mask, query.device)
        scores = self._scores(query, key)  # (B, Tq, Tv)
        keep = None if value_mask is None else value_mask.unsqueeze(-2)  # (B, 1, Tv)
        if use_causal_mask:
            rows = torch.arange(scores.shape[-2], device=scores.device)[:, None]
            cols = torch.arange(scores.shape[-1], device=scores.device)[None, :]
            causal = (rows >= cols)[None]  # (1, Tq, Tv)
            keep = causal if keep is None else keep & causal
        if keep is not None:
            # Keras subtracts a large number (not -inf), so a fully masked row
            # comes out uniform instead of NaN.
            big = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            scores = torch.where(keep, scores, scores - big)
        weights = torch.softmax(scores, dim=-1)
        used = weights
        if training and self.dropout > 0:
            used = dropout(
                weights, self.dropout, None, self._random.generator(weights.device)
            )
        output = torch.matmul(used, value)  # (B, Tq, dim)
        if query_mask is not None:
            output = torch.where(query_mask.unsqueeze(-1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not previous_mask or previous_mask[0] is None:
            return None
        return torch.as_tensor(previous_mask[0])

    def compute_output_shape(self, input_shape: Any) -> Shape:
        _check_inputs(self, input_shape)
        return (*tuple(input_shape[0])[:-1], input_shape[1][-1])

    def _symbolic_output_shape(
        self, shapes: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        out = self.compute_output_shape(shapes)
        if not kwargs.get("return_attention_scores"):
            return out
        key = shapes[2] if len(shapes) > 2 else shapes[1]
        return (out, (*tuple(shapes[0])[:-1], key[-2]))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores ``sum(scale * tanh(query + key))``.

    Args:
        use_scale: Learn a ``(dim,)`` ``scale`` vector (glorot_uniform).
        dropout: Dropout rate on the attention weights (training only).

    Call arguments and shapes are those of :class:`Attention`.
    """

    def __init__(
        self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        _check_inputs(self, input_shape)
        if self.use_scale:
            dim = input_shape[0][-1]
            self.scale = self.add_weight((dim,), "glorot_uniform", name="scale")

    def _scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))  # (B, Tq, Tv, dim)
        return (pairs * self.scale).sum(-1) if self.use_scale else pairs.sum(-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config


def _check_inputs(layer: Attention, inputs: Any) -> None:
    # A shape is a tuple too: its items are sizes, those of a list of inputs not.
    one_shape = isinstance(inputs, tuple) and all(
        d is None or isinstance(d, int) for d in inputs
    )
    if one_shape or not isinstance(inputs, list | tuple) or not 2 <= len(inputs) <= 3:
        raise InvalidArgumentError(
            f"{type(layer).__name__} '{layer.name}' must be called on a list "
            f"[query, value] or [query, value, key]; received {_describe(inputs)}."
        )


def _describe(inputs: Any) -> str:
    if isinstance(inputs, list) or (
        isinstance(inputs, tuple)
        and not all(d is None or isinstance(d, int) for d in inputs)
    ):
        return f"a {type(inputs).__name__} of length {len(inputs)}"
    shape = inputs if isinstance(inputs, tuple) else tuple(getattr(inputs, "shape", ()))
    return f"a single input of shape {shape}"


def _split_mask(
    layer: Attention, mask: Any, device: torch.device
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    if mask is None:
        return None, None
    if not isinstance(mask, list | tuple) or not 2 <= len(mask) <= 3:
        raise InvalidArgumentError(
            f"{type(layer).__name__} '{layer.name}': `mask` must be a list "
            f"[query_mask, value_mask]; received {_describe(mask)}."
        )

    def as_bool(m: Any) -> torch.Tensor | None:
        return None if m is None else torch.as_tensor(m, device=device).bool()

    return as_bool(mask[0]), as_bool(mask[1])
