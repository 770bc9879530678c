"""The seed tutorial's CNN twice: in cnnkit, and hand-written in plain torch.nn.

The plain model is what a PyTorch user would write for the same architecture (NCHW
input, ``nn.Conv2d``/``nn.MaxPool2d``/``nn.Linear``); ``copy_weights`` gives it
cnnkit's weights so both compute the same function.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnkit import zoo


def cnnkit_seed() -> torch.nn.Module:
    return zoo.seed_cnn()


class PlainSeed(nn.Module):
    """Conv(32,5)-ReLU-Pool-Conv(64,5)-ReLU-Pool-Flatten-Linear(10), logits out."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5)
        self.conv2 = nn.Conv2d(32, 64, 5)
        self.fc = nn.Linear(1024, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 1, 28, 28)
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def copy_weights(source: torch.nn.Module, target: PlainSeed) -> None:
    """cnnkit (Keras layouts, HWC flatten order) → plain torch (NCHW, CHW flatten)."""
    conv1, _, conv2, _, _, dense = source.layers
    with torch.no_grad():
        target.conv1.weight.copy_(conv1.kernel.permute(3, 2, 0, 1))
        target.conv1.bias.copy_(conv1.bias)
        target.conv2.weight.copy_(conv2.kernel.permute(3, 2, 0, 1))
        target.conv2.bias.copy_(conv2.bias)
        # Dense rows are in (h, w, c) order; torch flattens (c, h, w).
        kernel = (
            dense.kernel.reshape(4, 4, 64, 10).permute(2, 0, 1, 3).reshape(1024, 10)
        )
        target.fc.weight.copy_(kernel.T)
        target.fc.bias.copy_(dense.bias)
