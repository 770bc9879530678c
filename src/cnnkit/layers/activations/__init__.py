"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax.

(``Activation``, the layer that takes an activation by name, lives in ``core``.)
"""

from cnnkit.layers.activations.elu import ELU
from cnnkit.layers.activations.leaky_relu import LeakyReLU
from cnnkit.layers.activations.prelu import PReLU
from cnnkit.layers.activations.relu import ReLU
from cnnkit.layers.activations.softmax import Softmax

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
