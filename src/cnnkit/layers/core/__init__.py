"""Core layers: Dense, EinsumDense, Embedding, Flatten, Activation, Lambda (and the
Input machinery)."""

from cnnkit.layers.core.activation import Activation
from cnnkit.layers.core.dense import Dense
from cnnkit.layers.core.einsum_dense import EinsumDense
from cnnkit.layers.core.embedding import Embedding
from cnnkit.layers.core.flatten import Flatten
from cnnkit.layers.core.lambda_layer import Lambda

__all__ = ["Activation", "Dense", "EinsumDense", "Embedding", "Flatten", "Lambda"]
