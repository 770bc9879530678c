"""Attention layers: MultiHeadAttention."""

from cnnkit.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["MultiHeadAttention"]
