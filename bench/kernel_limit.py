"""The kernel-bound limit of a workload: its convolutions alone, on the same shapes.

``record_convs`` runs one forward pass of a model under a dispatch mode and keeps
every ``aten.convolution`` call as cnnkit issued it (input and weight shapes,
strides, padding, dilation, groups; 1-D convs appear as the 2-D height-1 convs cnnkit
runs). ``conv_flops_per_second`` replays those shapes alone, on fresh channels_last
tensors, forward (+ backward for training) and measures the FLOP rate oneDNN
reaches on them. ``limit = rate / FLOPs per sample`` is what the workload would
reach if everything but its convolutions were free.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode


@dataclass(frozen=True)
class ConvCall:
    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    has_bias: bool
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    transposed: bool
    output_padding: tuple[int, ...]
    groups: int
    output_numel: int
    dtype: torch.dtype

    @property
    def flops(self) -> int:
        """Forward FLOPs: 2 per multiply-add (transposed: per input position)."""
        if self.transposed:
            per_input = self.weight_shape[1] * math.prod(self.weight_shape[2:])
            return 2 * math.prod(self.input_shape) * per_input
        per_output = self.weight_shape[1] * math.prod(self.weight_shape[2:])
        return 2 * self.output_numel * per_output


class _Recorder(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[ConvCall] = []

    def __torch_dispatch__(
        self, func: Any, types: Any, args: Any = (), kwargs: Any = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        if func is torch.ops.aten.convolution.default:
            x, w, b, stride, padding, dilation, transposed, out_pad, groups = args
            self.calls.append(ConvCall(
                tuple(x.shape), tuple(w.shape), b is not None, tuple(stride),
                tuple(padding), tuple(dilation), bool(transposed), tuple(out_pad),
                int(groups), out.numel(), x.dtype,
            ))  # fmt: skip
        return out


def record_convs(forward: Callable[[], Any], bfloat16: bool = False) -> list[ConvCall]:
    """The convolutions of ``forward()``, under bf16 autocast for mixed precision."""
    recorder = _Recorder()
    autocast = torch.autocast("cpu", torch.bfloat16, enabled=bfloat16)
    with torch.no_grad(), autocast, recorder:
        forward()
    return recorder.calls


def _memory_format(rank: int) -> torch.memory_format:
    return torch.channels_last_3d if rank == 5 else torch.channels_last


def _replay(call: ConvCall, train: bool, input_grad: bool) -> Callable[[], None]:
    fmt = _memory_format(len(call.input_shape))
    x = torch.rand(call.input_shape, dtype=call.dtype).contiguous(memory_format=fmt)
    w = torch.rand(call.weight_shape, dtype=call.dtype).contiguous(memory_format=fmt)
    b = torch.rand(call.weight_shape[1 if call.transposed else 0], dtype=call.dtype)
    if train:
        w.requires_grad_(True)
        b.requires_grad_(True)
        x.requires_grad_(input_grad)

    def step() -> None:
        y = torch.ops.aten.convolution(
            x, w, b if call.has_bias else None, call.stride, call.padding,
            call.dilation, call.transposed, call.output_padding, call.groups,
        )  # fmt: skip
        if train:
            y.backward(torch.ones_like(y))
            x.grad = w.grad = b.grad = None

    return step


def conv_flops_per_second(
    calls: list[ConvCall], train: bool, rounds: int = 7, iters: int = 3
) -> float:
    """FLOP/s of the convolutions run alone (training counts forward + 2× backward,
    though the first one's backward skips the input gradient: the rate is a slight
    overestimate there, so the limit is too, never flattering cnnkit)."""
    if not calls:
        return math.nan
    # The first convolution reads the model's input, which needs no gradient: its
    # backward computes the weight gradient only, as in training.
    steps = [_replay(call, train, index > 0) for index, call in enumerate(calls)]
    with torch.set_grad_enabled(train):
        for step in steps:  # warm-up: oneDNN picks and caches its primitives
            step()
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(iters):
                for step in steps:
                    step()
            times.append((time.perf_counter() - start) / iters)
    flops = sum(call.flops for call in calls) * (3 if train else 1)
    return flops / statistics.median(times)
