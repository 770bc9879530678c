"""One forward pass with hooks on every leaf layer: what each call saw and made.

The model runs once on zeros, one sample, without autograd and in inference mode.
Each leaf layer (a layer the rule table describes, or a module without children)
gets a forward hook that reads its inputs and output; nothing is written on any
layer, and the hooks are removed before ``record`` returns, whatever happens.
Tensors are followed by identity: each output is stored with its receptive field,
so a layer fed by two branches finds both. A tensor made outside any layer (an
``x + y`` in a subclassed ``call``) is unknown; it takes the field of the last
tensor a layer produced, which is right for chains and residual sums.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnkit.explain._fields import Field
from cnnkit.explain._rules import UNKNOWN, Call, Rule, rule_for
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import InputLayer
from cnnkit.utils import tree

__all__ = ["Leaf", "Recorded", "leaves", "record"]


@dataclass(frozen=True)
class Leaf:
    path: str
    module: nn.Module


@dataclass
class Recorded:
    """One call of a leaf: the call, its rule, and the field of its output."""

    leaf: Leaf
    call: Call
    rule: Rule
    field: Field | None
    macs: int


@dataclass
class _State:
    channels_last: bool
    fields: dict[int, tuple[torch.Tensor, Field | None]] = field(default_factory=dict)
    last: Field | None = None
    calls: list[Recorded] = field(default_factory=list)
    measuring: bool = False


def _is_container(module: nn.Module) -> bool:
    return isinstance(module, nn.ModuleList | nn.ModuleDict) or (
        type(module) is nn.Sequential
    )


def leaves(root: nn.Module) -> list[Leaf]:
    """The modules that get a row, with their path (``outer/inner/conv2d``).

    cnnkit layers are named by their ``name`` (joined with ``/``, as Keras paths
    are); plain torch modules by their attribute (joined with ``.``, as
    ``named_modules`` does). A module the rule table describes is a leaf even if
    it has children; so is one that owns weights directly (its row holds them).
    """
    found: list[Leaf] = []

    def label(name: str, module: nn.Module) -> str:
        return module.name if isinstance(module, Layer) else name

    def visit(module: nn.Module, path: str, in_layer: bool) -> None:
        for name, child in module.named_children():
            if isinstance(child, InputLayer):
                continue  # never called: the analysis starts from its input
            if in_layer and _is_container(child):
                visit(child, path, in_layer)  # `_layer_list`: no name of its own
                continue
            sep = "/" if isinstance(child, Layer) or in_layer else "."
            child_path = (
                f"{path}{sep}{label(name, child)}" if path else label(name, child)
            )
            described = rule_for(type(child)) is not UNKNOWN
            owns = any(True for _ in child.parameters(recurse=False))
            if described or owns or not any(True for _ in child.children()):
                found.append(Leaf(child_path, child))
            else:
                visit(child, child_path, isinstance(child, Layer))

    visit(root, "", isinstance(root, Layer))
    return found


def _tensors(value: Any) -> list[torch.Tensor]:
    return [t for t in tree.flatten(value) if isinstance(t, torch.Tensor)]


def _measured_macs(module: nn.Module, args: Any, kwargs: Any) -> int:
    """MACs of a module no rule describes: run it again under FlopCounterMode."""
    with FlopCounterMode(display=False) as counter:
        module(*args, **kwargs)
    return int(counter.get_total_flops()) // 2


def _hook(state: _State, leaf: Leaf) -> Any:
    rule = rule_for(type(leaf.module))

    def hook(module: nn.Module, args: Any, kwargs: Any, output: Any) -> None:
        if state.measuring:
            return
        outputs = _tensors(output)
        if not outputs:
            return
        inputs = _tensors(args)
        known = [state.fields.get(id(t)) for t in inputs]
        fields = [k[1] if k is not None else state.last for k in known]
        channels_last = state.channels_last
        data_format = getattr(module, "data_format", None)
        if data_format in ("channels_last", "channels_first"):
            channels_last = data_format == "channels_last"
        call = Call(module, inputs, outputs[0], [f for f in fields if f is not None],
                    channels_last)  # fmt: skip
        result: Field | None = None
        if fields and all(f is not None for f in fields):
            result = _unknown_field(call) if rule is UNKNOWN else rule.field(call)
        macs = rule.macs(call)
        if rule is UNKNOWN:
            state.measuring = True
            try:
                macs = _measured_macs(module, args, kwargs)
            finally:
                state.measuring = False
        state.calls.append(Recorded(leaf, call, rule, result, macs))
        for tensor in outputs:
            # The tensor is kept with its field: a freed tensor's id could be reused.
            state.fields[id(tensor)] = (tensor, result)
        state.last = result

    return hook


def _unknown_field(call: Call) -> Field | None:
    """A layer nobody described keeps the field when it keeps the spatial sizes
    (an elementwise custom layer); otherwise its field is unknown."""
    before, after = (
        call.sizes(call.inputs[0]) if call.inputs else None,
        call.sizes(call.output),
    )
    if before is not None and before == after:
        return call.field.with_sizes(after)
    return None


@contextlib.contextmanager
def _hooked(root: nn.Module, state: _State) -> Iterator[list[Leaf]]:
    found = leaves(root)
    handles = [
        leaf.module.register_forward_hook(_hook(state, leaf), with_kwargs=True)
        for leaf in found
    ]
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()


def record(
    root: nn.Module,
    run: Any,
    inputs: list[torch.Tensor],
    input_fields: list[Field],
    channels_last: bool,
) -> tuple[list[Leaf], list[Recorded]]:
    """Run ``run()`` with every leaf of ``root`` hooked; the calls in order."""
    state = _State(channels_last)
    for tensor, input_field in zip(inputs, input_fields):
        state.fields[id(tensor)] = (tensor, input_field)
    state.last = input_fields[0] if input_fields else None
    with _hooked(root, state) as found, torch.no_grad():
        run()
    return found, state.calls
