"""`logits_equivalent`: the fused softmax + cross-entropy (DESIGN decision 8).

The claim under test: feeding the logits to the returned loss equals the original
loss on softmax(logits), within rtol=1e-5/atol=1e-6, unless a probability the labels
weight falls below 1e-7, where the original is capped at -log(1e-7) by Keras' clip.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import losses

RTOL, ATOL = 1e-5, 1e-6


def one_hot(labels: torch.Tensor, classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels, classes).float()


@pytest.mark.parametrize(
    "loss",
    [
        losses.CategoricalCrossentropy(),
        losses.CategoricalCrossentropy(
            label_smoothing=0.1, reduction="sum", name="cce"
        ),
        losses.SparseCategoricalCrossentropy(),
        losses.SparseCategoricalCrossentropy(ignore_class=0, reduction="none"),
        losses.resolve("categorical_crossentropy"),
        losses.resolve("sparse_categorical_crossentropy"),
        losses.resolve("ce", (8,), (8, 4)),
    ],
    ids=lambda loss: repr(loss)[:60],
)
def test_fused_loss_keeps_everything_but_from_logits(loss: losses.Loss) -> None:
    fused = losses.logits_equivalent(loss)
    assert fused is not None
    assert type(fused) is type(loss)
    assert fused.name == loss.name
    assert fused.reduction == loss.reduction
    config, fused_config = loss.get_config(), fused.get_config()
    if "fn" in config:  # a wrapper: the from_logits flag sits in the kwargs
        assert fused._fn_kwargs["from_logits"] is True
        assert fused.fn is loss.fn
    else:
        assert fused_config.pop("from_logits") is True
        config.pop("from_logits")
        assert fused_config == config


@pytest.mark.parametrize(
    "loss",
    [
        losses.CategoricalCrossentropy(from_logits=True),
        losses.SparseCategoricalCrossentropy(from_logits=True),
        losses.BinaryCrossentropy(),
        losses.MeanSquaredError(),
        losses.resolve("mse"),
        losses.resolve("ce", (8, 1), (8, 1)),
        losses.CategoricalCrossentropy(axis=1),
        losses.LossFunctionWrapper(losses.categorical_crossentropy, from_logits=True),
        type("MyCE", (losses.CategoricalCrossentropy,), {})(),
        None,
        "categorical_crossentropy",
    ],
    ids=repr,
)
def test_unfusable_losses_give_none(loss: object) -> None:
    assert losses.logits_equivalent(loss) is None


def test_axis_must_match_the_softmax_axis() -> None:
    loss = losses.CategoricalCrossentropy(axis=1)
    assert losses.logits_equivalent(loss, softmax_axis=1) is not None


@given(
    seed=st.integers(0, 10_000),
    classes=st.integers(2, 12),
    scale=st.floats(0.1, 2.5),
    smoothing=st.sampled_from([0.0, 0.1]),
)
def test_fused_equals_probability_form_when_no_probability_is_clipped(
    seed: int, classes: int, scale: float, smoothing: float
) -> None:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(16, classes, generator=gen).clamp(-2, 2) * scale
    labels = torch.randint(0, classes, (16,), generator=gen)
    loss = losses.CategoricalCrossentropy(label_smoothing=smoothing)
    fused = losses.logits_equivalent(loss)
    assert fused is not None
    # |logit| <= 5 and <= 12 classes: every probability is >= e^-10 / 12 >> 1e-7.
    assert torch.softmax(logits, -1).min() > 1e-7
    expected = loss(one_hot(labels, classes), torch.softmax(logits, -1))
    torch.testing.assert_close(
        fused(one_hot(labels, classes), logits), expected, rtol=RTOL, atol=ATOL
    )


def test_fused_gradients_match_in_the_normal_regime() -> None:
    logits = torch.randn(32, 10) * 2
    labels = torch.randint(0, 10, (32,))
    loss = losses.SparseCategoricalCrossentropy()
    fused = losses.logits_equivalent(loss)
    assert fused is not None
    a = logits.clone().requires_grad_(True)
    b = logits.clone().requires_grad_(True)
    loss(labels, torch.softmax(a, -1)).backward()
    fused(labels, b).backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-6)


def test_fused_and_clipped_differ_only_below_eps() -> None:
    """A true-class probability of e^-30 (< 1e-7): Keras caps it, fused does not."""
    logits = torch.tensor([[0.0, 30.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    loss = losses.SparseCategoricalCrossentropy(reduction="none")
    fused = losses.logits_equivalent(loss)
    assert fused is not None
    clipped = loss(labels, torch.softmax(logits, -1))
    exact = fused(labels, logits)
    assert float(clipped[0]) == pytest.approx(-math.log(1e-7), rel=1e-5)
    assert float(exact[0]) == pytest.approx(30.0, rel=1e-5)
    torch.testing.assert_close(clipped[1], exact[1], rtol=RTOL, atol=ATOL)
