"""``InputSpec``: the rank / axis rules a layer states, checked before any maths runs.

Errors follow STYLE.md §4: the layer, the rule, the full shape received and a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cnnkit.errors import IncompatibleShapeError
from cnnkit.utils.validation import describe_layer, format_shape

if TYPE_CHECKING:
    from cnnkit.layers.base.layer import Layer

Shape = tuple[int | None, ...]


class InputSpec:
    """What a layer accepts: ``ndim``/``min_ndim``/``max_ndim`` and fixed ``axes``."""

    def __init__(
        self,
        dtype: str | None = None,
        shape: Sequence[int | None] | None = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
    ) -> None:
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name

    def __repr__(self) -> str:
        parts = [
            f"{key}={value}"
            for key, value in (
                ("ndim", self.ndim), ("min_ndim", self.min_ndim),
                ("max_ndim", self.max_ndim), ("axes", self.axes or None),
            )
            if value is not None
        ]  # fmt: skip
        return f"InputSpec({', '.join(parts)})"


def _rank_hint(layer: Layer, expected: int, shape: Shape) -> str:
    """A concrete next step for the most common rank mistakes (KERAS_SPEC §8 #1)."""
    found = len(shape)
    hint = getattr(layer, "_rank_hint", None)
    if callable(hint):
        specific = hint(expected, shape)
        if specific:
            return str(specific)
    if found == expected - 1:
        with_channel = format_shape((*shape[1:], 1)).replace("None", "-1")
        return (
            "The input is missing an axis. For single-channel images add the channel "
            f"axis, e.g. `x = x.reshape((-1, *{with_channel}))` or `x = x[..., None]`; "
            "for a single sample add the batch axis with `x[None]`."
        )
    if found > expected:
        return "Remove extra axes (e.g. with Flatten or Reshape) before this layer."
    return "Reshape the input to the expected rank before this layer."


def check_input_spec(
    layer: Layer, spec: InputSpec | None, shape: Shape, index: int = 0
) -> None:
    """Raise a teaching ``IncompatibleShapeError`` if ``shape`` breaks ``spec``."""
    if spec is None:
        return
    ndim = len(shape)
    who = describe_layer(layer)
    received = f"Full shape received: {format_shape(shape)}."

    def fail(rule: str, expected_rank: int | None, fix: str | None = None) -> None:
        fix = fix or _rank_hint(layer, expected_rank or ndim, shape)
        raise IncompatibleShapeError(
            f"Input {index} of {who} is incompatible with the layer: {rule}. "
            f"{received} {fix}"
        )

    if spec.ndim is not None and ndim != spec.ndim:
        fail(f"expected ndim={spec.ndim}, found ndim={ndim}", spec.ndim)
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        fail(f"expected min_ndim={spec.min_ndim}, found ndim={ndim}", spec.min_ndim)
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        fail(f"expected max_ndim={spec.max_ndim}, found ndim={ndim}", spec.max_ndim)
    for axis, value in spec.axes.items():
        actual = shape[axis] if -ndim <= axis < ndim else None
        if actual is not None and value is not None and actual != value:
            fail(
                f"expected axis {axis} of input shape to have value {value}, "
                f"but received input with shape {format_shape(shape)}",
                None,
                fix=(
                    "The layer was built for a different number of channels/features; "
                    "feed it inputs of the size it was built with, or create a new layer."
                ),
            )
    if spec.shape is not None:
        for i, (want, got) in enumerate(zip(spec.shape, shape)):
            if want is not None and got is not None and want != got:
                fail(
                    f"expected shape={format_shape(spec.shape)}, found "
                    f"shape={format_shape(shape)} (axis {i} differs)",
                    None,
                    fix="Resize or reshape the input to the expected shape.",
                )


def check_input_specs(layer: Layer, specs: Any, shapes: Any) -> None:
    """Check one spec against one shape, or a list of specs against a list of shapes."""
    if specs is None:
        return
    if isinstance(specs, InputSpec):
        if isinstance(shapes, list):
            for i, shape in enumerate(shapes):
                check_input_spec(layer, specs, tuple(shape), i)
        else:
            check_input_spec(layer, specs, tuple(shapes))
        return
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        check_input_spec(layer, spec, tuple(shape), i)
