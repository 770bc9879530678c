"""``plot_model`` and ``model_to_dot``: draw a model's layer graph with Graphviz.

cnnkit writes the DOT text itself (no pydot): one box per layer, in Keras' style
(an HTML-like table with the name, class, shapes, dtype, activation and trainable
flag as asked), an edge per connection, and a dashed cluster for each nested model
with ``expand_nested=True``. A subclassed model, whose graph lives in Python code,
is one box, as in Keras. Rendering to ``.png``/``.svg``/``.pdf`` runs Graphviz's
``dot`` program (``apt-get install graphviz``); ``.dot`` files need nothing.

Models are read through their public graph (``layers``, each layer's inbound nodes)
without importing the model classes, so this module sits below them.

Example:
    >>> import cnnkit
    >>> from cnnkit import layers
    >>> model = cnnkit.Sequential([cnnkit.Input((4,)), layers.Dense(2, name="out")])
    >>> dot = model_to_dot(model, show_shapes=True)
    >>> dot.startswith("digraph"), "Output shape: <b>(None, 2)</b>" in dot
    (True, True)
"""

from __future__ import annotations

import html
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from cnnkit.errors import InvalidArgumentError, MissingDependencyError, NotBuiltError

__all__ = ["model_to_dot", "plot_model"]

FORMATS = ("png", "svg", "pdf", "dot")
RANKDIRS = ("TB", "LR", "BT", "RL")
_RENDER_TIMEOUT_S = 120


def _is_graph_model(layer: Any) -> bool:
    return hasattr(layer, "_nodes") and hasattr(layer, "_flat_outputs")


def _is_sequential(layer: Any) -> bool:
    return any(c.__name__ == "Sequential" for c in type(layer).__mro__)


def _is_nested_model(layer: Any) -> bool:
    return _is_graph_model(layer) or _is_sequential(layer)


def _model_layers(model: Any) -> list[Any]:
    """Layers to draw, in graph order (a functional model includes its inputs)."""
    if _is_graph_model(model):
        seen: list[Any] = []
        for node in model._nodes:
            if not any(node.layer is s for s in seen):
                seen.append(node.layer)
        return seen
    return list(model.layers)


def _edges(model: Any) -> list[tuple[Any, Any]]:
    """``(producer, consumer)`` layer pairs of ``model``'s own graph."""
    if not _is_graph_model(model):
        chain = list(model.layers)
        return list(itertools.pairwise(chain))
    edges = []
    for node in model._nodes:
        for tensor in node.input_tensors:
            history = tensor._keras_history
            if history is not None:
                edges.append((history[0], node.layer))
    return edges


def _entries(layer: Any, expand: bool) -> list[Any]:
    """The boxes an edge *into* ``layer`` ends at (inside it when expanded)."""
    if not (expand and _is_nested_model(layer)):
        return [layer]
    if _is_graph_model(layer):
        firsts = [t._keras_history[0] for t in layer._flat_inputs]
    else:
        firsts = layer.layers[:1]
    return [box for first in firsts for box in _entries(first, expand)]


def _exits(layer: Any, expand: bool) -> list[Any]:
    """The boxes an edge *out of* ``layer`` starts at."""
    if not (expand and _is_nested_model(layer)):
        return [layer]
    if _is_graph_model(layer):
        lasts = [t._keras_history[0] for t in layer._flat_outputs]
    else:
        lasts = layer.layers[-1:]
    return [box for last in lasts for box in _exits(last, expand)]


def _shape_text(value: Any, attr: str) -> str:
    """A layer's input/output shape(s) as Keras prints them, or ``?``."""
    try:
        tensors = getattr(value, attr)
    except Exception:  # never called symbolically: fall back to build shapes
        try:
            shape = getattr(value, f"{attr}_shape")
        except Exception:
            return "?"
        return str(tuple(shape)) if shape is not None else "?"
    if isinstance(tensors, list | tuple):
        return "[" + ", ".join(str(tuple(t.shape)) for t in tensors) + "]"
    return str(tuple(tensors.shape))


def _dtype_text(layer: Any) -> str:
    try:
        output = layer.output
    except Exception:
        return str(getattr(layer, "dtype", "?"))
    first = output[0] if isinstance(output, list | tuple) else output
    return str(getattr(first, "dtype", "?"))


def _activation_name(layer: Any) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None or not callable(activation):
        return None
    return str(getattr(activation, "__name__", type(activation).__name__))


def _label(layer: Any, options: dict[str, bool]) -> str:
    """Keras' HTML-like table for one layer."""
    class_name = type(layer).__name__
    cols: list[str] = []
    cell = '<td bgcolor="white"><font point-size="14">{}: <b>{}</b></font></td>'
    if options["show_shapes"]:
        if class_name != "InputLayer":
            cols.append(cell.format("Input shape", _shape_text(layer, "input")))
        cols.append(cell.format("Output shape", _shape_text(layer, "output")))
    if options["show_dtype"]:
        cols.append(cell.format("Output dtype", html.escape(_dtype_text(layer))))
    if options["show_trainable"] and list(layer.parameters()):
        colour, text = (
            ("forestgreen", "Trainable")
            if layer.trainable
            else ("firebrick", "Non-trainable")
        )
        cols.append(
            f'<td bgcolor="{colour}"><font point-size="14" color="white">'
            f"<b>{text}</b></font></td>"
        )
    span = max(1, len(cols))
    title = (
        f"<b>{html.escape(layer.name)}</b> ({class_name})"
        if options["show_layer_names"]
        else f"<b>{class_name}</b>"
    )
    rows = [
        f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" '
        f'color="white">{title}</font></td></tr>'
    ]
    activation = _activation_name(layer) if options["show_layer_activations"] else None
    if activation is not None:
        rows.append(
            f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
            f"Activation: <b>{html.escape(activation)}</b></font></td></tr>"
        )
    if cols:
        rows.append(f"<tr>{''.join(cols)}</tr>")
    table = '<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return f"<{table}{''.join(rows)}</table>>"


def _node_id(layer: Any) -> str:
    return f"layer_{id(layer)}"


def _body(model: Any, options: dict[str, bool], expand: bool, indent: str) -> list[str]:
    """Boxes and edges of ``model`` (clusters for nested models when expanded)."""
    lines: list[str] = []
    for layer in _model_layers(model):
        if expand and _is_nested_model(layer):
            lines.append(f"{indent}subgraph cluster_{id(layer)} {{")
            inner = indent + "  "
            lines.append(f'{inner}label="{_dot_escape(layer.name)}";')
            lines.append(f'{inner}labeljust="l"; style="dashed";')
            lines += _body(layer, options, expand, inner)
            lines.append(f"{indent}}}")
        else:
            lines.append(
                f"{indent}{_node_id(layer)} [label={_label(layer, options)}, "
                'fontname="Helvetica", margin="0", shape="plaintext"];'
            )
    for producer, consumer in _edges(model):
        for start in _exits(producer, expand):
            for end in _entries(consumer, expand):
                lines.append(f"{indent}{_node_id(start)} -> {_node_id(end)};")
    return lines


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> str:
    """The Graphviz DOT text of ``model``'s layer graph.

    Unlike Keras, which returns a ``pydot.Dot`` object, this returns the DOT text
    itself (a ``str``): write it to a ``.dot`` file or pass it to ``dot``.

    Args:
        model: A built Sequential, functional or subclassed model.
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's output dtype.
        show_layer_names: Show layer names (else only class names).
        rankdir: ``"TB"`` (top to bottom), ``"LR"``, ``"BT"`` or ``"RL"``.
        expand_nested: Draw nested models as dashed clusters of their layers.
        dpi: Resolution of rendered images.
        subgraph: Return only the boxes and edges (no ``digraph`` wrapper).
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Mark layers with weights as trainable or not.
        splines: Graphviz edge style (``"ortho"``, ``"spline"``, ``"line"``...).

    Raises:
        NotBuiltError: If the model is not built yet.
        InvalidArgumentError: If ``rankdir`` is not one of the four directions.
    """
    if not getattr(model, "built", False):
        raise NotBuiltError(
            f"Model '{getattr(model, 'name', model)}' has not been built yet, so it "
            "has no layer graph to draw. Build it first: give it an input shape "
            "(`keras.Input(shape=...)` as first layer), call `model.build(shape)`, "
            "or call it on a batch of data."
        )
    if rankdir not in RANKDIRS:
        raise InvalidArgumentError(
            f"`rankdir` must be one of {list(RANKDIRS)}; received rankdir={rankdir!r}."
        )
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    if _is_nested_model(model):
        body = _body(model, options, expand_nested, "  ")
    else:  # subclassed: its graph is Python code, so one box (as Keras draws it)
        body = [
            f"  {_node_id(model)} [label={_label(model, options)}, "
            'fontname="Helvetica", margin="0", shape="plaintext"];'
        ]
    if subgraph:
        return "\n".join(body)
    header = [
        "digraph G {",
        f'  graph [rankdir="{rankdir}", concentrate=true, dpi={int(dpi)}, '
        f'splines="{_dot_escape(splines)}"];',
        '  node [shape="record"];',
    ]
    return "\n".join([*header, *body, "}"]) + "\n"


def _format_of(path: Path) -> str:
    fmt = path.suffix[1:].lower() or "png"
    if fmt not in FORMATS:
        raise InvalidArgumentError(
            f"plot_model cannot write {str(path)!r}: the extension must be one of "
            f"{['.' + f for f in FORMATS]} (received {path.suffix!r}). Use e.g. "
            "to_file='model.png'."
        )
    return fmt


def _render(dot_text: str, fmt: str, target: Path) -> bytes:
    """Run Graphviz's ``dot`` (no shell, with a timeout) and return the image."""
    binary = shutil.which("dot")
    if binary is None:
        raise MissingDependencyError(
            f"plot_model needs Graphviz's `dot` program to write a .{fmt} file, and "
            "it is not on the PATH. Install Graphviz (Debian/Ubuntu: `apt-get "
            "install graphviz`; macOS: `brew install graphviz`), or write the "
            "graph as text with to_file='model.dot'. pydot is not needed."
        )
    try:
        done = subprocess.run(
            [binary, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=_RENDER_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InvalidArgumentError(
            f"Graphviz took more than {_RENDER_TIMEOUT_S} s to draw {str(target)!r}; "
            "try expand_nested=False or write to_file='model.dot'."
        ) from None
    if done.returncode != 0:
        raise InvalidArgumentError(
            f"Graphviz's `dot` failed to draw {str(target)!r} (exit "
            f"{done.returncode}): {done.stderr.decode(errors='replace').strip()}"
        )
    return done.stdout


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def plot_model(
    model: Any,
    to_file: str | os.PathLike[str] = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> None:
    """Draw ``model`` into ``to_file`` (``.png``, ``.svg``, ``.pdf`` or ``.dot``).

    The arguments are Keras 3's (``show_layer_names`` defaults to False there
    too); see :func:`model_to_dot`. The file is written atomically.

    Raises:
        MissingDependencyError: If an image is asked for and Graphviz's ``dot``
            program is not installed (``apt-get install graphviz``).
        InvalidArgumentError: If the extension is not a supported format.
        NotBuiltError: If the model is not built yet.
    """
    target = Path(to_file)
    fmt = _format_of(target)
    dot_text = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    data = dot_text.encode("utf-8") if fmt == "dot" else _render(dot_text, fmt, target)
    _write_atomically(target, data)
