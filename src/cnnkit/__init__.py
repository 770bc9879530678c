"""cnnkit: convolutional neural networks with the Keras 3 API, running on PyTorch."""

from __future__ import annotations

__version__ = "0.1.0"
