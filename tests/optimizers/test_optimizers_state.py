"""build / apply / variables / load_variables, and float64 NumPy reference formulas."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit.optimizers as optimizers
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError
from cnnkit.optimizers import schedules

SHAPES = [(4, 3), (3,), (2, 2, 3)]
NAMES = ["dense/kernel", "dense/bias", "conv2d/kernel"]


def make_params(dtype: torch.dtype = torch.float32) -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(0)
    return [
        torch.nn.Parameter(torch.randn(s, generator=g, dtype=dtype)) for s in SHAPES
    ]


def make_grads(
    steps: int, dtype: torch.dtype = torch.float32
) -> list[list[torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [
        [torch.randn(s, generator=g, dtype=dtype) for s in SHAPES] for _ in range(steps)
    ]


# ---------------------------------------------------- NumPy float64 references
# Written from KERAS_SPEC §3.1, one formula per line, independent of cnnkit's code.


def numpy_adam(w: np.ndarray, grads: list[np.ndarray], lr: float) -> np.ndarray:
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - 0.9)
        v = v + (g * g - v) * (1 - 0.999)
        alpha = lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        w = w - alpha * m / (np.sqrt(v) + 1e-7)
    return w


def numpy_sgd_nesterov(w: np.ndarray, grads: list[np.ndarray], lr: float) -> np.ndarray:
    m = np.zeros_like(w)
    for g in grads:
        m = 0.9 * m - lr * g
        w = w + 0.9 * m - lr * g
    return w


def numpy_rmsprop_centered(
    w: np.ndarray, grads: list[np.ndarray], lr: float
) -> np.ndarray:
    v, a = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = 0.9 * v + 0.1 * g * g
        a = 0.9 * a + 0.1 * g
        w = w - lr * g / np.sqrt(v - a * a + 1e-7)
    return w


def numpy_nadam(w: np.ndarray, grads: list[np.ndarray], lr: float) -> np.ndarray:
    m, v, product = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, start=1):
        u_t = 0.9 * (1 - 0.5 * 0.96**t)
        u_next = 0.9 * (1 - 0.5 * 0.96 ** (t + 1))
        product *= u_t
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        v_hat = v / (1 - 0.999**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + 1e-7)
    return w


REFERENCES: list[
    tuple[Callable[[], optimizers.Optimizer], Callable[..., np.ndarray]]
] = [
    (lambda: optimizers.Adam(0.1), numpy_adam),
    (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), numpy_sgd_nesterov),
    (lambda: optimizers.RMSprop(0.1, centered=True), numpy_rmsprop_centered),
    (lambda: optimizers.Nadam(0.1), numpy_nadam),
]


@pytest.mark.parametrize(("make", "reference"), REFERENCES)
def test_float64_matches_numpy_reference(
    make: Callable[[], optimizers.Optimizer], reference: Callable[..., np.ndarray]
) -> None:
    params, steps = make_params(torch.float64), make_grads(6, torch.float64)
    opt = make()
    lr = opt.learning_rate  # 0.1 rounded to float32, as Keras stores it
    expected = [
        reference(p.detach().numpy().copy(), [s[i].numpy() for s in steps], lr)
        for i, p in enumerate(params)
    ]
    opt.build(params)
    assert all(v.dtype == torch.float64 for v in opt.variables[2:])  # slots follow
    for grads in steps:
        opt.apply(grads, params)
    for p, e in zip(params, expected):
        # float64 throughout: only summation-order rounding differs.
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ build


def test_build_creates_slots_in_keras_order() -> None:
    opt = optimizers.RMSprop(momentum=0.5, centered=True)
    params = make_params()
    opt.build(params, names=NAMES)
    assert opt.variable_names == [
        "iteration",
        "learning_rate",
        *[f"{n.replace('/', '_')}_velocity" for n in NAMES],
        *[f"{n.replace('/', '_')}_momentum" for n in NAMES],
        *[f"{n.replace('/', '_')}_average_gradient" for n in NAMES],
    ]
    variables = opt.variables
    assert variables[0].dtype == torch.int64
    assert variables[0].item() == 0
    assert variables[1].dtype == torch.float32
    assert [tuple(v.shape) for v in variables[2:5]] == SHAPES


def test_build_default_names_and_idempotence() -> None:
    opt = optimizers.SGD(momentum=0.5)
    params = make_params()
    opt.build(params)
    opt.build(make_params())  # already built: ignored, as in Keras
    assert opt.variable_names[2:] == [f"variable_{i}_momentum" for i in range(3)]


def test_adagrad_slots_start_at_initial_accumulator_value() -> None:
    opt = optimizers.Adagrad(initial_accumulator_value=0.25)
    opt.build(make_params())
    assert all(torch.all(v == 0.25) for v in opt.variables[2:])


def test_apply_builds_on_the_fly_and_counts_steps() -> None:
    opt = optimizers.Adam()
    params = make_params()
    for i, grads in enumerate(make_grads(3), start=1):
        opt.apply(grads, params)
        assert opt.iterations == i
        assert isinstance(opt.iterations, int)
    assert opt.built


def test_apply_gradients_pairs() -> None:
    a, b = make_params(), make_params()
    grads = make_grads(2)
    opt_a, opt_b = optimizers.Adam(0.1), optimizers.Adam(0.1)
    for g in grads:
        opt_a.apply(g, a)
        assert opt_b.apply_gradients(list(zip(g, b))) == opt_b.iterations
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_empty_gradients_are_a_no_op() -> None:
    opt = optimizers.SGD()
    opt.apply([], [])
    opt.apply_gradients([])
    assert opt.iterations == 0


def test_apply_without_params_uses_built_params() -> None:
    opt, params = optimizers.SGD(0.5), make_params()
    before = [p.detach().clone() for p in params]
    opt.build(params)
    opt.apply([torch.ones(s) for s in SHAPES])
    for p, b in zip(params, before):
        torch.testing.assert_close(p.detach(), b - 0.5)


def test_subset_and_reordered_params_use_their_own_slots() -> None:
    params, ref = make_params(), make_params()
    grads = make_grads(3)
    opt, ref_opt = optimizers.Adam(0.1), optimizers.Adam(0.1)
    opt.build(params)
    ref_opt.build(ref)
    for g in grads:
        opt.apply(g[::-1], params[::-1])  # reversed order: the slow path
        ref_opt.apply(g, ref)
    for x, y in zip(params, ref):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_none_gradient_warns_and_skips_that_param() -> None:
    params = make_params()
    frozen = params[1].detach().clone()
    opt = optimizers.SGD(0.1)
    grads: list[torch.Tensor | None] = list(make_grads(1)[0])
    grads[1] = None
    with pytest.warns(
        UserWarning, match=r"Gradients do not exist for variables \['var"
    ):
        opt.apply(grads, params)
    torch.testing.assert_close(params[1].detach(), frozen)
    assert opt.iterations == 1


def test_gradient_dtype_is_cast_to_param_dtype() -> None:
    params, ref = make_params(), make_params()
    grads = make_grads(1)[0]
    optimizers.SGD(0.1).apply([g.double() for g in grads], params)
    optimizers.SGD(0.1).apply(grads, ref)
    for x, y in zip(params, ref):
        assert x.dtype == torch.float32
        torch.testing.assert_close(x, y)


def test_apply_does_not_modify_gradients() -> None:
    grads = make_grads(1)[0]
    copies = [g.clone() for g in grads]
    opt = optimizers.Adam(clipnorm=0.1, loss_scale_factor=2.0, weight_decay=0.1)
    opt.apply(grads, make_params())
    for g, c in zip(grads, copies):
        torch.testing.assert_close(g, c, rtol=0, atol=0)


def test_apply_works_on_params_that_require_grad_in_grad_mode() -> None:
    params = make_params()
    assert torch.is_grad_enabled()
    assert params[0].requires_grad
    optimizers.Lion().apply(make_grads(1)[0], params)
    assert torch.is_grad_enabled()  # restored


# ------------------------------------------------------------- weight decay


def test_exclude_from_weight_decay_by_name_and_by_tensor() -> None:
    params = make_params()
    before = [p.detach().clone() for p in params]
    opt = optimizers.SGD(0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[params[2]], var_names=["bias"])
    opt.build(params, names=NAMES)
    opt.apply([torch.zeros(s) for s in SHAPES], params)
    torch.testing.assert_close(params[0].detach(), before[0] * (1 - 0.1 * 0.5))
    torch.testing.assert_close(params[1].detach(), before[1])  # 'bias' matched
    torch.testing.assert_close(params[2].detach(), before[2])  # listed tensor


def test_exclude_from_weight_decay_matches_the_short_name_like_keras() -> None:
    params = make_params()
    before = params[0].detach().clone()
    opt = optimizers.SGD(0.5, weight_decay=0.1)
    opt.build(params, names=NAMES)
    opt.exclude_from_weight_decay(var_names=["dense"])  # layer part of the path
    opt.apply([torch.zeros(s) for s in SHAPES], params)
    torch.testing.assert_close(params[0].detach(), before * 0.95)


@pytest.mark.parametrize(
    "kwargs", [{"var_names": "bias"}, {"var_list": torch.zeros(1)}]
)
def test_exclude_from_weight_decay_wants_lists(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidTypeError, match=r"must be a list; received a single"):
        optimizers.SGD().exclude_from_weight_decay(**kwargs)


# ------------------------------------------------------- EMA, accumulation


def test_ema_finalize_copies_the_average() -> None:
    params = make_params()
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    opt.build(params, names=NAMES)
    first = None
    for grads in make_grads(2):
        opt.apply(grads, params)
        first = first if first is not None else params[0].detach().clone()
    # average = 0.5 * w1 + 0.5 * w2 (the first step copies w1)
    expected = 0.5 * first + 0.5 * params[0].detach()
    opt.finalize_variable_values(params)
    torch.testing.assert_close(params[0].detach(), expected)


def test_finalize_without_ema_is_a_no_op() -> None:
    optimizers.SGD().finalize_variable_values([torch.zeros(1)])


def test_finalize_with_wrong_params_raises() -> None:
    opt = optimizers.SGD(use_ema=True)
    opt.build(make_params())
    with pytest.raises(InvalidArgumentError, match="received 1 variables but"):
        opt.finalize_variable_values([torch.zeros(1)])


def test_gradient_accumulation_updates_every_k_calls_with_the_mean() -> None:
    params = make_params()
    start = params[0].detach().clone()
    opt = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    opt.apply([torch.full(s, 1.0) for s in SHAPES], params)
    torch.testing.assert_close(params[0].detach(), start)
    assert opt.iterations == 0
    opt.apply([torch.full(s, 3.0) for s in SHAPES], params)
    torch.testing.assert_close(params[0].detach(), start - 2.0)
    assert opt.iterations == 1
    assert opt.variables[0].item() == 2  # the raw counter, as Keras saves it


def test_scale_loss() -> None:
    loss = torch.tensor(2.0)
    assert optimizers.SGD(loss_scale_factor=4.0).scale_loss(loss).item() == 8.0
    assert optimizers.SGD().scale_loss(loss) is loss


# ------------------------------------------------- save / load continuation

CONTINUATION_CASES: list[Callable[[], optimizers.Optimizer]] = [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: optimizers.Adam(0.01, amsgrad=True),
    lambda: optimizers.AdamW(0.01),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Adagrad(0.1),
    lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.Adamax(0.01),
    lambda: optimizers.Nadam(0.01),
    lambda: optimizers.Lion(0.01),
    lambda: optimizers.Adam(schedules.CosineDecay(0.01, 4, warmup_target=0.02)),
    lambda: optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=2),
    lambda: optimizers.Adam(0.01, gradient_accumulation_steps=2),
]


@pytest.mark.parametrize("make", CONTINUATION_CASES)
def test_save_load_continue_equals_uninterrupted(
    make: Callable[[], optimizers.Optimizer],
) -> None:
    steps = make_grads(6)
    straight, opt = make_params(), make()
    for grads in steps:
        opt.apply(grads, straight)

    first, opt1 = make_params(), make()
    for grads in steps[:3]:
        opt1.apply(grads, first)
    saved_weights = [p.detach().numpy().copy() for p in first]
    saved_state = [v.detach().numpy().copy() for v in opt1.variables]

    resumed = [torch.nn.Parameter(torch.from_numpy(w)) for w in saved_weights]
    opt2 = make()
    opt2.build(resumed)
    opt2.load_variables(saved_state)
    assert opt2.iterations == opt1.iterations
    for grads in steps[3:]:
        opt2.apply(grads, resumed)
    for x, y in zip(resumed, straight):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_load_variables_restores_learning_rate() -> None:
    opt = optimizers.SGD(0.1)
    opt.build(make_params())
    opt.load_variables([np.array(7), np.array(0.5, dtype="float32")])
    assert (opt.iterations, opt.learning_rate) == (7, 0.5)


def test_load_variables_before_build_raises() -> None:
    with pytest.raises(NotBuiltError, match=r"Call optimizer.build\(model_params"):
        optimizers.Adam().load_variables([np.array(0), np.array(0.1), np.zeros(3)])


def test_load_variables_count_mismatch_raises() -> None:
    opt = optimizers.Adam()
    opt.build(make_params())
    with pytest.raises(InvalidArgumentError, match="expected 8 values"):
        opt.load_variables([np.array(0)])


def test_load_variables_shape_mismatch_raises() -> None:
    opt = optimizers.SGD(momentum=0.5)
    opt.build(make_params(), names=NAMES)
    values = [v.numpy() for v in opt.variables]
    values[2] = np.zeros((3, 4), dtype="float32")
    with pytest.raises(InvalidArgumentError, match="'dense_kernel_momentum' has shape"):
        opt.load_variables(values)


# ------------------------------------------------------------------ errors


def test_build_rejects_non_float_params() -> None:
    with pytest.raises(InvalidTypeError, match=r"parameter 1 is torch\.int64"):
        optimizers.SGD().build([torch.zeros(2), torch.zeros(2, dtype=torch.int64)])


def test_build_rejects_duplicate_params() -> None:
    p = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(InvalidArgumentError, match="appears more than once"):
        optimizers.SGD().build([p, p])


def test_build_rejects_wrong_number_of_names() -> None:
    with pytest.raises(InvalidArgumentError, match="received 1 names for 3 parameters"):
        optimizers.SGD().build(make_params(), names=["a"])


def test_apply_without_params_before_build_raises() -> None:
    with pytest.raises(NotBuiltError, match="needs a built optimizer"):
        optimizers.SGD().apply([torch.zeros(1)])


def test_apply_length_mismatch_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="received 2 gradients for 3"):
        optimizers.SGD().apply(make_grads(1)[0][:2], make_params())


def test_apply_unknown_param_raises() -> None:
    opt = optimizers.SGD()
    opt.build(make_params())
    with pytest.raises(InvalidArgumentError, match="was not built with"):
        opt.apply([torch.zeros(2)], [torch.nn.Parameter(torch.zeros(2))])


def test_apply_shape_mismatch_raises() -> None:
    params = make_params()
    grads = [torch.zeros(s) for s in SHAPES]
    grads[0] = torch.zeros(3, 4)
    with pytest.raises(InvalidArgumentError, match=r"has shape \(3, 4\) but the param"):
        optimizers.SGD().apply(grads, params)


def test_apply_with_only_none_gradients_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="no gradients provided"):
        optimizers.SGD().apply([None, None, None], make_params())


def test_subclass_without_update_raises() -> None:
    class Broken(optimizers.Optimizer):
        def __init__(self) -> None:
            super().__init__(learning_rate=0.1)

    with pytest.raises(TypeError, match=r"abstract class Broken.*_update"):
        Broken()


# ------------------------------------------------------------------ GPU


@pytest.mark.gpu
@pytest.mark.parametrize(
    "make",
    [
        *CONTINUATION_CASES,
        lambda: optimizers.SGD(0.1, global_clipnorm=1.0, weight_decay=0.01),
        lambda: optimizers.Adam(0.1, clipnorm=1.0),
        lambda: optimizers.RMSprop(0.1, clipvalue=0.5),
    ],
)
def test_cuda_apply_never_synchronises_and_matches_cpu(
    make: Callable[[], optimizers.Optimizer],
) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    cpu = make_params()
    cuda = [torch.nn.Parameter(p.detach().cuda()) for p in make_params()]
    steps = make_grads(4)
    cuda_steps = [[g.cuda() for g in grads] for grads in steps]
    opt_cpu, opt_cuda = make(), make()
    opt_cuda.build(cuda)
    torch.cuda.synchronize()
    # Any host-device synchronisation inside `apply` now raises a RuntimeError.
    torch.cuda.set_sync_debug_mode("error")
    try:
        for grads in cuda_steps:
            opt_cuda.apply(grads, cuda)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    for grads in steps:
        opt_cpu.apply(grads, cpu)
    assert all(v.device.type == "cuda" for v in opt_cuda.variables[2:])
    for x, y in zip(cuda, cpu):
        torch.testing.assert_close(x.detach().cpu(), y.detach(), rtol=1e-5, atol=1e-6)
