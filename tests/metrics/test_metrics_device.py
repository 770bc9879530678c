"""Metric state follows the inputs' device and `update_state` never reads values back.

Three checks, from cheapest to strongest:
- CPU: every way of reading a tensor into Python (`item`, `bool`, `float`, `int`,
  `tolist`, `numpy`) is patched to raise while `update_state` runs;
- meta device: tensors without data. Any host read fails on them, so an update that
  completes on meta tensors provably read nothing; the state must end up there too;
- CUDA (marker `gpu`): `torch.cuda.set_sync_debug_mode("error")` makes every
  synchronising operation raise, and results must equal the CPU run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch

from cnnkit import metrics

N, C = 16, 5


def batch(
    kind: str, device: str | torch.device, gen: torch.Generator
) -> tuple[torch.Tensor, ...]:
    """(y_true, y_pred, sample_weight) built on CPU (deterministic), then moved."""
    labels = torch.randint(0, C, (N,), generator=gen)
    probs = torch.softmax(torch.randn(N, C, generator=gen), -1)
    weight = torch.rand(N, generator=gen)
    if kind == "sparse":
        y_true, y_pred = labels, probs
    elif kind == "sparse_n1":
        y_true, y_pred = labels.reshape(N, 1), probs
    elif kind == "onehot":
        y_true, y_pred = torch.nn.functional.one_hot(labels, C).float(), probs
    elif kind == "exact":
        y_true, y_pred = labels, torch.where(weight > 0.5, labels, (labels + 1) % C)
    elif kind == "binary":
        y_true, y_pred = (labels % 2).float(), probs[:, :1]
    elif kind == "binary_n1":
        y_true, y_pred = (labels % 2).float().reshape(N, 1), probs[:, :1]
    elif kind == "signed":
        y_true = torch.randint(0, 2, (N, 3), generator=gen).float() * 2 - 1
        y_pred = torch.randn(N, 3, generator=gen)
    else:
        y_true, y_pred = (
            torch.randn(N, 3, generator=gen),
            torch.randn(N, 3, generator=gen),
        )
    return y_true.to(device), y_pred.to(device), weight.to(device)


METRICS: list[tuple[Callable[[], metrics.Metric], str]] = [
    (metrics.Accuracy, "exact"),
    (metrics.BinaryAccuracy, "binary"),
    (metrics.CategoricalAccuracy, "onehot"),
    (metrics.SparseCategoricalAccuracy, "sparse_n1"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), "onehot"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), "sparse"),
    (metrics.Precision, "onehot"),
    (lambda: metrics.Precision(top_k=2, class_id=1), "onehot"),
    (lambda: metrics.Recall(thresholds=[0.2, 0.5]), "onehot"),
    (lambda: metrics.Recall(thresholds=[0.0, 0.5, 1.0]), "binary"),
    (metrics.TruePositives, "binary"),
    (metrics.AUC, "binary"),
    (lambda: metrics.AUC(curve="PR", thresholds=[0.3, 0.6]), "onehot"),
    (lambda: metrics.AUC(multi_label=True, label_weights=[1, 2, 3, 4, 5]), "onehot"),
    (lambda: metrics.AUC(curve="PRGAIN", from_logits=True), "binary"),
    (lambda: metrics.F1Score(average="weighted"), "onehot"),
    (lambda: metrics.FBetaScore(beta=2.0, threshold=0.3), "onehot"),
    (metrics.MeanSquaredError, "regression"),
    (metrics.MeanAbsoluteError, "regression"),
    (metrics.RootMeanSquaredError, "regression"),
    (metrics.MeanAbsolutePercentageError, "regression"),
    (metrics.CosineSimilarity, "regression"),
    (metrics.LogCoshError, "regression"),
    (metrics.CategoricalCrossentropy, "onehot"),
    (lambda: metrics.SparseCategoricalCrossentropy(ignore_class=0), "sparse"),
    (lambda: metrics.BinaryCrossentropy(from_logits=True), "binary_n1"),
    (metrics.KLDivergence, "onehot"),
    (metrics.Poisson, "regression"),
    (metrics.Hinge, "signed"),
    (metrics.SquaredHinge, "signed"),
    (metrics.CategoricalHinge, "onehot"),
    (lambda: metrics.MeanMetricWrapper(metrics.mean_squared_error), "regression"),
    (lambda: metrics.resolve("acc", (N, 1), (N, C)), "sparse_n1"),
    # float state: the float sample weights here are not truncated (no warning)
    (lambda: metrics.MeanIoU(num_classes=C, dtype="float32"), "exact"),
    (lambda: metrics.OneHotMeanIoU(num_classes=C, dtype="float32"), "onehot"),
    (lambda: metrics.BinaryIoU(dtype="float32", target_class_ids=[1]), "binary"),
]
IDS = [f"{i}-{kind}" for i, (_, kind) in enumerate(METRICS)]
HOST_READS = ("item", "__bool__", "__float__", "__int__", "tolist", "numpy")


@pytest.fixture
def no_host_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(self: torch.Tensor, *args: object, **kwargs: object) -> None:
        raise AssertionError("update_state read a tensor value back to the host")

    for attribute in HOST_READS:
        monkeypatch.setattr(torch.Tensor, attribute, refuse)
    yield
    monkeypatch.undo()


def run_updates(metric: metrics.Metric, kind: str, device: str | torch.device) -> None:
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        y_true, y_pred, weight = batch(kind, device, gen)
        metric.update_state(y_true, y_pred, sample_weight=weight)


@pytest.mark.parametrize(("factory", "kind"), METRICS, ids=IDS)
def test_update_state_never_reads_values_on_cpu(
    factory: Callable[[], metrics.Metric], kind: str, no_host_reads: None
) -> None:
    metric = factory()
    run_updates(metric, kind, "cpu")
    assert all(v.device.type == "cpu" for v in metric.variables)


@pytest.mark.parametrize(("factory", "kind"), METRICS, ids=IDS)
def test_update_state_runs_on_data_free_meta_tensors(
    factory: Callable[[], metrics.Metric], kind: str
) -> None:
    metric = factory()
    run_updates(metric, kind, "meta")
    assert metric.variables
    assert all(v.device.type == "meta" for v in metric.variables)
    assert metric.result().device.type == "meta"


def test_numpy_inputs_follow_the_state_device() -> None:
    metric = metrics.Mean()
    metric.to("meta")
    metric.update_state([1.0, 2.0])
    assert metric.total.device.type == "meta"


def test_update_state_builds_no_autograd_graph() -> None:
    logits = torch.randn(N, C, requires_grad=True)
    metric = metrics.SparseCategoricalCrossentropy(from_logits=True)
    metric.update_state(torch.randint(0, C, (N,)), logits)
    assert all(not v.requires_grad for v in metric.variables)
    assert not metric.result().requires_grad


@pytest.mark.gpu
@pytest.mark.parametrize(("factory", "kind"), METRICS, ids=IDS)
def test_update_state_never_synchronises_on_cuda(
    factory: Callable[[], metrics.Metric], kind: str
) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    gen = torch.Generator().manual_seed(0)
    batches = [batch(kind, "cpu", gen) for _ in range(3)]
    on_cpu, on_gpu = factory(), factory()
    for y_true, y_pred, weight in batches:
        on_cpu.update_state(y_true, y_pred, sample_weight=weight)
    on_device = [tuple(t.cuda() for t in b) for b in batches]
    # The first update moves the state and uploads cached constants (thresholds):
    # one-time copies. Every later update must not synchronise at all.
    y_true, y_pred, weight = on_device[0]
    on_gpu.update_state(y_true, y_pred, sample_weight=weight)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for y_true, y_pred, weight in on_device[1:]:
            on_gpu.update_state(y_true, y_pred, sample_weight=weight)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(v.device.type == "cuda" for v in on_gpu.variables)
    torch.testing.assert_close(
        on_gpu.result().cpu(), on_cpu.result(), rtol=1e-5, atol=1e-6
    )
