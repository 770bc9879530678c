"""``model.evaluate`` (KERAS_SPEC §4.3) and the test loop ``fit`` reuses for validation."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from cnnkit.callbacks import CallbackList
from cnnkit.errors import TrainingInputError
from cnnkit.training import checks, prepare
from cnnkit.training.data_adapter import (
    ArrayAdapter,
    is_array_structure,
    make_adapter,
    to_tensor,
)
from cnnkit.training.steps import MetricSet, StepRunner, overrides
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


def run_test_loop(
    runner: StepRunner,
    adapter: Any,
    callbacks: CallbackList | None,
    publish: bool = False,
) -> dict[str, float]:
    """Evaluate over one pass of ``adapter`` with fresh metrics; returns the logs.

    The default test step tracks a private copy of the metrics, so the model's own
    (``fit``'s running training values) are never disturbed, not even by an
    evaluate in another thread; with ``publish`` the model's metrics then take the
    results, as Keras' do after ``evaluate`` (skipped while a ``fit`` of the model
    runs, whose values they are). A custom ``test_step`` updates ``model.metrics``
    itself: they are reset first and, unless ``publish`` outside a fit, restored
    afterwards.
    """
    if overrides(runner.owner, "test_step"):
        with fit_guard(runner.owner) as fitting:
            restore = not publish or fitting  # fit's values are put back
        return _shared_test_loop(runner, adapter, callbacks, restore=restore)
    private = runner.with_private_metrics()
    logs = _run_batches(private, adapter, callbacks)
    if publish:
        with fit_guard(runner.owner) as fitting:
            if not fitting:
                private.metric_set.publish_into(MetricSet.of(runner.state))
    return logs


def _run_batches(
    runner: StepRunner, adapter: Any, callbacks: CallbackList | None
) -> dict[str, float]:
    """One pass of test steps over ``adapter`` with ``runner``'s metrics; the logs."""
    read_logs = runner.logs
    for step, (x, y, sw) in enumerate(adapter.epoch()):
        if callbacks is not None:
            callbacks.on_test_batch_begin(step)
        read_logs = runner.run_test_step(x, y, sw)
        if callbacks is not None:
            callbacks.on_test_batch_end(step, read_logs)
    return read_logs()


def _shared_test_loop(
    runner: StepRunner, adapter: Any, callbacks: CallbackList | None, restore: bool
) -> dict[str, float]:
    metrics = runner.owner.metrics
    saved = [[v.clone() for v in metric.variables] for metric in metrics]
    runner.reset()
    logs = _run_batches(runner, adapter, callbacks)
    if restore:
        with torch.no_grad():
            for metric, values in zip(metrics, saved):
                for variable, value in zip(metric.variables, values):
                    variable.copy_(value)
    return logs


_FITS_LOCK = threading.Lock()
# How many fits of each model are running. Kept beside the model, not on it, so
# a copy of a model made during its fit (deepcopy, pickling) carries no count.
_FITS_RUNNING: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def fit_guard(model: Any) -> Iterator[bool]:
    """Hold the fit lock; yields whether a ``fit`` of ``model`` is running.

    ``evaluate`` publishes its results into ``model.metrics`` under it, and ``fit``
    registers under it (:func:`fitting`) before touching them, so a publish never
    lands in the middle of a fit's epoch.
    """
    with _FITS_LOCK:
        yield _FITS_RUNNING.get(model, 0) > 0


@contextlib.contextmanager
def fitting(model: Any) -> Iterator[None]:
    """Mark ``model`` as being fitted for the duration of the block."""
    with _FITS_LOCK:
        _FITS_RUNNING[model] = _FITS_RUNNING.get(model, 0) + 1
    try:
        yield
    finally:
        with _FITS_LOCK:
            _FITS_RUNNING[model] -= 1


def evaluate(
    model: Trainer,
    x: Any = None,
    y: Any = None,
    batch_size: int | None = None,
    verbose: Any = "auto",
    sample_weight: Any = None,
    steps: int | None = None,
    callbacks: Any = None,
    return_dict: bool = False,
) -> Any:
    """Loss and metrics on ``x``/``y``: a scalar, a list, or a dict (``return_dict``)."""
    prepare.require_compiled(model, "evaluate")
    verbose = prepare.resolve_verbose(verbose)
    prepare.check_batch_size(batch_size, x)
    device = prepare.training_device(model)
    full_y = None
    if is_array_structure(x):
        checks.check_not_a_list_of_numbers(y, "y")
        x = tree.map_structure(to_tensor, x)
        y = None if y is None else tree.map_structure(to_tensor, y)
        sample_weight = (
            None
            if sample_weight is None
            else tree.map_structure(to_tensor, sample_weight)
        )
        checks.check_inputs_against_model(model, x)
        checks.check_arrays(x, y, sample_weight)
        full_y = y
    adapter = make_adapter(x, y, sample_weight, batch_size, False, steps, device)
    runner = None
    if isinstance(adapter, ArrayAdapter):
        sample = prepare.first_batch(adapter)
        if sample is not None:
            prepare.prepare_model(model, device, sample[0])
            prepare.build_compile_state(model, sample[0], sample[1], full_y)
            # A runner of its own, not the cached one `runner_for` refreshes: a
            # fit in another thread may be stepping that one right now.
            runner = StepRunner(model, device)
    callback_list = CallbackList(
        callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
        epochs=1, steps=adapter.steps_per_epoch,
    )  # fmt: skip
    callback_list.on_test_begin()
    source: Any = adapter
    if runner is None:
        runner, source = _runner_from_first_batch(model, device, adapter)
    logs = run_test_loop(runner, source, callback_list, publish=True)
    callback_list.on_test_end(logs)
    return format_results(runner, logs, return_dict)


class _Replay:
    """One epoch whose first batch was already taken (to build the model)."""

    def __init__(self, first: Any, rest: Iterator[Any]) -> None:
        self.first, self.rest = first, rest

    def epoch(self) -> Iterator[Any]:
        yield self.first
        yield from self.rest


def _runner_from_first_batch(
    model: Trainer, device: torch.device, adapter: Any
) -> tuple[StepRunner, _Replay]:
    """Build from the first batch of a dataset or generator, and keep that batch:
    a generator cannot give it twice, and evaluation must still see it."""
    batches = adapter.epoch()
    first = next(batches, None)
    if first is None:
        raise TrainingInputError(
            "`evaluate()` received no batches: the dataset is empty or the generator "
            "was already used up (by an earlier fit or evaluate). Pass a fresh "
            "generator, or a re-iterable source such as a PyDataset or DataLoader."
        )
    x, y, _ = first
    checks.check_inputs_against_model(model, x)
    prepare.prepare_model(model, device, x)
    prepare.build_compile_state(model, x, y)
    return StepRunner(model, device), _Replay(first, batches)


def format_results(
    runner: StepRunner, logs: dict[str, float], return_dict: bool
) -> Any:
    """Keras' rule: a dict with sorted keys (``return_dict``); else a scalar when the
    loss is the only value, or a list in ``model.metrics_names`` order."""
    if return_dict:
        return dict(sorted(logs.items()))
    ordered = [logs[k] for k in runner.state.ordered_keys(list(logs))]
    return ordered[0] if len(ordered) == 1 else ordered
