"""Attention layers: MultiHeadAttention, Attention, AdditiveAttention."""

from cnnkit.layers.attention.attention import AdditiveAttention, Attention
from cnnkit.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
