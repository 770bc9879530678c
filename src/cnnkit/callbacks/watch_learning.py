"""``WatchLearning``: snapshot the first convolution at the end of every epoch.

What a learner wants to *see* is the filters turning from noise into edge detectors
and the feature maps of one image sharpening. This callback keeps, per epoch, the
first convolution's kernel and (given a probe image) that layer's output for it, in
``model.learning_snapshots``; ``model.save`` stores them in the ``.keras`` file and
``cnnkit report`` draws them as a strip over the epochs.

Snapshots are small: at most ``max_channels`` filters and feature maps, kept as
float16 in the file (the seed CNN: about 30 KB per epoch).

Example:
    >>> import numpy as np
    >>> import cnnkit
    >>> from cnnkit import layers
    >>> model = cnnkit.Sequential([layers.Input((8, 8, 1)),
    ...                            layers.Conv2D(4, 3, name="conv"),
    ...                            layers.Flatten(), layers.Dense(2)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> x, y = np.ones((4, 8, 8, 1), "float32"), np.zeros((4, 2), "float32")
    >>> watch = WatchLearning(probe=x[0])
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[watch])
    >>> snaps = model.learning_snapshots
    >>> snaps.layer, snaps.epochs, snaps.filters[0].shape, snaps.activations[0].shape
    ('conv', [0, 1], (3, 3, 1, 4), (6, 6, 4))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnkit.callbacks.callback import Callback, Logs
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers import Layer
from cnnkit.saving.training_record import LearningSnapshots

__all__ = ["WatchLearning"]

_KERNEL_NAMES = ("kernel", "depthwise_kernel")


def _kernel(layer: Layer) -> torch.Tensor | None:
    for name in _KERNEL_NAMES:
        kernel = getattr(layer, name, None)
        # Keras-layout kernels: a convolution has spatial axes besides in and out.
        if isinstance(kernel, torch.Tensor) and kernel.dim() >= 3:
            return kernel
    return None


def _convolutions(layer: Any) -> list[Layer]:
    """Every convolution of ``layer``, nested models included, in definition order."""
    found: list[Layer] = []
    for child in getattr(layer, "layers", None) or []:
        if _kernel(child) is not None:
            found.append(child)
        found.extend(_convolutions(child))
    return found


class WatchLearning(Callback):
    """Callback that records the first convolution's filters (and maps) every epoch.

    Args:
        probe: One input sample without the batch axis (e.g. ``x_test[0]``, shape
            ``(28, 28, 1)``), or ``None`` to record the filters only.
        layer: The name of the convolution to watch; ``None`` takes the first one.
        max_channels: How many filters and feature maps to keep (the first ones).
        every: Record every ``every`` epochs (the last epoch is always recorded).

    After ``fit``, ``model.learning_snapshots`` is a ``LearningSnapshots`` with one
    entry per recorded epoch; a new ``fit`` continues it, so resumed training shows
    as one strip.

    Raises:
        InvalidArgumentError: ``max_channels`` or ``every`` is not a positive int,
            or (at the start of ``fit``) the model has no convolution named
            ``layer``. With ``layer=None``, a model without convolutions is
            simply not recorded.
    """

    def __init__(
        self,
        probe: Any = None,
        layer: str | None = None,
        max_channels: int = 16,
        every: int = 1,
    ) -> None:
        super().__init__()
        for name, value in (("max_channels", max_channels), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgumentError(
                    f"`{name}` must be a positive int; received {name}={value!r}."
                )
        self.probe = None if probe is None else np.asarray(probe, dtype="float32")
        self.layer = layer
        self.max_channels = max_channels
        self.every = every
        self._conv: Layer | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Find the convolution to watch."""
        convolutions = _convolutions(self.model)
        if self.layer is None:
            # A model without convolutions (an MLP) simply has nothing to watch.
            self._conv = convolutions[0] if convolutions else None
        else:
            named = [c for c in convolutions if c.name == self.layer]
            if not named:
                raise InvalidArgumentError(
                    f"WatchLearning(layer={self.layer!r}) found no such convolution "
                    f"in the model; its convolutions are "
                    f"{[c.name for c in convolutions]}. WatchLearning shows a "
                    "convolution's filters: pass one of these names, or a model "
                    "with a Conv1D/2D/3D layer."
                )
            self._conv = named[0]

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Record a snapshot (every ``every`` epochs and on the last one)."""
        last = self.params is not None and epoch + 1 == self.params.get("epochs")
        if self._conv is None or ((epoch + 1) % self.every and not last):
            return
        snapshots = getattr(self.model, "learning_snapshots", None)
        if not isinstance(snapshots, LearningSnapshots) or (
            snapshots.layer != self._conv.name
        ):
            snapshots = LearningSnapshots(self._conv.name, [], [], [], self.probe)
            self.model.learning_snapshots = snapshots
        if snapshots.epochs and snapshots.epochs[-1] >= epoch:
            return  # already recorded (a rerun of the same epochs)
        kernel = _kernel(self._conv)
        if kernel is None:  # pragma: no cover - found by _convolutions
            return
        snapshots.epochs.append(epoch)
        snapshots.filters.append(self._filters(kernel))
        if self.probe is not None:
            snapshots.activations.append(self._feature_maps(self._conv, self.probe))

    def _filters(self, kernel: torch.Tensor) -> np.ndarray:
        # (*k, in, out): the filters are the last axis.
        return kernel.detach()[..., : self.max_channels].float().cpu().numpy().copy()

    def _feature_maps(self, conv: Layer, probe: np.ndarray) -> np.ndarray:
        """The watched layer's output for ``probe``, ``(*spatial, channels)``."""
        seen: list[torch.Tensor] = []
        # The hook lives only for this call; it copies the output and changes
        # nothing, and fused rewrites see it and run the layer as written.
        handle = conv.register_forward_hook(lambda _m, _i, out: seen.append(out))
        model: Any = self.model
        parameter = next(model.parameters())
        batch = torch.from_numpy(probe[None]).to(parameter.device)
        try:
            with torch.no_grad():
                model(batch.to(parameter.dtype), training=False)
        finally:
            handle.remove()
        output = seen[0][0].detach().float().cpu()
        if getattr(conv, "data_format", "channels_last") == "channels_first":
            output = output.movedim(0, -1)  # (C, *S) -> (*S, C)
        return output[..., : self.max_channels].numpy().copy()
