"""Every layer class of ``cnnkit.layers`` gets a row from ``analyze``, or a reason.

Generated from the registry with the conformance table's arguments, so a new layer
class is covered (or must be given a reason in ``_rules.NO_ROW``) when exported.
Each row is checked against the layer itself (weights) and FlopCounterMode (work).
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import cnnkit
from cnnkit.explain import _rules, analyze
from conformance.layer_table import NOT_CALLED, TABLE, registry

CLASSES = sorted({cls.__name__: cls for cls in registry().values()}.items())


def test_every_layer_class_has_a_rule_or_a_reason() -> None:
    missing = [
        name
        for name, cls in CLASSES
        if name not in _rules.NO_ROW
        and name not in _rules.MEASURED
        and _rules.rule_for(cls) is _rules.UNKNOWN
    ]
    assert missing == []
    assert set(_rules.NO_ROW) <= {name for name, _ in CLASSES}
    # Left to the fallback on purpose: then they really have no rule.
    assert all(
        _rules.rule_for(cls) is _rules.UNKNOWN
        for name, cls in CLASSES
        if name in _rules.MEASURED
    )
    # Wrappers of other layers (RNN, Bidirectional) have no table arguments; their
    # rows are checked in their own tests (tests/layers/recurrent).
    assert [n for n, _ in CLASSES if n in NOT_CALLED and n not in _rules.NO_ROW] == [
        "IntegerLookup", "Lambda", "MultiHeadAttention", "RNN", "RandomHeight",
        "RandomWidth",
    ]  # fmt: skip


# The layers the conformance table cannot call (no Keras 3 twin to compare with), each
# built as a user would; RNN's rows are checked in tests/layers/recurrent.
UNTABLED = {
    "Lambda": (lambda: cnnkit.layers.Lambda(lambda x: x * 2.0), (6, 6, 3), "float32"),
    "RandomWidth": (lambda: cnnkit.layers.RandomWidth(0.2, seed=1), (6, 6, 3), "float32"),
    "RandomHeight": (lambda: cnnkit.layers.RandomHeight(0.2, seed=1), (6, 6, 3), "float32"),
    "IntegerLookup": (lambda: cnnkit.layers.IntegerLookup(vocabulary=[3, 5, 7]), (4,), "int64"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(UNTABLED))
def test_layers_outside_the_table_get_one_row(name: str) -> None:
    make, shape, dtype = UNTABLED[name]
    inputs = cnnkit.Input(shape, dtype=dtype)
    layer = make()
    model = cnnkit.Model(inputs, layer(inputs))
    table = analyze(model)
    assert [row.kind for row in table.rows] == [name]
    assert table.rows[0].params == layer.count_params()


@pytest.mark.parametrize(
    "name", [n for n, _ in CLASSES if n not in _rules.NO_ROW and n not in NOT_CALLED]
)
def test_each_layer_gets_one_row_matching_the_layer(name: str) -> None:
    cls, case = registry()[name], TABLE[name]
    inputs = [cnnkit.Input(shape[1:]) for shape in case.shapes]
    layer = cls(**case.kwargs)
    output = layer(inputs if case.multi_input else inputs[0])
    model = cnnkit.Model(inputs if case.multi_input else inputs[0], output)
    table = analyze(model)
    assert [row.kind for row in table.rows] == [name]
    row = table.rows[0]
    assert row.params == layer.count_params()
    assert row.output_shape == tuple(output.shape)
    assert row.receptive_field is not None
    samples = [torch.rand((1, *shape[1:])) for shape in case.shapes]
    if _rules.rule_for(cls).name == "recurrent":
        # FlopCounterMode does not see inside torch's fused LSTM kernel (aten::lstm
        # counts 0): measure the same layer run as a step loop instead.
        twin = cls(**{**case.kwargs, "unroll": True})
        twin_out = twin(inputs[0])
        model = cnnkit.Model(inputs[0], twin_out)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(samples if case.multi_input else samples[0], training=False)
    assert row.flops == counter.get_total_flops()
