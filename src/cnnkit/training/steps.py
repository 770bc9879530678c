"""One training / test / prediction step, and the running values behind the logs.

Nothing here synchronises with the device: the loss is summed in a device tensor and
metrics keep device state; a callable returns the logs, and only the progress bar
(when it redraws) or the end of an epoch calls it (DESIGN decision 8).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch

from cnnkit import activations, mixed_precision
from cnnkit.errors import InvalidArgumentError
from cnnkit.metrics import Mean
from cnnkit.training._step_lock import step_lock
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


class LossTracker(Mean):
    """Mean of per-batch losses weighted by batch size (Keras' ``loss`` metric).

    A real metric, so ``model.metrics`` lists it and a custom ``train_step`` can
    ``update_state`` it; ``update`` is the trainer's allocation-free path.
    """

    def __init__(self, name: str = "loss") -> None:
        super().__init__(name=name)

    def update(self, value: torch.Tensor, batch_size: int) -> None:
        value = value.detach().float()
        self.to(value.device)
        self.total.add_(value * batch_size)
        self.count.add_(batch_size)


def pythonify_logs(logs: Any) -> dict[str, float]:
    """A step's logs as floats; nested dicts are merged, as Keras' trainer does.

    Example:
        >>> import torch
        >>> pythonify_logs({"loss": torch.tensor(0.5), "compile_metrics": {"acc": 1}})
        {'loss': 0.5, 'acc': 1.0}
    """
    values: dict[str, float] = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            values.update(pythonify_logs(value))
        elif isinstance(value, torch.Tensor):
            # A step may return its loss still attached to the graph.
            values[key] = float(value.detach())
        else:
            values[key] = float(value)
    return values


def _detached(logs: Any) -> Any:
    """The logs with tensors cut from the graph, so holding them (until a callback
    reads them) does not keep the step's activations alive. No device sync."""
    return tree.map_structure(
        lambda v: v.detach() if isinstance(v, torch.Tensor) else v, logs or {}
    )


def autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """The mixed-precision policy's ``torch.autocast`` (a no-op for float32)."""
    compute = mixed_precision.global_policy().compute_dtype
    if compute in ("float16", "bfloat16"):
        return torch.autocast(device.type, dtype=getattr(torch, compute))
    return contextlib.nullcontext()


class MetricSet:
    """The running values one loop updates: the loss tracker, the compiled metrics
    (one group per output, plain and weighted) and the per-output loss trackers.

    The model's own set (:meth:`of`) holds the very objects ``model.metrics``
    lists; ``fit`` updates it. ``evaluate`` and ``fit``'s validation update a
    private copy (:meth:`private_copy`), so an evaluate running while ``fit``
    trains the same model in another thread neither sees nor disturbs fit's values.
    """

    def __init__(
        self,
        loss_tracker: LossTracker,
        output_loss_trackers: list[LossTracker],
        groups: list[list[Any]],
        weighted: list[list[Any]],
        private: bool,
    ) -> None:
        self.loss_tracker = loss_tracker
        self.output_loss_trackers = output_loss_trackers
        self.groups = groups
        self.weighted = weighted
        self.private = private

    @classmethod
    def of(cls, state: Any) -> MetricSet:
        """The compile state's own metrics (the lists themselves, not copies)."""
        return cls(
            state.loss_tracker,
            state.output_loss_trackers,
            state.metrics,
            state.weighted,
            private=False,
        )

    def private_copy(self, shared: tuple[Any, ...] = ()) -> MetricSet:
        """Fresh, zeroed copies of every metric, with the same names and settings.

        Objects in ``shared`` (the model) are referenced, not copied, should a
        custom metric hold one.
        """
        memo = {id(item): item for item in shared}
        trackers, outputs, groups, weighted = copy.deepcopy(
            (self.loss_tracker, self.output_loss_trackers, self.groups, self.weighted),
            memo,
        )
        fresh = MetricSet(trackers, outputs, groups, weighted, private=True)
        fresh.reset()
        return fresh

    def metric_objects(self) -> list[Any]:
        """The compiled metrics, plain then weighted (the compile state's order)."""
        return [m for group in self.groups for m in group] + [
            m for group in self.weighted for m in group
        ]

    def objects(self) -> list[Any]:
        return [self.loss_tracker, *self.metric_objects(), *self.output_loss_trackers]

    def reset(self) -> None:
        for metric in self.objects():
            metric.reset_state()

    def publish_into(self, target: MetricSet) -> None:
        """Make ``target``'s metrics hold this set's values (Keras: after
        ``evaluate``, ``model.metrics`` hold its results)."""
        while len(target.output_loss_trackers) < len(self.output_loss_trackers):
            extra = self.output_loss_trackers[len(target.output_loss_trackers)]
            target.output_loss_trackers.append(LossTracker(extra.name))
        for source, dest in zip(self.objects(), target.objects()):
            _copy_metric_state(source, dest)


def _copy_metric_state(source: Any, dest: Any) -> None:
    """``dest`` takes ``source``'s state: in place when the variables match (so a
    reference to one stays live), else whole (state built lazily on an update)."""
    names = list(source._variable_names)
    if names == list(dest._variable_names) and all(
        getattr(source, n).shape == getattr(dest, n).shape for n in names
    ):
        with torch.no_grad():
            for name in names:
                target = getattr(dest, name)
                target.copy_(getattr(source, name).to(target.device))
        return
    state = copy.deepcopy(source.__dict__)
    state["name"] = dest.name
    dest.__dict__.update(state)


def batch_size_of(x: Any) -> int:
    return int(tree.flatten(x)[0].shape[0])


class StepRunner:
    """Runs steps of ``model`` with its compiled state on one device."""

    def __init__(self, model: Trainer, device: torch.device) -> None:
        # `model` runs the steps (a DistributedDataParallel wrapper in fit under
        # torchrun); `owner` is the model itself, whose metrics and overrides count.
        self.model = model
        self.owner = model
        self.device = device
        self.state = model._require_state("fit")
        self.optimizer = model.optimizer
        # What the steps update: the model's own metrics, unless this runner is a
        # `with_private_metrics()` copy (evaluate, validation).
        self.metric_set = MetricSet.of(self.state)
        self.params: list[torch.Tensor] = []
        self.param_names: list[str] = []
        self.constrained: list[Any] = []
        self.regularized: list[Any] = []
        self.layer_modules: list[Any] = []
        self.scaler: Any = None
        self._refresh_variables()

    def _refresh_variables(self) -> None:
        """Collect trainable weights, constraints and regularisers once per run."""
        variables = self.model.trainable_weights
        self.params = [v.value for v in variables]
        self.param_names = [v.path for v in variables]
        self.constrained = [v for v in variables if v.constraint is not None]
        self.regularized = [v for v in self.model.weights if v.regularizer is not None]
        # Layers whose calls may leave penalties: activity regularisers, and any
        # `self.add_loss(...)` in a call (the base Layer keeps both in one list).
        self.layer_modules = [
            m for m in self.owner.modules() if hasattr(m, "_activity_losses")
        ]
        if mixed_precision.global_policy().compute_dtype == "float16":
            self.scaler = mixed_precision.LossScaler()

    @property
    def _own_loss(self) -> bool:
        """The model computes its loss itself (penalties included, or not)."""
        return overrides(self.owner, "compute_loss")

    @property
    def loss_tracker(self) -> LossTracker:
        return self.metric_set.loss_tracker

    @property
    def output_loss_trackers(self) -> list[LossTracker]:
        return self.metric_set.output_loss_trackers

    def with_private_metrics(self) -> StepRunner:
        """This runner, stepping a private, zeroed copy of the metrics.

        The copy shares the model and its variable lists (test steps only read
        them) but no metric state: what it tracks never reaches ``model.metrics``
        unless :meth:`MetricSet.publish_into` puts it there.
        """
        runner = copy.copy(self)
        runner.metric_set = self.metric_set.private_copy((self.owner, self.model))
        return runner

    # ------------------------------------------------------------------ helpers

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        return autocast(self.device)

    def forward(self, x: Any, training: bool) -> Any:
        # `is None`, not `or`: a compiled module has no truth value (it forwards
        # `len()` to the model, which refuses it).
        compiled = getattr(self.model, "_jit_forward", None)
        forward = self.model if compiled is None else compiled
        return forward(x, training=training)

    def regularization(self) -> torch.Tensor | None:
        penalties = [v.regularizer(v.value) for v in self.regularized]
        for module in self.layer_modules:
            if module._activity_losses:
                penalties.extend(module._activity_losses)
        if not penalties:
            return None
        return torch.stack([p.float() for p in penalties]).sum()

    def _loss_and_predictions(
        self, x: Any, y: Any, sw: Any, training: bool
    ) -> tuple[torch.Tensor, Any, list[torch.Tensor]]:
        state = self.state
        if overrides(self.owner, "compute_loss"):
            # As in Keras: the model's own `compute_loss` is the whole loss (it adds
            # `self.losses` only if it calls `super().compute_loss`).
            with self.autocast():
                outputs = self.forward(x, training=training)
                loss = call_compute_loss(self.owner, x, y, outputs, sw, training)
            return loss, outputs, []
        with self.autocast(), state.logits_forward() as fused:
            outputs = self.forward(x, training=training)
            loss, per_output = state.compute_loss(
                y, outputs, sw, from_fused_logits=fused
            )
        if fused:
            # Metrics see probabilities, as they would without fusion.
            outputs = activations.softmax(outputs.detach().float())
        return loss, outputs, per_output

    def _track(
        self,
        loss: torch.Tensor,
        per_output: list[torch.Tensor],
        y: Any,
        outputs: Any,
        sw: Any,
        batch: int,
    ) -> None:
        self.loss_tracker.update(loss, batch)
        if len(per_output) > 1:
            while len(self.output_loss_trackers) < len(per_output):
                name = self.state.loss_output_names[len(self.output_loss_trackers)]
                self.output_loss_trackers.append(LossTracker(f"{name}_loss"))
            for tracker, value in zip(self.output_loss_trackers, per_output):
                tracker.update(value, batch)
        metrics = self.metric_set
        self.state.update_metrics(
            y,
            tree.map_structure(lambda t: t.detach(), outputs),
            sw,
            groups=metrics.groups,
            weighted=metrics.weighted,
        )

    # ------------------------------------------------------------------ steps

    def train_step(self, x: Any, y: Any, sw: Any) -> None:
        # Exclusive: an inference batch in another thread sees the weights (and
        # moving statistics) of before or after this step, never of both.
        with step_lock(self.owner).writing():
            self._train_step(x, y, sw)

    def _train_step(self, x: Any, y: Any, sw: Any) -> None:
        if y is None and not overrides(self.owner, "compute_loss"):
            raise InvalidArgumentError(
                "Training needs labels: pass `y` (or a dataset yielding (x, y) pairs)."
            )
        self._build_optimizer()
        loss, outputs, per_output = self._loss_and_predictions(x, y, sw, training=True)
        penalty = None if self._own_loss else self.regularization()
        total = loss if penalty is None else loss + penalty
        if self.scaler is not None:
            (total * self.scaler.scale).backward()
            grads = [p.grad for p in self.params]
            if self.scaler.unscale_and_check(grads):
                self.optimizer.apply(grads, self.params)
        else:
            total.backward()
            self.optimizer.apply([p.grad for p in self.params], self.params)
        for param in self.params:
            param.grad = None
        if self.constrained:
            with torch.no_grad():
                for variable in self.constrained:
                    variable.value.copy_(variable.constraint(variable.value))
        self._track(total.detach(), per_output, y, outputs, sw, batch_size_of(x))

    def _build_optimizer(self) -> None:
        if not self.optimizer.built:
            # Built with the Keras paths rather than lazily by `apply`, so slots are
            # named `dense_kernel_momentum` (saved files, warnings), not `variable_0_…`.
            self.optimizer.build(self.params, names=self.param_names)

    def test_step(self, x: Any, y: Any, sw: Any) -> None:
        with step_lock(self.owner).reading(), torch.no_grad():
            loss, outputs, per_output = self._loss_and_predictions(
                x, y, sw, training=False
            )
            penalty = None if self._own_loss else self.regularization()
            total = loss if penalty is None else loss + penalty
            self._track(total, per_output, y, outputs, sw, batch_size_of(x))

    # ------------------------------------------------------------------ logs

    def run_train_step(self, x: Any, y: Any, sw: Any) -> Callable[[], dict[str, float]]:
        """One training step, through the model's own ``train_step`` if it has one.

        Returns a callable giving the logs, read only when a callback asks.
        """
        if overrides(self.owner, "train_step"):
            # As in Keras, fit builds the optimizer on the trainable weights first,
            # so a custom step may call `self.optimizer.apply(grads)` alone.
            self._build_optimizer()
            with step_lock(self.owner).writing():
                logs = _detached(self.owner.train_step(pack_batch(x, y, sw)))
            return lambda: pythonify_logs(logs)
        self.train_step(x, y, sw)
        return self.logs

    def run_test_step(self, x: Any, y: Any, sw: Any) -> Callable[[], dict[str, float]]:
        """One evaluation step, through the model's own ``test_step`` if it has one."""
        if overrides(self.owner, "test_step"):
            with step_lock(self.owner).reading(), torch.no_grad():
                logs = self.owner.test_step(pack_batch(x, y, sw))
            return lambda: pythonify_logs(logs)
        self.test_step(x, y, sw)
        return self.logs

    # ------------------------------------------------------------------ logs

    def reset(self) -> None:
        """Reset every metric of ``model.metrics`` (loss trackers included), as Keras
        does at the start of each epoch and evaluation; a runner with private
        metrics resets only its own."""
        if self.metric_set.private:
            self.metric_set.reset()
            return
        for metric in self.owner.metrics:
            metric.reset_state()

    def tensor_logs(self) -> dict[str, torch.Tensor]:
        """Current running values as device tensors (no synchronisation)."""
        values = {"loss": self.loss_tracker.result()}
        if len(self.output_loss_trackers) > 1:
            # One tracker per output *with a loss*: outputs without one have no key.
            for tracker in self.output_loss_trackers:
                values[tracker.name] = tracker.result()
        for metric in self.metric_set.metric_objects():
            values[metric.name] = metric.result()
        return dict(sorted(values.items()))

    def logs(self) -> dict[str, float]:
        """Current running values (reads device tensors: call sparingly)."""
        return {key: float(value) for key, value in self.tensor_logs().items()}

    def lazy_logs(self) -> Callable[[], dict[str, float]]:
        return self.logs


def runner_for(model: Trainer, device: torch.device) -> StepRunner:
    """The model's step runner for ``device``, kept with its compiled state.

    Built once per compile and device (its variable lists are refreshed, so a layer
    frozen since stays frozen): ``train_on_batch`` in a loop pays no set-up per call.
    """
    state = model._require_state("fit")
    runner = state.runners.get(device)
    if runner is None:
        runner = state.runners[device] = StepRunner(model, device)
    else:
        runner._refresh_variables()
    return runner


def overrides(model: Trainer, method: str) -> bool:
    """Whether ``model``'s class replaces ``Trainer.<method>`` (Keras' customisation)."""
    return bool(model._overrides(method))


def call_compute_loss(
    model: Trainer, x: Any, y: Any, y_pred: Any, sw: Any, training: bool
) -> torch.Tensor:
    """``model.compute_loss(...)``, with ``training=`` only if it takes one.

    keras.io examples override it with the older signature ``(self, x=None, y=None,
    y_pred=None, sample_weight=None, allow_empty=False)``, which Keras still calls.
    """
    try:
        parameters = inspect.signature(model.compute_loss).parameters
    except (TypeError, ValueError):
        parameters = {}  # type: ignore[assignment]
    takes_training = "training" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )
    extra = {"training": training} if takes_training else {}
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, **extra)
    return torch.as_tensor(loss) if not isinstance(loss, torch.Tensor) else loss


def pack_batch(x: Any, y: Any, sample_weight: Any) -> tuple[Any, ...]:
    """The ``data`` a ``train_step`` receives: ``(x,)``, ``(x, y)`` or ``(x, y, sw)``."""
    if sample_weight is not None:
        return (x, y, sample_weight)
    return (x,) if y is None else (x, y)


@contextlib.contextmanager
def evaluation_mode(model: Trainer) -> Iterator[None]:
    """No autograd during evaluation and prediction."""
    with torch.no_grad():
        yield
