"""``model.summary()`` in Keras 3's format (KERAS_SPEC §2.4), rendered with rich.

Sequential-like models get 3 columns (88 wide); DAGs get a 4th, "Connected to" (108
wide). Both shrink to the terminal width minus 4.
"""

from __future__ import annotations

import math
import re
import shutil
from typing import Any, cast

from rich import box
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Column, Table

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.models.graph import GraphNetwork
from cnnkit.utils.validation import format_shape

_DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int64": 8,
                "int32": 4, "uint8": 1, "int8": 1, "bool": 1}  # fmt: skip


def readable_memory_size(num_bytes: float) -> str:
    """``512.00 B``, ``136.54 KB``: powers of 1024, two decimals.

    Example:
        >>> readable_memory_size(249384)
        '243.54 KB'
    """
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num_bytes / 1024 < 1:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} PB"


def _count_and_bytes(tensors: list[Any]) -> tuple[int, int]:
    unique = {id(t): t for t in tensors}.values()
    count = sum(math.prod(tuple(t.shape)) for t in unique)
    size = sum(
        math.prod(tuple(t.shape))
        * _DTYPE_BYTES.get(str(t.dtype).removeprefix("torch."), 4)
        for t in unique
    )
    return int(count), int(size)


def _is_sequential_like(model: Any) -> bool:
    if not isinstance(model, GraphNetwork):
        return True
    for node in model._nodes:
        if len(node.input_tensors) > 1:
            return False
    layers_seen: set[int] = set()
    for node in model._nodes:
        if id(node.layer) in layers_seen:
            return False
        layers_seen.add(id(node.layer))
    # A chain: every node but the first consumes exactly the previous one.
    for previous, node in zip(model._nodes, model._nodes[1:]):
        if node.parent_nodes != [previous]:
            return False
    return True


def _output_shape_text(layer: Layer, model: Any) -> str:
    nodes = [n for n in layer._inbound_nodes if _node_in_model(n, model)]
    if not nodes and not layer.built:
        return "?"
    try:
        if nodes:
            outputs = nodes[-1].output_tensors
            shapes = [t.shape for t in outputs]
        else:
            shapes = [layer.compute_output_shape(layer._build_input_shape)]
    except Exception:  # a custom layer that cannot say: show what Keras shows
        return "?"
    if len(shapes) == 1:
        return format_shape(shapes[0])
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


def _node_in_model(node: Any, model: Any) -> bool:
    nodes = getattr(model, "_nodes", None)
    if nodes is not None:
        return any(node is n for n in nodes)
    return True


def _connections(layer: Layer, model: Any) -> str:
    parts = []
    for node in layer._inbound_nodes:
        if not _node_in_model(node, model):
            continue
        for tensor in node.input_tensors:
            producer, node_index, tensor_index = tensor._keras_history  # type: ignore[misc]
            parts.append(f"{producer.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"


def _select_range(layers: list[Layer], layer_range: Any) -> list[Layer]:
    if layer_range is None:
        return layers
    if len(layer_range) != 2 or not all(isinstance(n, str) for n in layer_range):
        raise InvalidArgumentError(
            "`layer_range` must be a list or tuple of two layer names (or regexes); "
            f"received layer_range={layer_range!r}."
        )
    first = [
        i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)
    ]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        raise InvalidArgumentError(
            f"`layer_range` {layer_range!r} matches no layer. Layers: "
            f"{[layer.name for layer in layers]}."
        )
    return layers[first[0] : last[-1] + 1]


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: list[float] | None = None,
    print_fn: Any = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> None:
    """Print (or pass to ``print_fn``) the summary table of ``model``."""
    sequential_like = _is_sequential_like(model)
    layers = model.layers
    justify: list[JustifyMethod]
    if sequential_like:
        default_width, positions = 88, positions or [0.45, 0.80, 1.0]
        header, justify = (
            ["Layer (type)", "Output Shape", "Param #"],
            ["left", "left", "right"],
        )
    else:
        default_width, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    if show_trainable:
        default_width += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        justify.append("center")
    width = line_length or min(default_width, shutil.get_terminal_size().columns - 4)
    widths, current = [], 0
    for position in positions:
        column = int(position * width) - current
        if column < 4:
            raise InvalidArgumentError(
                f"`line_length={width}` is too narrow to print the summary; use 60 or more."
            )
        widths.append(column)
        current += column
    columns = [
        Column(h, justify=j, width=w) for h, j, w in zip(header, justify, widths)
    ]
    table = Table(*columns, width=width, show_lines=True, box=box.HEAVY_HEAD)

    def rows_for(layer: Layer, level: int) -> list[list[str]]:
        prefix = ("   " * level + "└ ") if level else ""
        name = f"{prefix}{escape(layer.name)} ({escape(type(layer).__name__)})"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        fields = [name, _output_shape_text(layer, model), params]
        if not sequential_like:
            fields.append(_connections(layer, model))
        if show_trainable:
            fields.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows = [fields]
        if expand_nested and hasattr(layer, "layers"):
            # Only nested models get here; torch types the attribute as Tensor | Module.
            for inner in cast("list[Layer]", layer.layers):
                rows.extend(rows_for(inner, level + 1))
        return rows

    for layer in _select_range(layers, layer_range):
        for row in rows_for(layer, 0):
            table.add_row(*row)

    trainable, trainable_bytes = _count_and_bytes(
        [v.value for v in model.trainable_weights]
    )
    frozen, frozen_bytes = _count_and_bytes(
        [v.value for v in model.non_trainable_weights]
    )
    optimizer = getattr(model, "optimizer", None)
    optimizer_vars = (
        list(optimizer.variables)
        if optimizer is not None and getattr(optimizer, "built", False)
        else []
    )
    opt_count, opt_bytes = _count_and_bytes(optimizer_vars)
    total, total_bytes = (
        trainable + frozen + opt_count,
        trainable_bytes + frozen_bytes + opt_bytes,
    )

    console = (
        Console(highlight=False, force_terminal=False, color_system=None)
        if print_fn
        else Console(highlight=False)
    )
    if print_fn:
        console.begin_capture()
    console.print(f'[bold]Model: "{escape(model.name)}"[/]')
    console.print(table)
    console.print(
        f"[bold] Total params: [/]{total:,} ({readable_memory_size(total_bytes)})"
    )
    console.print(
        f"[bold] Trainable params: [/]{trainable:,} ({readable_memory_size(trainable_bytes)})"
    )
    console.print(
        f"[bold] Non-trainable params: [/]{frozen:,} ({readable_memory_size(frozen_bytes)})"
    )
    if optimizer_vars:
        console.print(
            f"[bold] Optimizer params: [/]{opt_count:,} ({readable_memory_size(opt_bytes)})"
        )
    if print_fn:
        print_fn(console.end_capture())
