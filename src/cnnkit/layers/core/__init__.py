"""Core layers: Dense, Flatten, Activation (and the Input machinery)."""

from cnnkit.layers.core.activation import Activation
from cnnkit.layers.core.dense import Dense
from cnnkit.layers.core.flatten import Flatten

__all__ = ["Activation", "Dense", "Flatten"]
