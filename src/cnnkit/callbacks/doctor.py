"""``Doctor``: short training hints printed between epochs, never changing training.

On a sample of batches (the first of each epoch, then every ``sample_every``-th),
it measures, without touching any weight or random state:

- the share of dead ReLU channels of each ReLU conv/dense layer: channels whose
  output was never positive on any sampled batch of the epoch (forward hooks that
  only read the output);
- the ratio ``|grad| / |weight|`` of each layer's kernel (gradient hooks that only
  read the gradient): far above 1 the gradients explode, far below 1e-6 they
  vanish;
- the loss: NaN or infinite, rising over the first epochs, or flat.

Hooks exist only during a sampled batch and are removed right after it; the
measurements stay on the device until the epoch ends (one read per epoch, plus
one read of the running loss per sampled batch). Hints are printed once each, at
the next epoch boundary, so they never break a progress bar's line. The hooks do
not observe the output layer or the model itself, so the fused softmax +
cross-entropy of the training step runs exactly as without the doctor.

Example:
    >>> doctor = Doctor(sample_every=10)
    >>> doctor.findings
    []
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import IO, Any

import torch

from cnnkit import activations, config
from cnnkit.callbacks.callback import Callback, LazyLogs, Logs
from cnnkit.layers.convolutional.base_conv import BaseConv
from cnnkit.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
from cnnkit.layers.convolutional.base_separable_conv import BaseSeparableConv
from cnnkit.layers.core.dense import Dense
from cnnkit.utils.progbar import print_msg

__all__ = ["Doctor"]

_WATCHED = (BaseConv, BaseDepthwiseConv, BaseSeparableConv, Dense)


class Doctor(Callback):
    """Print hints when training looks unhealthy (dead ReLUs, exploding or
    vanishing gradients, a loss that is NaN, rising or flat).

    Args:
        sample_every: Measure on batch 0 of each epoch and every this many batches.
        dead_share: Report a layer when at least this share of its channels is dead.
        exploding: Report a layer when ``|grad| / |weight|`` exceeds this.
        vanishing: Report a layer when ``|grad| / |weight|`` is below this.
        stream: Where hints go (default: standard output).

    Attributes:
        findings: Every hint printed so far, in order (for reports and tests).
    """

    accepts_lazy_logs = True

    def __init__(
        self,
        sample_every: int = 50,
        dead_share: float = 0.5,
        exploding: float = 10.0,
        vanishing: float = 1e-6,
        stream: IO[str] | None = None,
    ) -> None:
        super().__init__()
        self.sample_every = max(1, int(sample_every))
        self.dead_share = dead_share
        self.exploding = exploding
        self.vanishing = vanishing
        self.stream = stream
        self.findings: list[str] = []
        self._active = False
        self._said: set[str] = set()
        self._pending: list[str] = []
        self._handles: list[Any] = []
        self._alive: dict[str, torch.Tensor] = {}
        self._ratios: dict[str, list[torch.Tensor]] = {}
        self._grads: dict[str, torch.Tensor] = {}
        self._weight_norms: dict[str, torch.Tensor] = {}
        self._epoch_losses: list[float] = []
        self._epoch = 0

    # ------------------------------------------------------------------ set-up

    def _relu_layers(self) -> list[Any]:
        outputs = set()
        graph = getattr(self.model, "_graph_outputs", None)
        if graph is not None:
            outputs = {id(t._keras_history[0]) for t in _flat(graph)}
        return [
            m
            for m in self.model.modules()
            if isinstance(m, _WATCHED)
            and getattr(m, "activation", None) is activations.relu
            and id(m) not in outputs
        ]

    def _kernels(self) -> list[tuple[str, torch.Tensor]]:
        # Paths read `sequential/conv2d/kernel`: the layer is named without the
        # model's own prefix, as in the dead-ReLU hints and summary().
        prefix = f"{self.model.name}/"
        found = []
        for variable in self.model.trainable_weights:
            if variable.path.endswith("kernel"):
                layer = variable.path.rsplit("/", 1)[0].removeprefix(prefix)
                found.append((layer, variable.value))
        return found

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Decide whether to run (``config.doctor_enabled()``) and reset."""
        self._active = config.doctor_enabled() and self.model is not None
        self._said, self._pending, self._epoch_losses = set(), [], []

    # ------------------------------------------------------------------ batches

    def _sampled(self, batch: int) -> bool:
        return self._active and batch % self.sample_every == 0

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """On a sampled batch, attach the read-only hooks."""
        if not self._sampled(batch):
            return
        for layer in self._relu_layers():
            self._handles.append(layer.register_forward_hook(self._alive_hook(layer)))
        for name, kernel in self._kernels():
            self._weight_norms[name] = kernel.detach().norm()
            self._handles.append(kernel.register_hook(self._grad_hook(name)))

    def _alive_hook(self, layer: Any) -> Callable[..., None]:
        channel = (
            -1
            if getattr(layer, "data_format", "channels_last") == "channels_last"
            else 1
        )

        def hook(module: Any, args: Any, output: Any) -> None:
            if not isinstance(output, torch.Tensor) or output.dim() < 2:
                return
            axis = channel % output.dim()
            dims = [d for d in range(output.dim()) if d != axis]
            alive = (output.detach() > 0).any(dim=dims) if dims else output.detach() > 0
            name = module.name
            seen = self._alive.get(name)
            self._alive[name] = alive if seen is None else seen | alive

        return hook

    def _grad_hook(self, name: str) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            # Reads the gradient; returning None leaves it as it is.
            self._grads[name] = grad.detach().norm()

        return hook

    def on_train_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        """Remove the hooks, keep the ratios on the device, read the loss."""
        if not self._sampled(batch):
            return
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for name, grad_norm in self._grads.items():
            ratio = grad_norm / self._weight_norms[name].clamp_min(1e-12)
            self._ratios.setdefault(name, []).append(ratio)
        self._grads = {}
        values = logs() if callable(logs) else (logs or {})
        loss = values.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self._say("nan", self._nan_hint(batch))

    # ------------------------------------------------------------------ epochs

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Print the previous epoch's hints (its progress line is complete)."""
        self._epoch = epoch
        self._flush()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Turn the epoch's measurements into hints (one device read)."""
        if not self._active:
            return
        for name, alive in self._alive.items():
            share = 1.0 - float(alive.float().mean())
            if share >= self.dead_share:
                self._say(f"dead:{name}", self._dead_hint(name, share, alive.numel()))
        for name, ratios in self._ratios.items():
            top = float(torch.stack(ratios).max())
            if not math.isfinite(top) or top > self.exploding:
                self._say(f"explode:{name}", self._exploding_hint(name, top))
            elif top < self.vanishing:
                self._say(f"vanish:{name}", self._vanishing_hint(name, top))
        self._alive, self._ratios = {}, {}
        self._check_loss(epoch, (logs or {}).get("loss"))

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Print what is left and drop any hook (training may stop mid-batch)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._flush()

    # ------------------------------------------------------------------ hints

    def _check_loss(self, epoch: int, loss: Any) -> None:
        if loss is None:
            return
        loss = float(loss)
        if not math.isfinite(loss):
            self._say("nan", self._nan_hint(None))
            return
        self._epoch_losses.append(loss)
        history = self._epoch_losses
        chance = self._chance_loss()
        if chance is not None and len(history) == 1 and loss > 10 * chance:
            self._say("huge", (
                f"Doctor: the first epoch's loss ({loss:.4g}) is far above chance "
                f"level (ln(classes) = {chance:.4g}): the first steps overshot. The "
                f"learning rate ({self._lr()}) is likely too high, or the inputs are "
                "not scaled. Fix: scale the inputs to [0, 1] (pixels: `x / 255`); if "
                "they are, lower the learning rate 10x."
            ))  # fmt: skip
        elif (
            chance is not None
            and len(history) >= 2
            and abs(loss - chance) < 0.02 * chance
        ):
            self._say("chance", (
                f"Doctor: the loss stays at {loss:.4g}, the chance level ln(classes) "
                f"= {chance:.4g}: the model gives every input the same probabilities "
                "and learns nothing. Fix: lower the learning rate "
                f"({self._lr()}) 10x and check for dead ReLUs; check that the labels "
                "match the inputs."
            ))  # fmt: skip
        elif 2 <= len(history) <= 3 and history[-1] > 1.01 * history[-2]:
            self._say("rising", (
                f"Doctor: the loss rose from {history[-2]:.4g} (epoch {epoch}) to "
                f"{history[-1]:.4g} (epoch {epoch + 1}): the learning rate "
                f"({self._lr()}) is likely too high. Fix: lower it 10x, or add "
                "`callbacks.ReduceLROnPlateau()`."
            ))  # fmt: skip
        elif len(history) == 3 and history[-1] > 0.99 * history[0]:
            self._say("flat", (
                f"Doctor: the loss has not decreased over 3 epochs ({history[0]:.4g} "
                f"-> {history[-1]:.4g}). Fix: check that the labels match the inputs "
                f"and that the inputs are scaled, then try a learning rate 10x "
                f"lower or higher than {self._lr()}."
            ))  # fmt: skip

    def _chance_loss(self) -> float | None:
        """``ln(classes)``: the cross-entropy of uniform guesses, for a model with
        one softmax output of several units (else None)."""
        try:
            units = self.model.outputs[0].shape[-1]
        except Exception:  # no graph (subclassed): no chance level to compare with
            return None
        single = len(self.model.outputs) == 1
        return (
            math.log(units) if single and isinstance(units, int) and units > 1 else None
        )

    def _lr(self) -> str:
        rate: Any = getattr(
            getattr(self.model, "optimizer", None), "learning_rate", None
        )
        try:
            return f"learning_rate={float(rate):g}"
        except (TypeError, ValueError):
            return "the current learning rate"

    def _nan_hint(self, batch: int | None) -> str:
        where = f"epoch {self._epoch + 1}" + (
            "" if batch is None else f", batch {batch}"
        )
        return (
            f"Doctor: the loss became NaN or infinite ({where}): the learning rate "
            f"({self._lr()}) is probably too high, or the inputs are not scaled. "
            "Fix: lower the learning rate 10x, divide pixel values by 255, and add "
            "`callbacks.TerminateOnNaN()` to stop such a run early."
        )

    def _dead_hint(self, name: str, share: float, channels: int) -> str:
        return (
            f"Doctor: {share:.0%} of the {channels} channels of '{name}' never fired "
            f"on the sampled batches of epoch {self._epoch + 1} (ReLU output always "
            "0): dead ReLUs no longer learn. Fix: lower the learning rate "
            f"({self._lr()}), use `kernel_initializer='he_normal'`, or "
            "`layers.LeakyReLU`."
        )

    def _exploding_hint(self, name: str, ratio: float) -> str:
        return (
            f"Doctor: the gradient of '{name}' is {ratio:.3g}x the size of its "
            f"weights (|grad| / |w|) in epoch {self._epoch + 1}: exploding "
            f"gradients. Fix: lower the learning rate ({self._lr()}), scale the "
            "inputs to [0, 1], add BatchNormalization, or clip the gradients with "
            "`optimizer=SGD(..., clipnorm=1.0)`."
        )

    def _vanishing_hint(self, name: str, ratio: float) -> str:
        if ratio == 0:
            return (
                f"Doctor: the gradient of '{name}' is exactly 0 in epoch "
                f"{self._epoch + 1}: the layer no longer learns (dead ReLUs cut the "
                f"gradient). Fix: lower the learning rate ({self._lr()}) and restart "
                "from fresh weights."
            )
        return (
            f"Doctor: the gradient of '{name}' is only {ratio:.1e} of its weights "
            f"(|grad| / |w|) in epoch {self._epoch + 1}: vanishing gradients, the "
            "layer barely learns. Fix: ReLU rather than sigmoid/tanh in deep stacks, "
            "`kernel_initializer='he_normal'`, BatchNormalization, or fewer layers."
        )

    def _say(self, key: str, message: str) -> None:
        if key in self._said:
            return
        self._said.add(key)
        self._pending.append(message)

    def _flush(self) -> None:
        for message in self._pending:
            self.findings.append(message)
            print_msg(message, stream=self.stream)
        self._pending = []


def _flat(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flat(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _flat(v)]
    return [value]
