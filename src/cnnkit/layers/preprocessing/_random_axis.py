"""The shared part of ``RandomHeight`` and ``RandomWidth``: stretch one image axis.

Each training call draws one factor for the whole batch (a batch is one tensor, so
every image gets the same new size), as Keras does: the axis becomes
``int(size * (1 + U(lower, upper)))`` pixels (at least 1), resized with
``interpolation``. Inference returns the images unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from cnnkit.layers.preprocessing._image import BaseRandomLayer, Shape, factor_range
from cnnkit.layers.preprocessing._warp import resize
from cnnkit.utils.validation import check_choice

Interpolation = Literal["bilinear", "nearest", "bicubic", "area"]
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area")


class RandomAxisResize(BaseRandomLayer):
    """Resizes the ``axis`` ("height" or "width") by a random factor while training."""

    _axis: str = "height"

    def __init__(
        self,
        factor: float | tuple[float, float],
        interpolation: Interpolation = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        meaning = (
            f"The {self._axis} is scaled by 1 + a random amount in the range: "
            f"factor=0.2 gives a {self._axis} between 80% and 120% of the input's; "
            "values below -1 would give a negative size."
        )
        self.factor = factor
        self._range = factor_range(factor, "factor", (-1.0, float("inf")), meaning)
        self.interpolation = check_choice(
            interpolation, INTERPOLATIONS, "interpolation"
        )

    def _new_size(self, size: int) -> int:
        # Drawn on the CPU: the new size must be a Python int, and a CPU draw costs
        # no device synchronisation.
        lower, upper = self._range
        cpu = torch.device("cpu")
        scale = (
            1
            + lower
            + (upper - lower) * float(torch.rand((), generator=self._generator(cpu)))
        )
        return max(1, int(scale * size))

    def call(self, inputs: torch.Tensor, training: bool | None = True) -> torch.Tensor:
        images, single = self._to_nchw(self._float(inputs))  # (B, C, H, W) view
        if not self._augmenting(training):
            return self._from_nchw(images, single)
        height, width = images.shape[-2], images.shape[-1]
        if self._axis == "height":
            height = self._new_size(height)
        else:
            width = self._new_size(width)
        out = resize(images, height, width, self.interpolation)  # (B, C, H', W')
        return self._from_nchw(out, single)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        layout = self._layout_of_rank(len(input_shape))
        batch, (height, width), channels = layout.split(input_shape)
        if self._axis == "height":
            return layout.join(batch, (None, width), channels)
        return layout.join(batch, (height, None), channels)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
