"""``explain.analyze``: FLOPs against FlopCounterMode, receptive fields against the
gradient, parameters against ``count_params`` and Keras' summary."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import torch
from torch import nn

import cnnkit
from cnnkit import layers
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError
from cnnkit.explain import analyze

from .oracles import make_weights_positive, measured_field, measured_flops

L = layers

# (id, input shape without batch, layers): every case ends in a spatial layer.
FIELD_CASES: list[tuple[str, tuple[int, ...], list[Any]]] = [
    ("1d_valid", (64, 2), [L.Conv1D(3, 5), L.Conv1D(2, 3)]),
    ("1d_causal_dilated", (64, 2), [L.Conv1D(3, 3, padding="causal", dilation_rate=4),
                                    L.Conv1D(2, 3, padding="causal", dilation_rate=2)]),
    ("1d_strided_pool", (96, 1), [L.Conv1D(2, 4, strides=2), L.AveragePooling1D(3),
                                  L.Conv1D(2, 3, padding="same")]),
    ("2d_seed", (40, 40, 1), [L.Conv2D(4, 5), L.AveragePooling2D(2), L.Conv2D(3, 3),
                              L.AveragePooling2D(2)]),
    ("2d_same_strides", (48, 48, 2), [L.Conv2D(3, 3, strides=2, padding="same"),
                                      L.Conv2D(3, 3, strides=2, padding="same"),
                                      L.Conv2D(2, (3, 5))]),
    ("2d_dilation", (48, 48, 1), [L.Conv2D(2, 3, dilation_rate=2),
                                  L.Conv2D(2, 3, dilation_rate=(1, 3), padding="same")]),
    ("2d_depthwise_separable", (40, 40, 3), [L.DepthwiseConv2D(3, strides=2),
                                             L.SeparableConv2D(4, 5, padding="same"),
                                             L.BatchNormalization(), L.ReLU()]),
    ("2d_avgpool_same", (40, 40, 1), [L.AveragePooling2D(3, strides=2, padding="same"),
                                      L.Conv2D(2, 3), L.ZeroPadding2D(1)]),
    ("3d", (20, 20, 20, 1), [L.Conv3D(2, 3), L.AveragePooling3D(2), L.Conv3D(2, 3)]),
    ("2d_upsample_nearest", (20, 20, 1), [L.Conv2D(2, 3), L.UpSampling2D(2),
                                          L.Conv2D(2, 3)]),
]  # fmt: skip


def _sequential(shape: tuple[int, ...], stack: list[Any]) -> Any:
    return cnnkit.Sequential([L.Input(shape), *stack])


@pytest.mark.parametrize(("shape", "stack"), [c[1:] for c in FIELD_CASES],
                         ids=[c[0] for c in FIELD_CASES])  # fmt: skip
def test_receptive_field_equals_the_gradient_of_the_centre_unit(
    shape: tuple[int, ...], stack: list[Any]
) -> None:
    model = _sequential(shape, stack)
    make_weights_positive(model)
    table = analyze(model)
    units = 2 if any(isinstance(x, L.UpSampling2D) for x in stack) else 1
    assert table.rows[-1].receptive_field == measured_field(
        model, (1, *shape), units=units
    )


def test_receptive_field_through_max_pooling_is_the_union_over_inputs() -> None:
    # The gradient of a max goes to one winner per window: draw several inputs.
    model = _sequential((40, 40, 1), [L.Conv2D(2, 3, activation="relu"),
                                      L.MaxPooling2D(2), L.Conv2D(2, 3),
                                      L.MaxPooling2D(3, strides=2)])  # fmt: skip
    make_weights_positive(model)
    assert analyze(model).rows[-1].receptive_field == (12, 12)
    assert measured_field(model, (1, 40, 40, 1), draws=24) == (12, 12)


@pytest.mark.parametrize(
    ("kernel", "strides", "padding"),
    [(3, 2, "same"), (4, 2, "valid"), (5, 3, "same"), (2, 2, "valid")],
)
def test_transposed_conv_field_is_its_widest_output_unit(
    kernel: int, strides: int, padding: str
) -> None:
    model = _sequential((12, 12, 1), [
        L.Conv2D(2, 3), L.Conv2DTranspose(2, kernel, strides=strides, padding=padding),
        L.Conv2D(2, 3),
    ])  # fmt: skip
    make_weights_positive(model)
    row = analyze(model).rows[1]
    assert row.jump == (1 / strides, 1 / strides)
    assert row.receptive_field == measured_field(
        _first_two(model), (1, 12, 12, 1), units=strides
    )


def _first_two(model: Any) -> Any:
    return lambda x: model.layers[1](model.layers[0](x))


def test_functional_branches_take_the_widest_field() -> None:
    inputs = cnnkit.Input((40, 40, 1))
    wide = L.Conv2D(2, 7, padding="same")(inputs)
    narrow = L.Conv2D(2, 3, padding="same")(inputs)
    added = L.Add()([wide, narrow])
    joined = L.Concatenate()([L.Conv2D(2, 3, padding="same")(added), narrow])
    model = cnnkit.Model(inputs, joined)
    make_weights_positive(model)
    table = analyze(model)
    by_name = {row.kind: row for row in table.rows}
    assert by_name["Add"].receptive_field == (7, 7)
    assert (
        table.rows[-1].receptive_field
        == (9, 9)
        == measured_field(model, (1, 40, 40, 1))
    )


SEED = [
    L.Conv2D(32, (5, 5), activation="relu"), L.MaxPooling2D((2, 2)),
    L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
    L.Dropout(0.2), L.Flatten(), L.Dense(128, activation="relu"),
    L.Dense(10, activation="softmax"),
]  # fmt: skip


def _seed_model() -> Any:
    return cnnkit.Sequential(
        [L.Input((28, 28, 1)), *[type(x).from_config(x.get_config()) for x in SEED]]
    )


def test_seed_model_flops_fields_and_params() -> None:
    model = _seed_model()
    table = analyze(model)
    assert [r.receptive_field for r in table.rows] == [
        (5, 5), (6, 6), (10, 10), (12, 12), (12, 12), (28, 28), (28, 28), (28, 28),
    ]  # fmt: skip
    assert [r.jump for r in table.rows][:4] == [(1, 1), (2, 2), (2, 2), (4, 4)]
    assert table.total.flops == measured_flops(model, (1, 28, 28, 1))
    assert table.total.params == model.count_params()
    assert [r.params for r in table.rows] == [x.count_params() for x in model.layers]


def _summary_params(model: Any) -> dict[str, int]:
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    found = re.findall(r"│ (\w+) \((\w+)\)\s+│[^│]*│\s+([\d,]+) │", text)
    return {name: int(count.replace(",", "")) for name, _, count in found}


def test_params_per_layer_match_keras_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the summary shrinks to the terminal
    model = _seed_model()
    summary = _summary_params(model)
    assert len(summary) == len(model.layers)
    assert {row.name: row.params for row in analyze(model).rows} == summary


FLOP_CASES: list[tuple[str, tuple[int, ...], list[Any]]] = [
    *FIELD_CASES,
    ("dense_on_sequence", (6, 5), [L.Conv1D(4, 3, use_bias=False), L.Dense(7)]),
    ("transpose", (8, 8, 3), [L.Conv2DTranspose(4, 3, strides=2, padding="same"),
                              L.Conv2DTranspose(2, 4, strides=2)]),
    ("transpose_1d_3d", (6, 2), [L.Conv1DTranspose(3, 3, strides=2)]),
    ("global", (9, 9, 3), [L.Conv2D(4, 3), L.GlobalAveragePooling2D(), L.Dense(3)]),
    ("separable_1d", (16, 3), [L.SeparableConv1D(4, 3, depth_multiplier=2),
                               L.DepthwiseConv1D(3)]),
]  # fmt: skip


@pytest.mark.parametrize(("shape", "stack"), [c[1:] for c in FLOP_CASES],
                         ids=[c[0] for c in FLOP_CASES])  # fmt: skip
def test_flops_equal_flop_counter_mode(
    shape: tuple[int, ...], stack: list[Any]
) -> None:
    model = _sequential(shape, stack)
    table = analyze(model)
    assert table.total.flops == measured_flops(model, (1, *shape))
    assert all(r.flops == 2 * r.macs for r in table.rows)


def test_nested_models_get_rows_with_a_path() -> None:
    inner = cnnkit.Sequential(
        [
            L.Input((10, 10, 4)),
            L.Conv2D(2, 3, name="conv"),
            L.MaxPooling2D(name="pool"),
        ],
        name="inner",
    )
    inputs = cnnkit.Input((10, 10, 3))
    x = L.Conv2D(4, 1, name="stem")(inputs)
    outputs = L.Dense(2, name="dense")(L.Flatten(name="flatten")(inner(x)))
    model = cnnkit.Model(inputs, outputs)
    table = analyze(model)
    assert [r.name for r in table.rows] == [
        "stem", "inner/conv", "inner/pool", "flatten", "dense",
    ]  # fmt: skip
    assert table.rows[2].receptive_field == (4, 4)
    assert table.total.params == model.count_params()
    assert table.total.flops == measured_flops(model, (1, 10, 10, 3))


def test_a_shared_layer_has_one_row_per_call_and_its_weights_once() -> None:
    shared = L.Dense(4, name="shared")
    inputs = cnnkit.Input((4,))
    model = cnnkit.Model(inputs, shared(shared(inputs)))
    table = analyze(model)
    assert [r.name for r in table.rows] == ["shared", "shared (call 2)"]
    assert [r.params for r in table.rows] == [20, 0]


class Block(cnnkit.Model):
    """A subclassed model: rows come from its layers as ``call`` runs them."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = L.Conv2D(4, 3, padding="same")
        self.conv2 = L.Conv2D(4, 3, padding="same")
        self.head = L.Dense(2)

    def call(self, x: Any) -> Any:
        y = self.conv(x)
        y = y + self.conv2(y)  # an op outside any layer
        return self.head(torch.flatten(y, 1))


def test_subclassed_model_rows_come_from_the_layers_it_calls() -> None:
    model = Block()
    table = analyze(model, input_shape=(None, 8, 8, 3))
    assert [r.kind for r in table.rows] == ["Conv2D", "Conv2D", "Dense"]
    assert table.rows[1].receptive_field == (5, 5)
    assert table.total.params == model.count_params()
    assert table.total.flops == measured_flops(model, (1, 8, 8, 3))


def test_plain_torch_module_flops_and_fields() -> None:
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, stride=2, dilation=1), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(8, 5),
    )  # fmt: skip
    table = analyze(net, input_shape=(1, 3, 32, 32))
    assert [r.name for r in table.rows] == [str(i) for i in range(7)]
    assert table.total.flops == measured_flops(net, (1, 3, 32, 32))
    assert table.total.params == sum(p.numel() for p in net.parameters())
    assert table.rows[3].receptive_field == (8, 8)
    make_weights_positive(net)
    assert measured_field(net[:4], (1, 3, 32, 32), channels_last=False,
                          draws=24) == (8, 8)  # fmt: skip


def test_a_custom_torch_leaf_is_measured() -> None:
    class Bilinear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(6, 6))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x @ self.weight

    net = nn.Sequential(nn.Linear(4, 6), Bilinear())
    table = analyze(net, input_shape=(1, 4))
    assert table.rows[1].macs == 36
    assert table.total.flops == measured_flops(net, (1, 4))


def test_analyze_builds_an_unbuilt_model_from_input_shape() -> None:
    model = cnnkit.Sequential([L.Conv2D(2, 3), L.Flatten(), L.Dense(3)])
    table = analyze(model, input_shape=(None, 6, 6, 1))
    assert table.rows[0].output_shape == (None, 4, 4, 2)
    assert model.built


def test_table_text_and_dict() -> None:
    table = analyze(_seed_model())
    text = str(table)
    assert text.splitlines()[0].startswith("Layer (type)")
    assert re.search(
        r"^conv2d(_\d+)? \(Conv2D\) +\(None, 24, 24, 32\) +832 ", text, re.M
    )
    assert text.splitlines()[-1].startswith("Total")
    data = json.loads(json.dumps(table.to_dict()))
    assert data["total"]["params"] == 225546
    assert data["rows"][0]["receptive_field"] == [5, 5]
    assert data["input_shape"] == [[None, 28, 28, 1]]


def test_not_a_module_is_refused() -> None:
    with pytest.raises(InvalidTypeError, match=r"analyze\(\) takes a cnnkit model"):
        analyze("model")  # type: ignore[arg-type]


def test_an_unbuilt_model_needs_input_shape() -> None:
    model = cnnkit.Sequential([L.Dense(3)])
    with pytest.raises(NotBuiltError, match=r"is not built.*input_shape=\(None, 28"):
        analyze(model)


def test_a_torch_module_needs_input_shape() -> None:
    with pytest.raises(NotBuiltError, match=r"torch module \(Linear\).*\(1, 3, 32"):
        analyze(nn.Linear(2, 2))


def test_input_shape_needs_the_batch_axis() -> None:
    with pytest.raises(InvalidArgumentError, match="must include the batch axis"):
        analyze(nn.Linear(2, 2), input_shape=(2,))


class Scaled(cnnkit.Model):
    """A subclassed model with a weight of its own, outside any layer."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = L.Dense(3)
        self.scale = self.add_weight((3,), "ones", name="scale")

    def call(self, x: Any) -> Any:
        return self.dense(x) * self.scale


def test_a_model_s_own_weights_get_a_row() -> None:
    model = Scaled()
    table = analyze(model, input_shape=(None, 4))
    assert table.rows[-1].params == 3
    assert table.rows[-1].name.endswith("(own weights)")
    assert table.total.params == model.count_params()
