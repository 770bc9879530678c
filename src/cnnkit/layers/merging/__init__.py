"""Merging layers: elementwise merges and Concatenate, with their functional forms."""

from cnnkit.layers.merging.base_merge import (
    Merge as Merge,
)  # base class, not in __all__
from cnnkit.layers.merging.concatenate import Concatenate, concatenate
from cnnkit.layers.merging.elementwise import (
    Add,
    Average,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    maximum,
    minimum,
    multiply,
    subtract,
)

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
