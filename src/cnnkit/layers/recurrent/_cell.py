"""What SimpleRNNCell, LSTMCell and GRUCell share: arguments, weights, dropout masks.

A cell computes one time step. The RNN layer around it hands every step the same two
dropout masks (one for the inputs, one for the recurrent state, drawn once per
sequence, as Keras does), and the inputs already projected by ``kernel`` for all
steps at once: one big matmul instead of one per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from cnnkit import activations, constraints, initializers, regularizers
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.regularization._random import SeedStream, dropout
from cnnkit.utils.validation import check_positive_int, check_rate, shape_error

Masks = tuple[torch.Tensor | None, torch.Tensor | None]


def masked_product(
    x: torch.Tensor, mask: torch.Tensor | None, kernel: torch.Tensor
) -> torch.Tensor:
    """``(x * mask) @ kernel`` for a (B, [T,] D) ``x`` and a (D, G*U) kernel.

    ``mask`` is ``None``, one (B, D) mask for every gate, or (G, B, D): one mask per
    gate block of ``kernel`` (Keras' ``implementation=1``), shared by all steps.
    """
    if mask is None:
        return torch.matmul(x, kernel)
    if x.dim() == 3:  # (B, T, D): the same masks on every step
        mask = mask.unsqueeze(-2)
    if mask.dim() == x.dim():
        return torch.matmul(x * mask, kernel)
    blocks = kernel.chunk(mask.shape[0], dim=-1)  # G blocks of (D, U)
    return torch.cat([torch.matmul(x * m, k) for m, k in zip(mask, blocks)], dim=-1)


class RecurrentCell(Layer):
    """Base of the dense recurrent cells (not exported).

    Subclasses set ``_gates`` (how many blocks of ``units`` the kernels hold), write
    ``step`` and list their own config keys.
    """

    _gates: int = 1

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Keras clips the rates to [0, 1]; we refuse values outside instead.
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        self._seeds = SeedStream(seed)
        self.seed = seed
        # Keras' implementation=1: one mask per gate (subclasses with gates set it).
        self._per_gate_masks = False

    # ------------------------------------------------------------------ shapes

    @property
    def state_size(self) -> int | list[int]:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    @property
    def num_states(self) -> int:
        return 1

    def _bias_shape(self) -> tuple[int, ...]:
        return (self._gates * self.units,)

    def _bias_initial(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise shape_error(
                self, input_shape, "the feature axis (last) must have a known size",
                "Give the Input a fixed feature size, e.g. Input((None, 8)).",
            )  # fmt: skip
        width = self._gates * self.units
        self.kernel = self.add_weight(
            (input_dim, width), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )  # fmt: skip
        self.recurrent_kernel = self.add_weight(
            (self.units, width), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint, name="recurrent_kernel",
        )  # fmt: skip
        self.bias: torch.Tensor | None = (
            self.add_weight(
                self._bias_shape(), self._bias_initial(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )
            if self.use_bias
            else None
        )  # fmt: skip

    def compute_output_shape(self, input_shape: Any) -> Any:
        batch = input_shape[0]
        return (batch, self.units), [(batch, self.units)] * self.num_states

    # ------------------------------------------------------------------ maths

    def dropout_masks(
        self, batch: int, input_dim: int, reference: torch.Tensor, training: bool
    ) -> Masks:
        """The input and recurrent masks for one sequence (``None``: no dropout).

        As in Keras, a rate of 0 or 1 means no dropout, and outside training none.
        """

        count = self._gates if self._per_gate_masks else 1

        def draw(rate: float, width: int) -> torch.Tensor | None:
            if not training or not 0.0 < rate < 1.0:
                return None
            ones = reference.new_ones((count, batch, width))
            drawn = dropout(ones, rate, None, self._seeds.generator(reference.device))
            return drawn if count > 1 else drawn[0]  # (G, B, D) or (B, D)

        return draw(self.dropout, input_dim), draw(self.recurrent_dropout, self.units)

    def dropout_masks_for(self, sequences: torch.Tensor, training: bool) -> Masks:
        """The masks for a (B, T, features) sequence."""
        return self.dropout_masks(
            sequences.shape[0], sequences.shape[-1], sequences, training
        )

    def initial_states(self, sequences: torch.Tensor) -> list[torch.Tensor]:
        """Zero states for a (B, T, ...) sequence, on its device and dtype."""
        shape = (sequences.shape[0], self.units)
        return [sequences.new_zeros(shape) for _ in range(self.num_states)]

    def fused_sequence(
        self,
        sequences: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | None:
        """The whole (B, T, I) sequence through one torch kernel: ``(outputs,
        last states)``, or ``None`` when this configuration has no fused kernel."""
        return None

    def project_inputs(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> Any:
        """``inputs @ kernel (+ input bias)`` for every step at once: (B, [T,] G*U)."""
        projected = masked_product(inputs, mask, self.kernel)
        bias = self._input_bias()
        return projected if bias is None else projected + bias

    def _input_bias(self) -> torch.Tensor | None:
        return self.bias

    if TYPE_CHECKING:  # every concrete cell defines it

        def step(
            self,
            projected: torch.Tensor,
            states: list[torch.Tensor],
            recurrent_mask: torch.Tensor | None,
        ) -> list[torch.Tensor]:
            """One time step from projected inputs (B, G*U); returns the new
            states (the first one is the step's output)."""
            ...

    def advance(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One step as the RNN layer runs it: ``(output, new_states)``."""
        new = self.step(projected, states, recurrent_mask)
        return new[0], new

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool = False
    ) -> tuple[torch.Tensor, Any]:
        """One step on ``inputs`` (B, features): ``(output, new_states)``."""
        nested = isinstance(states, list | tuple)
        state_list = list(states) if nested else [states]
        state_list = [
            torch.as_tensor(s, dtype=inputs.dtype, device=inputs.device)
            for s in state_list
        ]
        input_mask, recurrent_mask = self.dropout_masks(
            inputs.shape[0], inputs.shape[-1], inputs, training
        )
        new = self.step(
            self.project_inputs(inputs, input_mask), state_list, recurrent_mask
        )
        return new[0], (new if nested else new[0])

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        dtype = getattr(torch, self.dtype)
        device = self._device()
        return [
            torch.zeros((batch_size or 1, self.units), dtype=dtype, device=device)
            for _ in range(self.num_states)
        ]

    # ------------------------------------------------------------------ config

    def _common_config(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
        }

    def _initializer_config(self) -> dict[str, Any]:
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def _penalty_config(self) -> dict[str, Any]:
        return {
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def _dropout_config(self) -> dict[str, Any]:
        return {"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout}
