"""The doctor's checks at the first batch of ``fit``: set-ups that run but train badly.

Mistakes that cannot train at all already raise in ``checks`` (labels out of range,
one-hot labels for a sparse loss and the reverse, a softmax output with
``from_logits=True``, channels-first images for a channels-last model). What is
left here still runs, so it warns, with a ``DoctorWarning`` that names the problem
and the fix:

- a probability-space cross-entropy (``from_logits=False``) on an output that is
  not probabilities (values outside [0, 1], rows not summing to 1);
- a softmax applied twice (``Dense(activation="softmax")`` then ``Softmax()``);
- heavily imbalanced labels (largest class more than 10x the smallest), or a class
  of the output that never appears in ``y``.

Each check runs once per ``compile()`` (the first ``fit``), reads arrays already
on the host or two samples' outputs, and is off with
``cnnkit.config.set_doctor(False)`` or ``CNNKIT_DOCTOR=0``.
"""

from __future__ import annotations

import warnings
import weakref
from typing import TYPE_CHECKING, Any

import torch

from cnnkit import activations, config
from cnnkit.errors import DoctorWarning
from cnnkit.layers.activations.softmax import Softmax
from cnnkit.training.checks import _from_logits, _loss_kind, _user_stacklevel
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer

__all__ = ["examine_first_batch", "warn"]

# Compile states already examined: once per compile(), not once per fit().
_EXAMINED: weakref.WeakSet[Any] = weakref.WeakSet()
#: fewer samples per class than this and class counts are too noisy to judge
_MIN_PER_CLASS = 20
_IMBALANCE = 10.0


def warn(message: str) -> None:
    """Emit one ``DoctorWarning``, pointed at the user's line."""
    warnings.warn(message, DoctorWarning, stacklevel=_user_stacklevel())


def examine_first_batch(
    model: Trainer, outputs: Any, full_y: Any, weighted: bool = False
) -> None:
    """Run the doctor's checks once for this compile state (see the module doc).

    ``outputs`` are the model's outputs on the first samples, ``full_y`` all the
    labels when they are arrays (else ``None``), ``weighted`` whether
    ``class_weight``/``sample_weight`` was given (imbalance is then handled).
    """
    state = getattr(model, "_compile_state", None)
    if state is None or not state.built or state in _EXAMINED:
        return
    _EXAMINED.add(state)
    if not config.doctor_enabled():
        return
    _check_double_softmax(model)
    flat_out = tree.flatten(outputs)
    flat_y = state.flatten_targets(full_y) if full_y is not None else []
    for i, (loss, out, name) in enumerate(zip(state.losses, flat_out, state.names)):
        kind = _loss_kind(loss) if loss is not None else None
        if kind is None:
            continue
        if not _from_logits(loss):
            _check_probabilities(loss, kind, out, name)
        if i < len(flat_y) and not weighted:
            _check_balance(kind, flat_y[i], out, name)


def _softmax_like(layer: Any) -> bool:
    return isinstance(layer, Softmax) or (
        getattr(layer, "activation", None) is activations.softmax
    )


def _producer(layer: Any, model: Any, position: int) -> Any:
    """The layer whose output ``layer`` consumes (first inbound tensor)."""
    for node in getattr(layer, "_inbound_nodes", None) or []:
        for tensor in node.input_tensors[:1]:
            history = getattr(tensor, "_keras_history", None)
            if history is not None:
                return history[0]
    return model.layers[position - 1] if position > 0 else None


def _check_double_softmax(model: Trainer) -> None:
    for position, layer in enumerate(getattr(model, "layers", []) or []):
        if not _softmax_like(layer):
            continue
        before = _producer(layer, model, position)
        if before is None or not _softmax_like(before):
            continue
        warn(
            f"Softmax is applied twice: layer '{before.name}' "
            f"({type(before).__name__}) already ends in a softmax, and layer "
            f"'{layer.name}' ({type(layer).__name__}) applies another one. A second "
            "softmax squashes the probabilities towards uniform, so the loss "
            "barely moves. Fix: keep one, e.g. `Dense(10, activation='softmax')` "
            "alone, or `Dense(10)` followed by `Softmax()`."
        )
        return


_LOGITS_LOSS = {
    "categorical": ("CategoricalCrossentropy", "softmax"),
    "sparse": ("SparseCategoricalCrossentropy", "softmax"),
    "binary": ("BinaryCrossentropy", "sigmoid"),
}


def _check_probabilities(loss: Any, kind: str, out: torch.Tensor, name: str) -> None:
    """A cross-entropy that expects probabilities, fed raw scores."""
    if out.numel() == 0 or not out.is_floating_point():
        return
    values = out.detach().float()
    low, high = float(values.min()), float(values.max())
    outside = low < -1e-6 or high > 1 + 1e-6
    sums = ""
    if kind != "binary" and values.dim() > 1 and values.shape[-1] > 1:
        total = values.sum(dim=-1)
        if bool((total - 1).abs().max() > 1e-3):
            sums = (
                f", rows summing to {float(total.min()):.3g}..{float(total.max()):.3g}"
            )
            outside = True
    if not outside:
        return
    cls, activation = _LOGITS_LOSS[kind]
    units = int(values.shape[-1]) if values.dim() > 1 else 1
    warn(
        f"Output '{name}' gives values from {low:.3g} to {high:.3g}{sums} on the "
        f"first batch, but the loss {loss.name!r} expects probabilities "
        "(`from_logits=False`): it clips them into (0, 1), so the model trains "
        f"badly or not at all. Fix: end the model with a {activation} "
        f"(`Dense({units}, activation='{activation}')`), or keep raw scores and "
        f"compile with `loss=keras.losses.{cls}(from_logits=True)`."
    )


def _class_ids(kind: str, label: torch.Tensor) -> torch.Tensor | None:
    """Integer class ids of the labels, or None when they are not class labels."""
    if kind == "categorical" and label.dim() == 2:
        return label.argmax(dim=-1)
    if label.is_floating_point() and not bool((label == label.round()).all()):
        return None  # soft or smoothed labels
    if kind in ("sparse", "binary") and (
        label.dim() == 1 or (label.dim() == 2 and label.shape[-1] == 1)
    ):
        return label.reshape(-1).long()
    return None


def _check_balance(kind: str, label: Any, out: torch.Tensor, name: str) -> None:
    if not isinstance(label, torch.Tensor) or label.numel() == 0:
        return
    ids = _class_ids(kind, label)
    units = int(out.shape[-1]) if out.dim() > 1 else 1
    classes = 2 if kind == "binary" and units == 1 else units
    if ids is None or classes < 2 or ids.numel() < _MIN_PER_CLASS * classes:
        return
    if int(ids.min()) < 0 or int(ids.max()) >= classes:
        return  # out of range: `checks` explains it
    counts = torch.bincount(ids.cpu(), minlength=classes).tolist()
    absent = [c for c, n in enumerate(counts) if n == 0]
    if absent:
        warn(
            f"Class(es) {absent} never appear in `y` ({ids.numel()} samples), "
            f"although output '{name}' has {classes} classes: the model cannot "
            "learn them and will never predict them. Fix: check how the labels "
            "were made (a slice of a dataset sorted by class?), shuffle before "
            "splitting, or give the last layer one unit per class that occurs."
        )
        return
    big = max(range(classes), key=lambda c: counts[c])
    small = min(range(classes), key=lambda c: counts[c])
    ratio = counts[big] / counts[small]
    if ratio <= _IMBALANCE:
        return
    warn(
        f"The labels for output '{name}' are heavily imbalanced: class {big} has "
        f"{counts[big]} samples, class {small} only {counts[small]} ({ratio:.0f}x "
        "fewer). A model can score a high accuracy by ignoring the rare classes. "
        "Fix: weight the classes, e.g. `counts = np.bincount(y)` then "
        "`model.fit(..., class_weight={i: len(y) / (len(counts) * n) for i, n in "
        "enumerate(counts)})`, or resample; and judge the model per class "
        "(confusion matrix), not by accuracy alone."
    )
