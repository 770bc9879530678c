"""``model.compile``: resolve the optimizer, losses and metrics (KERAS_SPEC §3).

Losses and metrics whose meaning depends on shapes (``"accuracy"``, ``"ce"``) are
resolved on the first batch, when the label and output shapes are known — exactly
Keras' rule. When the model ends in a softmax and the loss is a probability-space
cross-entropy, the trainer feeds pre-softmax logits to the equivalent logits loss
(one fused log-softmax + NLL; DESIGN decision 8).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from cnnkit import activations, losses, metrics, optimizers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base import context
from cnnkit.training.steps import LossTracker
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


def output_names(model: Trainer) -> list[str]:
    """Names of the model's outputs, in output order (``model.output_names``).

    Dict outputs are named by their keys (in ``tree.flatten`` order, as the
    predictions are flattened); other outputs by the layers producing them.
    """
    return model.output_names or ["output"]


def output_layers(model: Trainer) -> list[Any]:
    """The layer producing each output, in output order (the last layer when the
    model has no graph, as an unbuilt Sequential)."""
    graph_outputs = getattr(model, "_graph_outputs", None)
    if graph_outputs is not None:
        return [t._keras_history[0] for t in tree.flatten(graph_outputs)]
    layers = getattr(model, "layers", [])
    return [layers[-1]] if layers else []


# The name each metric object had when first compiled, kept here rather than
# written onto the user's object: a second compile() with the same instance
# starts again from it (its `.name` then carries an output prefix).
_GIVEN_NAMES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def final_softmax_layer(model: Trainer) -> Any | None:
    """The layer whose ``activation`` is the model's final softmax, if any."""
    layers = output_layers(model)
    if len(layers) != 1:
        return None
    if getattr(layers[0], "activation", None) is activations.softmax:
        return layers[0]
    return None


def _observable(module: Any) -> bool:
    """Whether a hook or an activity regulariser would see ``module``'s output."""
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or getattr(module, "activity_regularizer", None) is not None
    )


def _per_output(spec: Any, names: list[str], what: str) -> list[Any]:
    """Broadcast a single spec, or order a list/dict spec, to one entry per output."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise InvalidArgumentError(
                f"`{what}` has keys {unknown} that name no model output. Outputs are "
                f"{names}."
            )
        return [spec.get(name) for name in names]
    if isinstance(spec, list | tuple) and len(names) > 1:
        if len(spec) != len(names):
            raise InvalidArgumentError(
                f"`{what}` is a list of {len(spec)} entries but the model has "
                f"{len(names)} outputs ({names}); give one entry per output."
            )
        return list(spec)
    return [spec] * len(names)


class CompileState:
    """Everything ``compile`` configured, resolved lazily against real shapes."""

    def __init__(
        self,
        model: Trainer,
        optimizer: Any,
        loss: Any,
        loss_weights: Any,
        metrics_spec: Any,
        weighted_metrics_spec: Any,
    ) -> None:
        self.model = model
        self.optimizer = optimizers.get(optimizer)
        self.loss_spec = loss
        self.loss_weights_spec = loss_weights
        self.metrics_spec = metrics_spec
        self.weighted_metrics_spec = weighted_metrics_spec
        self.built = False
        self.names: list[str] = []
        self.losses: list[Any] = []
        self.loss_weights: list[float] = []
        self.metrics: list[list[Any]] = []
        self.weighted: list[list[Any]] = []
        # Metric names as given (before the output prefix and de-duplication):
        # Keras orders evaluate()'s list by them.
        self.base_metric_names: list[str] = []
        self.fused_layer: Any = None
        self.fused_loss: Any = None
        # Keras' `model.metrics`: the loss tracker, the compiled metrics, then one
        # loss tracker per output (when there are several).
        self.loss_tracker = LossTracker()
        self.compile_metrics = CompileMetrics(self)
        self.output_loss_trackers: list[LossTracker] = []
        self.runners: dict[torch.device, Any] = {}

    # ------------------------------------------------------------------ building

    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve losses and metrics for these label/output structures."""
        names = output_names(self.model)
        flat_pred = tree.flatten(y_pred)
        if len(flat_pred) != len(names):
            names = [f"output_{i}" for i in range(len(flat_pred))]
        self.names = names
        flat_true = self.flatten_targets(y_true, "y")
        loss_specs = _per_output(self.loss_spec, names, "loss")
        self.losses = [
            None
            if spec is None
            else losses.resolve(spec, tuple(t.shape), tuple(p.shape))
            for spec, t, p in zip(loss_specs, flat_true, flat_pred)
        ]
        weights = self.loss_weights_spec
        self.loss_weights = (
            [1.0] * len(names) if weights is None
            else [1.0 if w is None else float(w) for w in _per_output(weights, names, "loss_weights")]
        )  # fmt: skip
        self.metrics = self._resolve_metrics(
            self.metrics_spec, flat_true, flat_pred, "metrics"
        )
        self.weighted = self._resolve_metrics(
            self.weighted_metrics_spec, flat_true, flat_pred, "weighted_metrics"
        )
        self._name_metrics()
        if len(names) == 1 and self.losses[0] is not None:
            layer = final_softmax_layer(self.model)
            fused = (
                losses.logits_equivalent(self.losses[0]) if layer is not None else None
            )
            if fused is not None:
                self.fused_layer, self.fused_loss = layer, fused
        self.built = True

    def flatten_targets(self, value: Any, what: str = "y") -> list[Any]:
        """Labels (or sample weights) as one entry per output, in output order.

        A dict is read by output name: ``tree.flatten`` would sort its keys, which
        pairs labels with the wrong outputs when the names are not in sorted order.
        """
        if not isinstance(value, dict) or len(self.names) < 2:
            return tree.flatten(value)
        missing = [name for name in self.names if name not in value]
        if missing:
            raise InvalidArgumentError(
                f"`{what}` is a dict with keys {sorted(value)}, but the model's outputs "
                f"are named {self.names} (missing {missing}). Give one entry per "
                "output, keyed by the output (layer) name."
            )
        return [value[name] for name in self.names]

    def _resolve_metrics(
        self, spec: Any, flat_true: list[Any], flat_pred: list[Any], what: str
    ) -> list[list[Any]]:
        names = self.names
        if spec is None:
            return [[] for _ in names]
        if isinstance(spec, dict):
            per_output = _per_output(spec, names, what)
        elif (
            len(names) > 1
            and isinstance(spec, list | tuple)
            and all(isinstance(s, list | tuple) or s is None for s in spec)
        ):
            per_output = _per_output(list(spec), names, what)
        else:
            per_output = [spec] * len(names)
        resolved = []
        for entry, true, pred in zip(per_output, flat_true, flat_pred):
            entries = (
                []
                if entry is None
                else (list(entry) if isinstance(entry, list | tuple) else [entry])
            )
            resolved.append(
                [
                    metrics.resolve(item, tuple(true.shape), tuple(pred.shape)).to(
                        pred.device
                    )
                    for item in entries
                ]
            )
        return resolved

    def _name_metrics(self) -> None:
        """Give every metric a unique log key, with Keras' rules.

        Several outputs prefix the output name (``cls_accuracy``); a repeated name
        gets ``_1``, ``_2``; a weighted metric whose name is taken becomes
        ``weighted_<name>``. Without this, two metrics named ``accuracy`` (one in
        ``metrics``, one in ``weighted_metrics``) would overwrite each other's log.
        """
        prefix = len(self.names) > 1
        counters: dict[str, int] = {}
        self.base_metric_names = []

        def unique(name: str) -> str:
            if name not in counters:
                counters[name] = 1
                return name
            index = counters[name]
            counters[name] += 1
            return f"{name}_{index}"

        for weighted, groups in ((False, self.metrics), (True, self.weighted)):
            for output, group in zip(self.names, groups):
                for metric in group:
                    # The name as given survives a second compile() with the same
                    # metric instance (its `.name` already carries the prefix).
                    base = _GIVEN_NAMES.setdefault(metric, metric.name)
                    self.base_metric_names.append(base)
                    name = f"{output}_{base}" if prefix else base
                    if weighted and name in counters:
                        name = f"weighted_{base}"
                        name = f"{output}_{name}" if prefix else name
                    metric.name = unique(name)

    # ------------------------------------------------------------------ stepping

    @contextlib.contextmanager
    def logits_forward(self) -> Iterator[bool]:
        """While active, the final softmax is skipped so the model returns logits.

        Not when anything could see the difference: a forward hook on the layer or
        the model, or an activity regulariser on the layer (checked at each step,
        as hooks come and go).
        """
        layer = self.fused_layer
        if layer is None or _observable(layer) or _observable(self.model):
            yield False
            return
        with context.defer_activation(layer):
            yield True

    def _flat_weights(self, sample_weight: Any, count: int) -> list[Any]:
        """One sample-weight entry per output: a single array applies to all."""
        if isinstance(sample_weight, list | tuple | dict):
            return self.flatten_targets(sample_weight, "sample_weight")
        return [sample_weight] * count

    @property
    def loss_output_names(self) -> list[str]:
        """Names of the outputs that have a loss (their per-output loss logs)."""
        return [n for n, loss in zip(self.names, self.losses) if loss is not None]

    def compute_loss(
        self,
        y_true: Any,
        y_pred: Any,
        sample_weight: Any,
        from_fused_logits: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Weighted sum of per-output losses (regularisation is added by the caller).

        The list holds one unweighted value per output that has a loss.
        """
        flat_true, flat_pred = self.flatten_targets(y_true), tree.flatten(y_pred)
        flat_weights = self._flat_weights(sample_weight, len(flat_pred))
        per_output: list[torch.Tensor] = []
        total: torch.Tensor | None = None
        for i, (loss_fn, true, pred, weight) in enumerate(
            zip(self.losses, flat_true, flat_pred, flat_weights)
        ):
            if loss_fn is None:
                continue
            fn = self.fused_loss if (from_fused_logits and i == 0) else loss_fn
            value = fn(true, pred, sample_weight=weight)
            per_output.append(value)
            weighted = (
                value * self.loss_weights[i] if self.loss_weights[i] != 1.0 else value
            )
            total = weighted if total is None else total + weighted
        if total is None:
            raise InvalidArgumentError(
                "The model has no loss to minimise: pass `loss=` to `compile()`."
            )
        return total, per_output

    def update_metrics(
        self,
        y_true: Any,
        y_pred: Any,
        sample_weight: Any,
        groups: list[list[Any]] | None = None,
        weighted: list[list[Any]] | None = None,
    ) -> None:
        """Update the compiled metrics, or ``groups``/``weighted`` (a private copy
        of them, one group per output) when given."""
        flat_true, flat_pred = self.flatten_targets(y_true), tree.flatten(y_pred)
        flat_weights = self._flat_weights(sample_weight, len(flat_pred))
        for group, weighted_group, true, pred, weight in zip(
            self.metrics if groups is None else groups,
            self.weighted if weighted is None else weighted,
            flat_true,
            flat_pred,
            flat_weights,
        ):
            for metric in group:
                metric.update_state(true, pred)
            for metric in weighted_group:
                metric.update_state(true, pred, sample_weight=weight)

    def metric_objects(self) -> list[Any]:
        return [m for group in self.metrics for m in group] + [
            m for group in self.weighted for m in group
        ]

    def metric_names(self) -> list[str]:
        return [m.name for m in self.metric_objects()]

    def ordered_keys(self, keys: list[str]) -> list[str]:
        """``keys`` (log names) in the order of ``evaluate()``'s list, as Keras has it.

        Keras lists ``loss``, then the metrics whose *given* name is a log key (in
        compile order; with several outputs none is, as their keys carry the output
        prefix), then the per-output losses in output order, then everything else
        sorted. Kept exactly, repeats included: ``metrics=["accuracy"]`` with
        ``weighted_metrics=["accuracy"]`` lists ``accuracy`` twice, then
        ``weighted_accuracy``, so code unpacking Keras' list works unchanged.
        """
        first = ["loss", *self.base_metric_names]
        if len(self.loss_output_names) > 1:
            first += [f"{name}_loss" for name in self.loss_output_names]
        ordered = [key for key in first if key in keys]
        return ordered + sorted(k for k in keys if k not in first)

    def reset_metrics(self) -> None:
        for metric in self.metric_objects():
            metric.reset_state()


class CompileMetrics:
    """The metrics given to ``compile`` as one entry of ``model.metrics``.

    As in Keras, it is named ``compile_metrics``, ``update_state(y, y_pred)`` updates
    every compiled metric and ``result()`` is a dict of their values, so a custom
    ``train_step`` can loop over ``self.metrics`` the way Keras' guide does.
    """

    name = "compile_metrics"

    def __init__(self, state: CompileState) -> None:
        self._state = state

    @property
    def metrics(self) -> list[Any]:
        return self._state.metric_objects()

    @property
    def variables(self) -> list[torch.Tensor]:
        return [v for metric in self.metrics for v in metric.variables]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self._state.built:
            self._state.build(y_true, y_pred)
        self._state.update_metrics(y_true, y_pred, sample_weight)

    def result(self) -> dict[str, torch.Tensor]:
        return {metric.name: metric.result() for metric in self.metrics}

    def reset_state(self) -> None:
        self._state.reset_metrics()

    def __repr__(self) -> str:
        return f"<CompileMetrics {[m.name for m in self.metrics]}>"


def compile_state(
    model: Trainer,
    optimizer: Any = "rmsprop",
    loss: Any = None,
    loss_weights: Any = None,
    metrics: Any = None,
    weighted_metrics: Any = None,
    run_eagerly: bool = False,
    steps_per_execution: int = 1,
    jit_compile: Any = "auto",
    auto_scale_loss: bool = True,
) -> tuple[CompileState, dict[str, Any], Any]:
    """Keras' ``compile`` arguments checked and resolved: the compile state, the
    arguments as given (for the saved ``compile_config``) and the ``torch.compile``
    wrapper when ``jit_compile=True`` (else None). The model stores them itself.

    cnnkit always runs eagerly on torch; ``jit_compile=True`` wraps the forward pass
    in ``torch.compile`` (on CPU it is usually slower).
    """
    if (
        isinstance(steps_per_execution, bool)
        or not isinstance(steps_per_execution, int)
        or steps_per_execution < 1
    ):
        raise InvalidArgumentError(
            f"`steps_per_execution` must be a positive int; received {steps_per_execution!r}."
        )
    if jit_compile not in ("auto", True, False, None):
        raise InvalidArgumentError(
            f"`jit_compile` must be 'auto', True or False; received {jit_compile!r}."
        )
    state = CompileState(
        model, optimizer, loss, loss_weights, metrics, weighted_metrics
    )
    arguments = {
        "optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
        "metrics": metrics, "weighted_metrics": weighted_metrics,
        "run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
        "jit_compile": jit_compile, "auto_scale_loss": auto_scale_loss,
    }  # fmt: skip
    jit_forward = torch.compile(model) if jit_compile is True else None
    return state, arguments, jit_forward
