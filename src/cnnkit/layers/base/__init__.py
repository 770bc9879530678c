"""The layer contract: Layer, InputSpec, Variable, KerasTensor."""

from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.base.variable import Variable

__all__ = ["InputSpec", "KerasTensor", "Layer", "Variable"]
