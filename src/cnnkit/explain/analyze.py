"""``analyze(model)``: a per-layer table of shapes, weights, work and receptive field.

Each row is one call of a leaf layer, in execution order (a nested model's layers
appear under a path, ``inner/conv2d``; a layer called twice has two rows, its
weights counted on the first). Numbers are per sample.

Conventions:

- ``params``: every weight of the layer, trainable or not (``count_params()``;
  for plain torch modules, ``parameters()``). The total equals
  ``model.count_params()``.
- ``macs``: multiply-accumulates of convolutions (all kinds) and of Dense/Linear
  products; ``flops = 2 * macs``. Bias additions, activations, pooling,
  normalisation and merges count 0. These are exactly the numbers
  ``torch.utils.flop_counter.FlopCounterMode`` reports for a forward pass (it
  counts convolutions and matrix products only). A transposed convolution counts
  one kernel per input pixel, as FlopCounterMode does. A module no rule
  describes (a custom leaf) is measured with FlopCounterMode.
- ``activation_bytes``: the size of the layer's output for one sample.
- ``receptive_field``: per spatial axis of the model's input, how many input
  pixels one output unit can depend on (the theoretical field, not clipped at
  the borders, where part of it lies on padding). ``jump``: the distance in input
  pixels between neighbouring output units (the cumulative stride). After a
  transposed convolution or an upsampling the jump is a fraction of a pixel; the
  field is then that of the widest output unit, rounded up to whole pixels. Once
  the spatial axes are gone (``Flatten``, global pooling) the field is that of the
  whole map, clipped to the input, and ``jump`` is ``None``. Merges (``Add``,
  ``Concatenate``) take the widest field of their branches.

Example:
    >>> import cnnkit
    >>> from cnnkit import layers
    >>> model = cnnkit.Sequential([
    ...     layers.Input((28, 28, 1)),
    ...     layers.Conv2D(8, 3, activation="relu"),
    ...     layers.MaxPooling2D(),
    ...     layers.Flatten(),
    ...     layers.Dense(10),
    ... ])
    >>> table = analyze(model)
    >>> [row.receptive_field for row in table.rows]
    [(3, 3), (4, 4), (28, 28), (28, 28)]
    >>> table.total.params == model.count_params(), table.total.flops
    (True, 124384)
    >>> print(table)
    Layer (type)                  Output shape       Params    MACs    FLOPs   Output  RF     Jump
    ----------------------------  -----------------  ------  ------  -------  -------  -----  ----
    conv2d (Conv2D)               (None, 26, 26, 8)      80  48,672   97,344  21.1 KB  3x3    1x1
    max_pooling2d (MaxPooling2D)  (None, 13, 13, 8)       0       0        0   5.3 KB  4x4    2x2
    flatten (Flatten)             (None, 1352)            0       0        0   5.3 KB  28x28  -
    dense (Dense)                 (None, 10)         13,530  13,520   27,040     40 B  28x28  -
    ----------------------------  -----------------  ------  ------  -------  -------  -----  ----
    Total                                            13,610  62,192  124,384  31.7 KB  28x28  -
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError
from cnnkit.explain._fields import Field
from cnnkit.explain._recorder import Leaf, Recorded, record
from cnnkit.explain._table import render
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import format_shape

__all__ = ["Analysis", "LayerRow", "analyze"]

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class LayerRow:
    """One row of the table (one call of a leaf layer)."""

    name: str
    kind: str
    output_shape: Shape | None
    params: int
    macs: int
    flops: int
    activation_bytes: int
    receptive_field: tuple[int, ...] | None
    jump: tuple[float, ...] | None

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (tuples become lists), ready for ``json.dumps``."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()
        }


@dataclass(frozen=True)
class Analysis:
    """The table ``analyze`` returns: ``rows``, ``total``, ``str()`` prints it."""

    rows: list[LayerRow]
    input_shape: list[Shape]

    @property
    def total(self) -> LayerRow:
        """Sums of params, MACs, FLOPs and output bytes; the last row's field."""
        last = self.rows[-1] if self.rows else None
        return LayerRow(
            name="Total",
            kind="",
            output_shape=last.output_shape if last else None,
            params=sum(r.params for r in self.rows),
            macs=sum(r.macs for r in self.rows),
            flops=sum(r.flops for r in self.rows),
            activation_bytes=sum(r.activation_bytes for r in self.rows),
            receptive_field=last.receptive_field if last else None,
            jump=last.jump if last else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Rows, totals and input shape as plain Python values (for JSON, the web
        page and the report)."""
        return {
            "input_shape": [list(s) for s in self.input_shape],
            "rows": [row.to_dict() for row in self.rows],
            "total": self.total.to_dict(),
        }

    def __str__(self) -> str:
        return render(self.rows, self.total)

    def __repr__(self) -> str:
        return str(self)


def analyze(model: nn.Module, input_shape: Any = None) -> Analysis:
    """Per-layer output shape, weights, MACs/FLOPs, output size and receptive field.

    Args:
        model: A cnnkit model (Sequential, functional or subclassed; nested models
            are opened up) or any ``torch.nn.Module``.
        input_shape: The shape of a batch, batch axis included (``None`` allowed),
            or a list of them for several inputs: ``(None, 28, 28, 1)`` for a
            channels_last cnnkit model, ``(1, 3, 32, 32)`` (NCHW) for a torch
            module. Needed for torch modules and for cnnkit models that are not
            built yet (they are built with it, as ``model.build`` does).

    Returns:
        An ``Analysis``: ``.rows`` (``LayerRow``), ``.total``, ``.to_dict()``;
        ``print()`` shows the table. The conventions are in the module docstring.

    Raises:
        InvalidTypeError: ``model`` is not a ``torch.nn.Module``.
        NotBuiltError: No ``input_shape`` and the model has none of its own.
    """
    if not isinstance(model, nn.Module):
        raise InvalidTypeError(
            "analyze() takes a cnnkit model or a torch.nn.Module; received "
            f"{type(model).__name__}. Build the model first, e.g. "
            "`model = cnnkit.Sequential([...])`."
        )
    shapes = _input_shapes(model, input_shape)
    keras = isinstance(model, Layer)
    dtype = getattr(torch, config.floatx()) if keras else _torch_dtype(model)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    samples = [
        torch.zeros(tuple(1 if d is None else int(d) for d in s), dtype=dtype,
                    device=device)
        for s in shapes
    ]  # fmt: skip
    channels_last = _channels_last(model) if keras else False
    fields = [_input_field(s, channels_last, _spatial_rank(model, s)) for s in samples]
    run_input: Any = samples[0] if len(samples) == 1 else samples
    found, calls = record(
        model, _runner(model, run_input, keras), samples, fields, channels_last
    )
    rows = _rows(found, calls, keras)
    own = sum(p.numel() for p in model.parameters(recurse=False))
    if own:  # weights a subclassed model creates itself, outside any layer
        name = getattr(model, "name", type(model).__name__)
        rows.append(LayerRow(f"{name} (own weights)", type(model).__name__, None,
                             own, 0, 0, 0, None, None))  # fmt: skip
    return Analysis(rows, [tuple(s) for s in shapes])


def _input_shapes(model: nn.Module, input_shape: Any) -> list[Shape]:
    if input_shape is None:
        input_shape = getattr(model, "_build_input_shape", None)
        if input_shape is None or not getattr(model, "built", True):
            who = (
                f"{type(model).__name__} '{model.name}' is not built"
                if isinstance(model, Layer)
                else f"A torch module ({type(model).__name__}) has no input shape"
            )
            example = (
                "(None, 28, 28, 1)" if isinstance(model, Layer) else "(1, 3, 32, 32)"
            )
            raise NotBuiltError(
                f"analyze(): {who}, so the size of its layers is unknown. Pass the "
                f"shape of a batch, batch axis included: `analyze(model, "
                f"input_shape={example})`."
            )
    elif isinstance(model, Layer) and not model.built:
        model.build(input_shape)
    shapes = (
        [tuple(input_shape)]
        if all(d is None or isinstance(d, int) for d in input_shape)
        else [tuple(s) for s in input_shape]
    )
    for shape in shapes:
        if len(shape) < 2:
            raise InvalidArgumentError(
                f"analyze(): `input_shape` must include the batch axis, e.g. "
                f"(None, *{format_shape(shape)}); received input_shape={input_shape!r}."
            )
    return shapes


def _torch_dtype(model: nn.Module) -> torch.dtype:
    for tensor in model.parameters():
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


def _channels_last(model: nn.Module) -> bool:
    for module in model.modules():
        data_format = getattr(module, "data_format", None)
        if data_format in ("channels_last", "channels_first"):
            return bool(data_format == "channels_last")
    return config.image_data_format() == "channels_last"


def _spatial_rank(model: nn.Module, sample: torch.Tensor) -> int:
    """Spatial axes of the input: those of the first conv/pooling layer, else every
    axis between the batch and the channels (none for a flat vector)."""
    for module in model.modules():
        rank = getattr(module, "rank", None)
        if isinstance(rank, int) and sample.dim() == rank + 2:
            return rank
    return max(0, sample.dim() - 2)


def _input_field(sample: torch.Tensor, channels_last: bool, rank: int) -> Field:
    shape = tuple(sample.shape)
    if rank == 0:
        return Field.of_input(())
    sizes = shape[1:-1] if channels_last else shape[2:]
    return Field.of_input(sizes[:rank])


def _runner(model: nn.Module, inputs: Any, keras: bool) -> Any:
    def run() -> None:
        if keras:
            model(inputs, training=False)
            return
        # A torch module in train mode would update BatchNorm statistics.
        was_training = model.training
        model.eval()
        try:
            model(inputs)
        finally:
            model.train(was_training)

    return run


def _params(module: nn.Module) -> int:
    if isinstance(module, Layer) and module.built:
        return int(module.count_params())
    return sum(p.numel() for p in module.parameters())


def _rows(found: list[Leaf], calls: list[Recorded], keras: bool) -> list[LayerRow]:
    rows: list[LayerRow] = []
    counted: set[int] = set()
    seen: dict[int, int] = {}
    for recorded in calls:
        leaf, output = recorded.leaf, recorded.call.output
        calls_so_far = seen[id(leaf.module)] = seen.get(id(leaf.module), 0) + 1
        name = leaf.path if calls_so_far == 1 else f"{leaf.path} (call {calls_so_far})"
        first = id(leaf.module) not in counted
        counted.add(id(leaf.module))
        field = recorded.field
        rows.append(
            LayerRow(
                name=name,
                kind=type(leaf.module).__name__,
                output_shape=(None, *tuple(int(d) for d in output.shape[1:])),
                params=_params(leaf.module) if first else 0,
                macs=recorded.macs,
                flops=2 * recorded.macs,
                activation_bytes=output.numel() * output.element_size(),
                receptive_field=None if field is None else field.receptive_field,
                jump=None
                if field is None or field.jump is None
                else _round(field.jump),
            )
        )
    for leaf in found:  # never called (a branch the forward pass skipped)
        if id(leaf.module) not in counted:
            rows.append(LayerRow(leaf.path, type(leaf.module).__name__, None,
                                 _params(leaf.module), 0, 0, 0, None, None))  # fmt: skip
    return rows


def _round(values: tuple[float, ...]) -> tuple[float, ...]:
    """Integral jumps as ints (``2`` rather than ``2.0``); fractions kept."""
    return tuple(int(v) if math.isclose(v, round(v)) else v for v in values)
