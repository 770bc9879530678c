"""Keras recurrent weights → torch's fused RNN kernels (``torch.lstm``, ``torch.gru``,
``torch.rnn_tanh``, ``torch.rnn_relu``): the one place that knows both layouts.

Keras keeps ``kernel`` (input_dim, G*units), ``recurrent_kernel`` (units, G*units) and
gate blocks in the order i, f, c, o (LSTM) or z, r, h (GRU); torch wants
``(G*units, input_dim)`` matrices with gates i, f, g, o (LSTM, the same order) or
r, z, n (GRU). The translation is transposed views plus, for the GRU, one
concatenation of the weights per call: cheap next to the sequence.

Example:
    >>> import torch
    >>> gru_to_torch_order(torch.arange(6.0).reshape(1, 6), units=2)  # z, r, h → r, z, h
    tensor([[2., 3., 0., 1., 4., 5.]])
"""

from __future__ import annotations

import warnings

import torch


def gru_to_torch_order(weight: torch.Tensor, units: int) -> torch.Tensor:
    """Swap the first two gate blocks of the last axis (Keras z, r → torch r, z)."""
    z, r, h = weight.split(units, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def _params(
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    input_bias: torch.Tensor | None,
    recurrent_bias: torch.Tensor | None,
) -> list[torch.Tensor]:
    params = [kernel.t(), recurrent_kernel.t()]
    if input_bias is not None:
        if recurrent_bias is None:
            recurrent_bias = torch.zeros_like(input_bias)
        params += [input_bias, recurrent_bias]
    return params


def _run(
    op: str, sequences: torch.Tensor, hx: object, params: list[torch.Tensor]
) -> tuple[torch.Tensor, ...]:
    fn = getattr(torch, op)
    with warnings.catch_warnings():
        # On CUDA, cuDNN warns that the weights are not one flat buffer: they are
        # views of the Keras-layout weights, on purpose (one copy, no cache).
        warnings.filterwarnings("ignore", message=".*contiguous chunk of memory.*")
        result: tuple[torch.Tensor, ...] = fn(
            sequences, hx, params, len(params) == 4, 1, 0.0, False, False, True
        )
    return result


def lstm(
    sequences: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, T, I) → outputs (B, T, U), last h (B, U), last c (B, U)."""
    params = _params(kernel, recurrent_kernel, bias, None)
    outputs, h, c = _run("lstm", sequences, (h0[None], c0[None]), params)
    return outputs, h[0], c[0]


def gru(
    sequences: torch.Tensor,
    h0: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A ``reset_after=True`` GRU; ``bias`` is Keras' (2, 3U) (input row, recurrent
    row). (B, T, I) → outputs (B, T, U), last h (B, U)."""
    units = recurrent_kernel.shape[0]
    params = _params(
        gru_to_torch_order(kernel, units),
        gru_to_torch_order(recurrent_kernel, units),
        None if bias is None else gru_to_torch_order(bias[0], units),
        None if bias is None else gru_to_torch_order(bias[1], units),
    )
    outputs, h = _run("gru", sequences, h0[None], params)
    return outputs, h[0]


def simple_rnn(
    sequences: torch.Tensor,
    h0: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    nonlinearity: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``nonlinearity`` is ``"tanh"`` or ``"relu"``."""
    params = _params(kernel, recurrent_kernel, bias, None)
    outputs, h = _run(f"rnn_{nonlinearity}", sequences, h0[None], params)
    return outputs, h[0]
