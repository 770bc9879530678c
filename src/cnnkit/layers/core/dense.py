"""``Dense``: ``activation(inputs @ kernel + bias)`` on the last axis.

Example:
    >>> import torch
    >>> layer = Dense(4, activation="relu")
    >>> layer(torch.ones(2, 3)).shape
    torch.Size([2, 4])
    >>> layer.kernel.shape                      # Keras layout (in, out)
    torch.Size([3, 4])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations, constraints, initializers, regularizers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import check_positive_int, shape_error


class Dense(Layer):
    """Densely connected layer, applied to the last axis (no implicit flatten).

    Args:
        units: Size of the output's last axis.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Initializers (Keras ids or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Constraints applied after each update.
        quantization_config: Only ``None`` (Keras writes it in every Dense config;
            cnnkit has no quantized Dense).

    Input shape:
        ``(batch, ..., input_dim)``.

    Output shape:
        ``(batch, ..., units)``.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if quantization_config is not None:
            raise InvalidArgumentError(
                f"Dense got quantization_config={quantization_config!r}: cnnkit has no "
                "quantized Dense. Drop the argument (or set it to None) to load the "
                "model in float32."
            )
        self.units = check_positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise shape_error(
                self, input_shape, "the last axis must have a known size",
                "Give the Input a fixed feature size, e.g. Input((None, 64)).",
            )  # fmt: skip
        self.kernel = self.add_weight(
            (input_dim, self.units), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )  # fmt: skip
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,), self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )  # fmt: skip
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.use_bias:
            if inputs.dim() == 2:
                outputs = torch.addmm(self.bias, inputs, self.kernel)
            else:
                outputs = torch.matmul(inputs, self.kernel) + self.bias
        else:
            outputs = torch.matmul(inputs, self.kernel)
        return self._activate(outputs)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return (*tuple(input_shape[:-1]), self.units)

    def get_config(self) -> dict[str, Any]:
        # As in Keras 3: `activity_regularizer` only when set (Keras' base Layer
        # adds it), `quantization_config` always.
        extra = {}
        if self.activity_regularizer is not None:
            extra["activity_regularizer"] = regularizers.serialize(
                self.activity_regularizer
            )
        return {
            **super().get_config(),
            **extra,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
