"""``InputSpec``: the rank / axis rules a layer states, checked before any maths runs.

Errors follow STYLE.md §4: the layer, the rule, the full shape received and a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cnnkit._layout import Layout, layout_of
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


def _image_layout(layer: Layer, ndim: int) -> Layout | None:
    """The layout of an image layer's ``ndim``-D input, ``None`` for other layers."""
    data_format = getattr(layer, "data_format", None)
    if ndim < 3 or data_format not in ("channels_last", "channels_first"):
        return None
    return layout_of(data_format, ndim - 2)


def _axis_fix(
    layer: Layer, layout: Layout | None, axis: int, want: int, got: int, ndim: int
) -> str:
    """How to fix an input whose fixed axis (channels, features) has the wrong size.

    ``layout`` is the image layout of the input when ``axis`` is its channel axis.
    """
    kind = type(layer).__name__
    if layout is None:
        return (
            f"{kind} '{layer.name}' was built for inputs of size {want} on axis {axis} "
            f"(its weights are sized for that) and received {got}: feed it inputs "
            f"of the size it was built with, or create a new {kind} layer."
        )
    where = f"axis={layout.channel_axis}"
    if ndim != 4:  # signals and volumes: no RGB or grayscale to convert
        convert = f"give it {want}-channel input"
    elif want == 1 and got in (3, 4):
        convert = (
            "convert RGB images to grayscale, e.g. "
            f"`x = x.mean({where}, keepdims=True)`"
        )
    elif want == 3 and got == 1:
        convert = f"repeat the gray channel, `x = np.repeat(x, 3, {where})`"
    else:
        convert = f"give it {want}-channel input"
    return (
        f"{kind} '{layer.name}' was built for {want} input channel(s) (its weights "
        f"are sized for that) and received {got}: {convert}, or create a new "
        f"{kind} layer for {got}-channel input."
    )


def check_input_spec(
    layer: Layer, spec: InputSpec | None, shape: Shape, index: int = 0
) -> None:
    """Raise a teaching ``IncompatibleShapeError`` if ``shape`` breaks ``spec``."""
    if spec is None:
        return
    ndim = len(shape)

    def fail(rule: str, expected_rank: int | None, fix: str | None = None) -> None:
        # The message is built only here: this check runs on every call of every
        # layer, and describing the layer costs more than the check itself.
        fix = fix or _rank_hint(layer, expected_rank or ndim, shape)
        raise IncompatibleShapeError(
            f"Input {index} of {describe_layer(layer)} is incompatible with the "
            f"layer: {rule}. Full shape received: {format_shape(shape)}. {fix}"
        )

    if spec.ndim is not None and ndim != spec.ndim:
        fail(f"expected ndim={spec.ndim}, found ndim={ndim}", spec.ndim)
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        fail(f"expected min_ndim={spec.min_ndim}, found ndim={ndim}", spec.min_ndim)
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        fail(f"expected max_ndim={spec.max_ndim}, found ndim={ndim}", spec.max_ndim)
    layout = _image_layout(layer, ndim)
    channel_axis = None if layout is None else layout.channel_axis % ndim
    if layout is not None and shape[layout.channel_axis] == 0:
        axis = layout.channel_axis  # as Keras writes it: -1 or 1
        empty = "x[..., 1:]" if axis == -1 else "x[:, 1:]"
        fail(
            f"axis {axis} (the channel axis, {layout.data_format}) has size 0",
            None,
            fix=(
                "An image needs at least one channel: check the slicing or loading "
                f"that made the input (e.g. `{empty}` of 1-channel images leaves 0 "
                "channels)."
            ),
        )
    for axis, value in spec.axes.items():
        actual = shape[axis] if -ndim <= axis < ndim else None
        if actual is not None and value is not None and actual != value:
            fail(
                f"expected axis {axis} of input shape to have value {value}, "
                f"but received input with shape {format_shape(shape)}",
                None,
                fix=_axis_fix(
                    layer,
                    layout if axis % ndim == channel_axis else None,
                    axis,
                    value,
                    actual,
                    ndim,
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
